// `musicmill models`: the model library (engine/ModelLibrary.h): every model with what it
// is and what it costs here, and `models add FILE [--name N]`.
//
// The compute per frame is measured once per file and device and kept in the figures
// cache (ModelLibrary.h: readModelFigures), so listing a library of big models is quick
// the second time and a replaced file is measured again.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "AtomicFile.h"
#include "Commands.h"
#include "FrameProcessor.h"
#include "Json.h"
#include "ModelLibrary.h"
#include "ModelRuntime.h"

namespace fs = std::filesystem;

namespace mm {

// Median time of one model block (the live default) through encode + decode, per latent
// frame, after a warm-up, in ms.
double measureMsPerFrame(ModelRuntime& model) {
  const ModelInfo& i = model.info();
  const int frames = defaultFramesPerBlock(i.ratio);
  const int n = frames * i.ratio;
  std::vector<float> in(static_cast<size_t>(n) * i.inChannels), z(static_cast<size_t>(frames) * i.latentSize),
      out(static_cast<size_t>(n) * i.outChannels);
  for (size_t k = 0; k < in.size(); ++k) in[k] = 0.1f * static_cast<float>(std::sin(0.05 * static_cast<double>(k)));
  std::vector<double> ms;
  for (int call = 0; call < 13; ++call) {
    const auto t0 = std::chrono::steady_clock::now();
    model.encode(in.data(), n, z.data());
    model.decode(z.data(), frames, out.data());
    const double took = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (call >= 3) ms.push_back(took);  // the first calls warm caches and allocators
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2] / frames;
}

namespace {


std::string today() {
  const std::time_t t = std::time(nullptr);
  char b[32];
  std::strftime(b, sizeof b, "%Y-%m-%d", std::gmtime(&t));
  return b;
}

std::string sizeText(uint64_t bytes) {
  char b[32];
  if (bytes >= 1000000) std::snprintf(b, sizeof b, "%.1f MB", bytes / 1e6);
  else std::snprintf(b, sizeof b, "%.0f kB", bytes / 1e3);
  return b;
}

std::string msText(double ms) {
  char b[32];
  if (ms < 0.01) std::snprintf(b, sizeof b, "%.1f us", ms * 1000.0);
  else std::snprintf(b, sizeof b, "%.3f ms", ms);
  return b;
}

std::string channelsText(int n) { return n == 2 ? "stereo" : n == 1 ? "mono" : std::to_string(n) + " ch"; }

int listModels(const Args& args, const char* argv0) {
  const ModelLibrary library = modelLibraryFor(args, argv0);
  std::vector<std::string> problems;
  const std::vector<LibraryEntry> entries = library.list(&problems);
  ModelRuntime::Options opt;
  opt.device = args.get("device", "cpu");
  opt.executor = executorOption(args);
  opt.weights = weightsOption(args);
  opt.checkStreaming = true;
  std::vector<ModelFigure> cache = readModelFigures();
  bool cacheChanged = false;
  const bool json = args.has("json");
  JsonWriter j;
  if (json) j.beginObject().key("folders").beginArray();
  for (const std::string& f : library.folders())
    if (json) j.value(f);
  if (json) j.endArray().key("models").beginArray();
  if (!json) {
    std::printf("model library (first folder wins a name):");
    for (const std::string& f : library.folders()) std::printf("\n  %s", f.c_str());
    std::printf("\n\n");
  }
  int good = 0, bad = 0;
  for (const LibraryEntry& e : entries) {
    if (!e.hiddenBy.empty()) {
      if (json)
        j.beginObject().key("name").value(e.name).key("file").value(e.path).key("ok").value(false).key("hidden_by")
            .value(e.hiddenBy).endObject();
      else
        std::printf("%s  %s\n  hidden: %s has the same name and comes first\n\n", e.name.c_str(), e.path.c_str(),
                    e.hiddenBy.c_str());
      continue;
    }
    std::unique_ptr<ModelRuntime> model;
    std::string error, errorKind;
    try {
      model = ModelRuntime::load(e.path, opt);
    } catch (const ModelError& x) {
      error = x.what();
      errorKind = toString(x.kind());
    } catch (const std::exception& x) {
      error = x.what();
      errorKind = "load-failed";
    }
    if (!model) {
      ++bad;
      if (json)
        j.beginObject().key("name").value(e.name).key("file").value(e.path).key("ok").value(false).key("error")
            .value(errorKind).key("message").value(error).endObject();
      else
        std::printf("%s  %s\n  cannot be used: %s\n\n", e.name.c_str(), e.path.c_str(), error.c_str());
      continue;
    }
    ++good;
    const ModelInfo& i = model->info();
    // The measured figure: from the cache when the file is the one measured.
    double msPerFrame = -1;
    std::string measured;
    // Figures are kept per device and executor ("cpu/native"): each costs differently.
    const std::string where = i.device + "/" + i.executor + (i.bf16Weights ? "/bf16" : "");
    for (const ModelFigure& x : cache)
      if (x.path == e.path && x.bytes == e.bytes && x.modifiedNs == e.modifiedNs && x.device == where) {
        msPerFrame = x.msPerFrame;
        measured = x.when + ", cached";
      }
    if (msPerFrame < 0) {
      try {
        msPerFrame = measureMsPerFrame(*model);
        measured = today();
        cache.erase(std::remove_if(cache.begin(), cache.end(),
                                   [&](const ModelFigure& x) { return x.path == e.path && x.device == where; }),
                    cache.end());
        cache.push_back({e.path, where, measured, e.bytes, e.modifiedNs, msPerFrame});
        cacheChanged = true;
      } catch (const std::exception& x) {
        measured = std::string("not measured: ") + x.what();
      }
    }
    const double frameMs = 1000.0 * i.ratio / i.sampleRate;
    const bool realTime = msPerFrame >= 0 && msPerFrame < frameMs;
    if (json) {
      j.beginObject()
          .key("name").value(e.name)
          .key("file").value(e.path)
          .key("ok").value(true)
          .key("bundled").value(e.bundled)
          .key("bytes").value(static_cast<double>(e.bytes))
          .key("compute_ms_per_frame").value(msPerFrame)
          .key("real_time").value(realTime);
      modelInfoJson(j, i);
      j.endObject();
      continue;
    }
    std::printf("%s%s  %s\n", e.name.c_str(), e.bundled ? " (bundled)" : "", e.path.c_str());
    std::printf("  RAVE v%d, %d Hz, ratio %d (%.2f ms a frame), latent %d, %s in, %s out, prior %s, streaming %s\n",
                i.interfaceVersion, i.sampleRate, i.ratio, frameMs, i.latentSize, channelsText(i.inChannels).c_str(),
                channelsText(i.outChannels).c_str(), i.hasPrior ? "yes" : "no",
                i.streaming < 0 ? "not checked" : i.streaming ? "yes" : "NO (it will click at block edges)");
    std::string attributes;
    for (const ModelAttribute& a : i.attributes) attributes += (attributes.empty() ? "" : ", ") + describeAttribute(a);
    std::printf("  attributes: %s\n", attributes.empty() ? "none" : attributes.c_str());
    std::printf("  %.2f M parameters, %s on disk, archive format %d (this LibTorch reads up to %d), written by %s\n",
                static_cast<double>(i.parameterCount) / 1e6, sizeText(e.bytes).c_str(), i.archiveVersion,
                maxReadableArchiveVersion(), i.writtenBy.empty() ? "an unknown writer" : i.writtenBy.c_str());
    if (msPerFrame >= 0)
      std::printf("  compute %s a frame on %s (%s): %s\n", msText(msPerFrame).c_str(), where.c_str(), measured.c_str(),
                  realTime ? "faster than real time here"
                           : "SLOWER than real time here: it will not keep up live on this machine");
    else
      std::printf("  compute %s\n", measured.c_str());
    for (const auto& w : i.warnings) std::printf("  warning: %s\n", w.c_str());
    std::printf("\n");
  }
  if (json) {
    j.endArray().key("problems").beginArray();
    for (const std::string& p : problems) j.value(p);
    j.endArray().endObject();
    std::cout << j.str() << "\n";
  } else {
    for (const std::string& p : problems) std::printf("folder %s\n", p.c_str());
    std::printf("%d model(s) ready, %d file(s) that cannot be used. `musicmill models add FILE` adds one;\n"
                "--model NAME, --model-b NAME and `model = \"NAME\"` in presets and set lists name them.\n",
                good, bad);
  }
  if (cacheChanged) writeModelFigures(cache);
  return 0;
}

bool goodName(const std::string& name) {
  if (name.empty() || name.size() > 64 || name[0] == '.' || name[0] == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

int addModel(const Args& args, const std::string& file) {
  const std::string name = args.get("name", libraryName(fs::path(file).filename().string(), false));
  if (!goodName(name)) {
    std::cerr << "musicmill models add: '" << name
              << "' cannot be a model name: use letters, digits, '-', '_' or '.' (at most 64), e.g. --name my_kit\n";
    return 2;
  }
  // Checked fully, as `inspect` does: a file that would not play is not added.
  ModelRuntime::Options opt;
  opt.device = "cpu";
  try {
    ModelRuntime::load(file, opt);
  } catch (const ModelError& e) {
    std::cerr << "musicmill models add: " << e.what() << "\nNothing was added.\n";
    return 2;
  }
  const fs::path dir = ModelLibrary::userDir();
  const fs::path dest = dir / (name + ".ts");
  std::error_code ec;
  if (fs::exists(dest, ec)) {
    std::cerr << "musicmill models add: the library already has a model named '" << name << "' (" << dest.string()
              << "); --name gives this one another name\n";
    return 2;
  }
  fs::create_directories(dir, ec);
  if (ec) {
    std::cerr << "musicmill models add: cannot make the library folder " << dir.string() << ": " << ec.message() << "\n";
    return 2;
  }
  std::ifstream in(file, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in.good() && !in.eof()) {
    std::cerr << "musicmill models add: cannot read " << file << "\n";
    return 2;
  }
  // Written under a temporary name and renamed: the library never holds half a file.
  if (const std::string err = writeTextAtomically(dest.string(), bytes.str()); !err.empty()) {
    std::cerr << "musicmill models add: " << err << "\nNothing was added.\n";
    return 2;
  }
  std::printf("added %s as '%s' (%s): --model %s plays it\n", file.c_str(), name.c_str(), dest.string().c_str(),
              name.c_str());
  return 0;
}

}  // namespace

int runModels(const Args& args, const char* argv0) {
  if (args.positional.empty()) return listModels(args, argv0);
  if (args.positional[0] != "add" || args.positional.size() != 2) {
    std::cerr << "musicmill models: `musicmill models` lists the library; `musicmill models add FILE [--name N]` adds "
                 "a model to it\n";
    return 2;
  }
  return addModel(args, args.positional[1]);
}

}  // namespace mm
