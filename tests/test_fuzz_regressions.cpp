// What the fuzzers in fuzz/ found, kept as tests against the real parsers in the normal
// build, and a replay of every checked-in fuzz seed (fuzz/corpus/*/) through the parser
// it is for: each input is either accepted or refused with a message naming the file.
#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "MappingFile.h"
#include "MidiTestSupport.h"
#include "ModelInterface.h"
#include "ModelMetadataText.h"
#include "OscServer.h"
#include "Parameters.h"
#include "PresetFile.h"
#include "SetList.h"
#include "StandardMidiFile.h"
#include "TestSupport.h"
#include "TriggerProfile.h"

using namespace mm;
using namespace mmtest;
namespace fs = std::filesystem;

namespace {

std::string bytesOf(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

std::string writeBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  return path;
}

bool startsWith(const std::string& s, const std::string& head) { return s.rfind(head, 0) == 0; }

// Every problem names `file`; a refused file has at least one error.
void checkLoadReport(const LoadReport& report, bool loaded) {
  INFO(report.text());
  for (const auto& p : report.problems()) {
    CHECK(!p.file.empty());
    CHECK(!p.message.empty());
  }
  if (!loaded) CHECK(report.errorCount() > 0);
}

void checkText(const std::string& name, const std::string& text) {
  const auto registry = makeStandardRegistry(8);
  // MIDI mapping (mappings/MappingFile.cpp)
  LoadReport mr;
  const auto map = parseMappingText(text, name, *registry, mr);
  checkLoadReport(mr, map.has_value());
  for (const Problem& p : mr.problems()) CHECK(p.file == name);
  // Trigger profile (input/TriggerProfile.cpp)
  TriggerProfile tp;
  LoadReport tr;
  const bool profileLoaded = parseTriggerProfile(text, name, tp, tr);
  checkLoadReport(tr, profileLoaded);
  for (const Problem& p : tr.problems()) CHECK(p.file == name);
  // Preset and set list (sets/*Reader.cpp through TomlRead.cpp), from a file
  const std::string path = writeBytes(tempDir() + "/" + name, text);
  LoadReport pr;
  const auto preset = loadPreset(path, pr, PresetChecks{registry.get()});
  checkLoadReport(pr, preset.has_value());
  LoadReport sr;
  const auto set = loadSetList(path, sr, registry.get());
  checkLoadReport(sr, set.has_value());
}

}  // namespace

// fuzz_osc: liblo hands out arguments where the packet has them, 4-byte aligned; reading
// a float, double or int64 through the 8-byte lo_arg union there was undefined behaviour
// (UBSan: misaligned member access, mappings/OscServer.cpp numberArg). Values must arrive
// exactly whatever the offset.
TEST_CASE("fuzz: OSC numbers at 4-byte offsets are read exactly", "[fuzz][osc]") {
  auto reg = makeStandardRegistry(4);
  OscServer server(*reg);
  REQUIRE(server.start("127.0.0.1", 0).empty());
  OscProbe probe(server.port());
  // The packet fuzz_osc stopped on: /musicmill/latent/scale ,ff 1.0 1.5.
  const std::string scale("/musicmill/latent/scale\0,ff\0\x3f\x80\0\0\x3f\xc0\0\0", 36);
  probe.sendRaw(scale.data(), scale.size());
  CHECK(probe.waitValue("dim.0.scale", 1.0) == Approx(1.0));
  CHECK(probe.waitValue("dim.1.scale", 1.5) == Approx(1.5));
  // A double after a 23-byte address: its 8 bytes start at offset 28.
  std::string dbl("/musicmill/param/chaos\0\0,d\0\0", 28);
  const double quarter = 0.25;
  uint64_t bits;
  std::memcpy(&bits, &quarter, 8);
  for (int i = 7; i >= 0; --i) dbl += static_cast<char>((bits >> (8 * i)) & 0xFF);
  probe.sendRaw(dbl.data(), dbl.size());
  CHECK(probe.waitValue("chaos", 0.25) == Approx(0.25));
  // An int64 song number (offset 20).
  std::string song("/musicmill/song\0,h\0\0\0\0\0\0\0\0\0\x07", 28);
  probe.sendRaw(song.data(), song.size());
  OscRequest r;
  REQUIRE(waitUntil([&] { return server.drainRequests(&r, 1) == 1; }, 3.0));
  CHECK(r.action == MidiAction::GotoSong);
  CHECK(r.value == 7);
}

// fuzz_trigger_profile: toml++ 3.3.0 (Debian 12) reaches __builtin_unreachable for some
// non-ASCII characters where it looks for whitespace (upstream marzer/tomlplusplus #190,
// #295; the fuzz build ignores that header, fuzz/ubsan_ignorelist.txt). These inputs
// must still end in "accepted" or "refused with the file named", in all four readers.
TEST_CASE("fuzz: non-ASCII where TOML expects whitespace is refused cleanly", "[fuzz]") {
  // The input fuzz_trigger_profile stopped on (U+FEFD after `hop =`).
  checkText("fuzz_feff.toml",
            "format = 9\nfeature_set = \"old\"\n[settings]\nhop =\xef\xbb\xbd 1occ14nset_mete_rate 2\n"
            "[[class]mples = [[0, 2]!\n[param[[class]]\nname = \"a\"\n");
  checkText("fuzz_section.toml", "s = \"\"\"\\\n\xc2\xa7\"\"\"\n");  // upstream #190
  checkText("fuzz_bare_key.toml", "format = 1\n\xc3\xa9 = 1\n");
  checkText("fuzz_after_equals.toml", "format = 1\nname =\xe2\x80\x80\"x\"\n");
}

