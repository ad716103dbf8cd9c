// Shared helpers for the libFuzzer targets in fuzz/ (see fuzz/README.md).
//
// Parsers that only take a path get the fuzz input written to a file inside a scratch
// tree made once per process. The tree mirrors the repository where relative paths in
// the checked-in seeds point: models/musicmill_drums.ts (a stand-in, never loaded: the
// readers only check that model files exist) and sets/examples/presets/*.toml (copies of
// the shipped presets), so the seeds reach past "file does not exist" into the readers.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace fuzzsupport {

namespace fs = std::filesystem;

inline void writeFile(const std::string& path, const uint8_t* data, size_t size) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
}

// The scratch tree's root; made on first use, removed at exit.
inline const std::string& scratchRoot() {
  static const std::string root = [] {
    std::string tmpl = (fs::temp_directory_path() / "mm-fuzz-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) {
      std::perror("mkdtemp");
      std::abort();
    }
    const fs::path r(tmpl);
    fs::create_directories(r / "models");
    fs::create_directories(r / "sets/examples/presets");
    fs::create_directories(r / "sets/presets");
    fs::create_directories(r / "audio");
    std::ofstream(r / "models/musicmill_drums.ts") << "PK\x03\x04 stand-in, never loaded";
    std::ofstream(r / "audio/a.wav") << "RIFF";
    const fs::path src(MM_SOURCE_DIR);
    std::error_code ec;
    for (const char* dir : {"sets/examples/presets", "sets/presets"})
      for (const auto& e : fs::directory_iterator(src / dir, ec))
        fs::copy_file(e.path(), r / dir / e.path().filename(), fs::copy_options::overwrite_existing, ec);
    static std::string toRemove = tmpl;
    std::atexit([] {
      std::error_code ignored;
      fs::remove_all(toRemove, ignored);
    });
    return tmpl;
  }();
  return root;
}

}  // namespace fuzzsupport
