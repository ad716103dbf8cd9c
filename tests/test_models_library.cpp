// The model library (engine/ModelLibrary.h, `musicmill models`): folders and short names,
// bad files named with their reason, `models add` checking and copying atomically, short
// names in --model, presets and set lists, the archive's own version record.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "AudioFile.h"
#include "LoadReport.h"
#include "ModelLibrary.h"
#include "ModelRuntime.h"
#include "Parameters.h"
#include "PresetFile.h"
#include "SetList.h"
#include "TestSupport.h"

using namespace mm;
using namespace mmtest;
namespace fs = std::filesystem;

namespace {

void copyFile(const std::string& from, const std::string& to) {
  fs::create_directories(fs::path(to).parent_path());
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
}

void writeText(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

// A library of its own: XDG_DATA_HOME (the user's library) and XDG_CACHE_HOME (measured
// figures) in a temporary folder, for the commands this test runs.
struct TempLibrary {
  std::string root = tempDir();
  std::string env = "XDG_DATA_HOME=" + root + "/data XDG_CACHE_HOME=" + root + "/cache ";
  std::string userDir = root + "/data/musicmill/models";
  CommandResult run(const std::string& args) const { return runCommand(env + binary() + " " + args); }
};

}  // namespace

TEST_CASE("model library: short names, the first folder wins a name, bundled models as drums", "[models]") {
  const std::string root = tempDir();
  const std::string a = root + "/a", b = root + "/b", bundled = root + "/bundled";
  copyFile(fixture("identity_44k.ts"), a + "/kit.ts");
  copyFile(fixture("delay_44k.ts"), b + "/kit.ts");
  copyFile(fixture("delay_44k.ts"), b + "/pad.ts");
  copyFile(fixture("identity_44k.ts"), bundled + "/musicmill_drums.ts");
  copyFile(fixture("identity_44k.ts"), bundled + "/not_shipped.ts");  // only musicmill_*.ts ship
  const ModelLibrary lib({a, b}, bundled);
  const auto entries = lib.list();
  std::vector<std::string> names;
  for (const auto& e : entries) names.push_back(e.name + (e.hiddenBy.empty() ? "" : "(hidden)"));
  INFO(Catch::Detail::stringify(names));
  CHECK(names == std::vector<std::string>{"kit", "kit(hidden)", "pad", "drums"});
  CHECK(lib.resolve("kit", "") == a + "/kit.ts");
  CHECK(lib.resolve("pad.ts", "") == b + "/pad.ts");
  CHECK(lib.resolve("drums", "") == bundled + "/musicmill_drums.ts");
  // A path works as it always did, relative to the file that names it.
  CHECK(lib.resolve("a/kit.ts", root) == fs::path(a + "/kit.ts").lexically_normal().string());
  std::string why;
  CHECK(lib.resolve("kti", "", &why).empty());
  CHECK(why.find("did you mean kit?") != std::string::npos);
  CHECK(lib.resolve("not_shipped", "").empty());
}

TEST_CASE("musicmill models lists every model with its figures and names each bad file with its reason",
          "[models]") {
  const TempLibrary t;
  const std::string extra = t.root + "/extra";
  copyFile(fixture("identity_44k.ts"), extra + "/ident.ts");
  copyFile(fixture("adain_44k.ts"), extra + "/style.ts");
  copyFile(fixture("non_streaming_44k.ts"), extra + "/clicky.ts");
  writeText(extra + "/notes.ts", "this is not a model\n");
  {  // a copy cut short
    std::ifstream in(fixture("delay_44k.ts"), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(extra + "/cut.ts", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  }
  copyFile(fixture("delay_44k.ts"), t.userDir + "/ident.ts");  // same name, later folder: hidden
  const CommandResult r = t.run("models --models-dir " + extra);
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(r.output.find("ident  " + extra + "/ident.ts") != std::string::npos);
  CHECK(r.output.find("RAVE v2, 44100 Hz, ratio 8 (0.18 ms a frame), latent 8, mono in, mono out, prior no, "
                      "streaming yes") != std::string::npos);
  CHECK(r.output.find("archive format 3 (this LibTorch reads up to 10), written by PyTorch 2.0 or older") !=
        std::string::npos);
  CHECK(r.output.find("streaming NO (it will click at block edges)") != std::string::npos);  // clicky
  CHECK(r.output.find("attributes: learn_target (bool, now false), reset_target (bool, now false)") !=
        std::string::npos);  // style
  CHECK(r.output.find("attributes: none") != std::string::npos);
  CHECK(r.output.find("notes  " + extra + "/notes.ts\n  cannot be used: ") != std::string::npos);
  CHECK(r.output.find("not a TorchScript archive") != std::string::npos);
  CHECK(r.output.find("cut  " + extra + "/cut.ts\n  cannot be used: ") != std::string::npos);
  CHECK(r.output.find("hidden: " + extra + "/ident.ts has the same name and comes first") != std::string::npos);
  CHECK(r.output.find("drums (bundled)") != std::string::npos);
  CHECK(r.output.find("faster than real time here") != std::string::npos);
  CHECK(r.output.find("cached") == std::string::npos);  // measured this time
  // The second listing takes the figures from the cache (same file, size and time).
  const CommandResult again = t.run("models --models-dir " + extra + " --json");
  INFO(again.output);
  REQUIRE(again.status == 0);
  CHECK(again.output.find("\"name\":\"ident\"") != std::string::npos);
  CHECK(again.output.find("\"error\":\"not-torchscript\"") != std::string::npos);
  CHECK(again.output.find("\"archive_version\":3") != std::string::npos);
  const CommandResult text = t.run("models --models-dir " + extra);
  CHECK(text.output.find("cached") != std::string::npos);
}

TEST_CASE("musicmill models add checks the file as inspect does and copies it whole, or adds nothing", "[models]") {
  const TempLibrary t;
  CommandResult r = t.run("models add " + fixture("delay_44k.ts") + " --name my_kit");
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(fs::file_size(t.userDir + "/my_kit.ts") == fs::file_size(fixture("delay_44k.ts")));
  // The same name again, a bad file, a bad name: refused, nothing written.
  r = t.run("models add " + fixture("identity_44k.ts") + " --name my_kit");
  CHECK(r.status == 2);
  CHECK(r.output.find("already has a model named 'my_kit'") != std::string::npos);
  r = t.run("models add " + fixture("text.ts"));
  CHECK(r.status == 2);
  CHECK(r.output.find("not a TorchScript archive") != std::string::npos);
  CHECK(r.output.find("Nothing was added.") != std::string::npos);
  r = t.run("models add " + fixture("nan_output.ts"));
  CHECK(r.status == 2);
  r = t.run("models add " + fixture("identity_44k.ts") + " --name ../escape");
  CHECK(r.status == 2);
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(t.userDir)) files.push_back(e.path().filename().string());
  CHECK(files == std::vector<std::string>{"my_kit.ts"});  // no partial or refused file, no temporary

  // The name plays wherever a model is named: --model, and a typo is refused with the name.
  const std::string dir = tempDir();
  AudioBuffer in;
  in.sampleRate = 44100;
  in.samples = sine(220.0, 44100, 0.5, 0.3f);
  writeWav(dir + "/in.wav", in);
  r = t.run("render --in " + dir + "/in.wav --out " + dir + "/out.wav --model my_kit");
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK(fs::exists(dir + "/out.wav"));
  r = t.run("render --in " + dir + "/in.wav --out " + dir + "/out2.wav --model my_kti");
  CHECK(r.status == 2);
  CHECK(r.output.find("did you mean my_kit?") != std::string::npos);
  CHECK_FALSE(fs::exists(dir + "/out2.wav"));
  r = t.run("inspect my_kit --json");
  CHECK(r.status == 0);
  CHECK(r.output.find("my_kit.ts") != std::string::npos);
}

TEST_CASE("a preset's and a set list's model may be a library name", "[models][sets]") {
  const std::string root = tempDir();
  copyFile(fixture("delay_44k.ts"), root + "/lib/groove.ts");
  const ModelLibrary lib({root + "/lib"}, "");
  auto reg = makeStandardRegistry(8);
  writeText(root + "/p.toml", "format = 1\nname = \"P\"\nmodel = \"groove\"\n");
  LoadReport report;
  auto p = loadPreset(root + "/p.toml", report, PresetChecks{reg.get(), &lib});
  INFO(report.text());
  REQUIRE(p);
  CHECK(p->model == root + "/lib/groove.ts");
  // Without the library the same file is refused with the line, as before.
  LoadReport plain;
  CHECK_FALSE(loadPreset(root + "/p.toml", plain, PresetChecks{reg.get()}));
  CHECK(plain.text().find("p.toml:3: error") != std::string::npos);
  writeText(root + "/set.toml", "format = 1\nname = \"S\"\n[[song]]\nname = \"One\"\n[[song.part]]\nname = \"A\"\n"
                                "preset = { name = \"A\", model = \"groove\" }\n");
  LoadReport setReport;
  auto set = loadSetList(root + "/set.toml", setReport, reg.get(), &lib);
  INFO(setReport.text());
  REQUIRE(set);
  CHECK(set->models() == std::vector<std::string>{root + "/lib/groove.ts"});
  // Saved again, a library name stays a name (the preset still means "groove" on another
  // machine), in a preset file and inline in a set list.
  CHECK(p->modelName == "groove");
  REQUIRE(savePreset(root + "/p2.toml", *p).empty());
  std::ifstream saved(root + "/p2.toml");
  const std::string text((std::istreambuf_iterator<char>(saved)), std::istreambuf_iterator<char>());
  CHECK(text.find("model = \"groove\"") != std::string::npos);
  LoadReport again;
  auto p2 = loadPreset(root + "/p2.toml", again, PresetChecks{reg.get(), &lib});
  REQUIRE(p2);
  CHECK(*p2 == *p);
  REQUIRE(saveSetList(root + "/set2.toml", *set).empty());
  std::ifstream savedSet(root + "/set2.toml");
  const std::string setText((std::istreambuf_iterator<char>(savedSet)), std::istreambuf_iterator<char>());
  CHECK(setText.find("model = \"groove\"") != std::string::npos);
  // A model named by its path stays a path.
  writeText(root + "/q.toml", "format = 1\nname = \"Q\"\nmodel = \"lib/groove.ts\"\n");
  LoadReport q;
  auto byPath = loadPreset(root + "/q.toml", q, PresetChecks{reg.get(), &lib});
  REQUIRE(byPath);
  CHECK(byPath->modelName.empty());
}

TEST_CASE("the archive's own version record is read without LibTorch, and a newer one is refused before it",
          "[models]") {
  CHECK(archiveFormatVersion(fixture("identity_44k.ts")) == 3);
  CHECK(archiveFormatVersion(sourcePath("models/musicmill_drums.ts")) == 3);
  CHECK(archiveFormatVersion(fixture("newer_torch.ts")) == 99);
  CHECK(archiveFormatVersion(fixture("text.ts")) == -1);
  CHECK(archiveFormatVersion(fixture("truncated.ts")) == -1);
  // Which PyTorch wrote it, as far as the records tell: 2.1 and later add a serialization id.
  CHECK(archiveWriter(readArchiveRecords(fixture("identity_44k.ts"))) == "PyTorch 2.0 or older");
  CHECK(archiveWriter(readArchiveRecords(fixture("torch21_record.ts"))) == "PyTorch 2.1 or newer");
  CHECK(archiveWriter(readArchiveRecords(fixture("text.ts"))).empty());
  CHECK(ModelRuntime::load(fixture("torch21_record.ts"))->info().writtenBy == "PyTorch 2.1 or newer");
  const CommandResult r21 = runCommand(binary() + " inspect " + fixture("torch21_record.ts"));
  CHECK(r21.status == 0);
  CHECK(r21.output.find("written by PyTorch 2.1 or newer") != std::string::npos);
  CHECK(maxReadableArchiveVersion() >= 3);
  try {
    ModelRuntime::load(fixture("newer_torch.ts"));
    FAIL("a format-99 archive loaded");
  } catch (const ModelError& e) {
    CHECK(e.kind() == ModelErrorKind::NewerPyTorch);
    CHECK(std::string(e.what()).find("records format version 99") != std::string::npos);
  }
}

TEST_CASE("an export without streaming is told apart and warned about, a streaming one is not", "[models]") {
  // One call on two blocks against two calls on one block each.
  CommandResult r = runCommand(binary() + " inspect " + fixture("non_streaming_44k.ts"));
  INFO(r.output);
  CHECK(r.status == 0);  // it plays, but the performer is told
  CHECK(r.output.find("looks exported without streaming") != std::string::npos);
  CHECK(r.output.find("rave export --streaming") != std::string::npos);
  for (const char* streaming : {"identity_44k.ts", "delay_44k.ts", "v1_stereo.ts", "v2_48k.ts"}) {
    r = runCommand(binary() + " inspect " + fixture(streaming));
    INFO(streaming << ": " << r.output);
    CHECK(r.status == 0);
    CHECK(r.output.find("without streaming") == std::string::npos);
  }
  r = runCommand(binary() + " inspect " + sourcePath("models/musicmill_drums.ts"));
  CHECK(r.output.find("without streaming") == std::string::npos);
  // perform and render say it too, before anything plays.
  const std::string dir = tempDir();
  AudioBuffer in;
  in.sampleRate = 44100;
  in.samples = sine(220.0, 44100, 0.3, 0.3f);
  writeWav(dir + "/in.wav", in);
  r = runCommand(binary() + " render --in " + dir + "/in.wav --out " + dir + "/out.wav --model " +
                 fixture("non_streaming_44k.ts"));
  CHECK(r.status == 0);
  CHECK(r.output.find("warning: ") != std::string::npos);
  CHECK(r.output.find("looks exported without streaming") != std::string::npos);
}