// Found while writing the fuzz targets: whole numbers were narrowed to int before the
// range check, so `note = 4294967332` (2^32 + 36) loaded as note 36, hop 2^32 + 64 as 64.
TEST_CASE("fuzz: trigger-profile numbers beyond int are refused, not wrapped", "[fuzz][triggers]") {
  TriggerProfile p;
  const std::string head = "format = 1\nfeature_set = \"mm-trigger-1\"\n";
  LoadReport r;
  CHECK_FALSE(parseTriggerProfile(head + "[[class]]\nname = \"kick\"\nnote = 4294967332\n", "wrap.toml", p, r));
  CHECK(startsWith(r.text(), "wrap.toml:5: error: note (MIDI note) = 4294967332 is out of range; it must lie in 0 .. 127"));
  LoadReport r2;
  CHECK_FALSE(parseTriggerProfile(head + "[settings]\nhop = 4294967360\n", "wrap.toml", p, r2));
  CHECK(startsWith(r2.text(), "wrap.toml:4: error: hop = 4294967360 is out of range"));
}

// Every checked-in seed goes through the parser it seeds, as the program reads it.
TEST_CASE("fuzz: every fuzz corpus file is accepted or refused with a message", "[fuzz]") {
  const fs::path corpus = fs::path(MM_SOURCE_DIR) / "fuzz" / "corpus";
  REQUIRE(fs::is_directory(corpus));
  const auto registry = makeStandardRegistry(8);
  int files = 0;
  std::unique_ptr<ParameterRegistry> oscReg = makeStandardRegistry(8);
  OscServer server(*oscReg);
  REQUIRE(server.start("127.0.0.1", 0).empty());
  OscProbe probe(server.port());
  for (const auto& dir : fs::directory_iterator(corpus)) {
    const std::string target = dir.path().filename().string();
    for (const auto& entry : fs::directory_iterator(dir.path())) {
      const std::string path = entry.path().string();
      INFO(target << ": " << path);
      ++files;
      if (target == "setlist") {
        LoadReport r;
        const auto set = loadSetList(path, r, registry.get());
        checkLoadReport(r, set.has_value());
      } else if (target == "preset") {
        LoadReport r;
        const auto preset = loadPreset(path, r, PresetChecks{registry.get()});
        checkLoadReport(r, preset.has_value());
      } else if (target == "mapping") {
        LoadReport r;
        const auto map = loadMappingFile(path, *registry, r);
        checkLoadReport(r, map.has_value());
        for (const Problem& e : r.problems()) CHECK(e.file == path);
      } else if (target == "trigger_profile") {
        TriggerProfile p;
        LoadReport r;
        const bool loaded = loadTriggerProfile(path, p, r);
        checkLoadReport(r, loaded);
        for (const Problem& e : r.problems()) CHECK(e.file == path);
      } else if (target == "midi_file") {
        try {
          const MidiFileData f = readMidiFile(path);
          CHECK(f.tracks > 0);
        } catch (const MidiFileError& e) {
          CHECK(startsWith(e.what(), path + ":"));
        }
      } else if (target == "model_metadata") {
        try {
          const ModelInfo info = interpretModelInterface(path, parseModelMetadataText(bytesOf(entry.path())));
          CHECK(info.ratio >= 1);
          CHECK(info.sampleRate >= 8000);
        } catch (const ModelError& e) {
          CHECK(startsWith(e.what(), "Model file '" + path + "'"));
        }
      } else if (target == "osc") {
        const std::string packet = bytesOf(entry.path());
        probe.sendRaw(packet.data(), packet.size());
        // The server still answers after it (and queued nothing malformed).
        REQUIRE(probe.get("energy"));
        std::string errors[16];
        while (size_t n = server.drainErrors(errors, 16))
          for (size_t i = 0; i < n; ++i) CHECK(startsWith(errors[i], "OSC: "));
        OscRequest req[16];
        while (server.drainRequests(req, 16)) {
        }
        probe.clear();
      } else {
        FAIL("fuzz/corpus/" << target << " has no parser in this test: add it");
      }
    }
  }
  CHECK(files >= 40);
}

// Found by fuzz_trigger_profile on 2026-12-06: a class name holding tabs and U+007F was
// loaded, then written with the tabs dropped and U+007F raw (which TOML forbids in a
// string), so the saved profile did not load again. The writer now escapes them (one
// TOML string writer for every file kind, engine/TomlWrite) and the name survives.
TEST_CASE("fuzz: a trigger class name with control characters survives a save and a load", "[fuzz][triggers]") {
  const std::string text =
      "format = 1\nfeature_set = \"mm-trigger-1\"\n[[class]]\nname = \"k\t\t\\u007f\tlfo.1.rateat\"\n";
  TriggerProfile p;
  LoadReport r;
  REQUIRE(parseTriggerProfile(text, "fuzz_del.toml", p, r));
  REQUIRE(p.classes.size() == 1);
  CHECK(p.classes[0].name == "k\t\t\x7f\tlfo.1.rateat");
  TriggerProfile again;
  const std::string written = triggerProfileToToml(p);
  INFO(written);
  LoadReport r2;
  REQUIRE(parseTriggerProfile(written, "again.toml", again, r2));
  CHECK(again.classes[0].name == p.classes[0].name);
}
