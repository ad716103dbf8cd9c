// TomlRead: the checked reading of TOML shared by the readers of every file kind the
// performer writes (presets and set lists in sets/, MIDI mappings in mappings/, trigger
// profiles in input/). Every problem goes into a LoadReport with the file and the line of
// the offending node (toml++ keeps the source position of every node), and nothing here
// throws or crashes on bad input: a wrong type, a NaN or a missing key is a message, never
// an exception.
//
// Only the readers include it (it exposes toml++); threads: whichever thread loads.
#pragma once

#include <toml++/toml.h>

#include <initializer_list>
#include <optional>
#include <string>

#include "LoadReport.h"

namespace mm {

// What a kind of file is, for the messages about the file as a whole.
struct TomlFileKind {
  const char* what;         // "a preset or set list", "a mapping", ...
  const char* start;        // how such a file starts, e.g. "`format = 1` (see sets/README.md)"
  const char* missingHint;  // after "no such file. Check the path"
  // Files larger than this are refused before parsing: a multi-megabyte file is a mistake
  // (a WAV dropped in, a runaway generator) that should not stall the show while it parses.
  size_t maxBytes;
};
// Presets and set lists: a preset with full pattern memory is well under 1 MiB.
extern const TomlFileKind kSetFileKind;
constexpr size_t kMaxSetFileBytes = 8u << 20;

// Where the values being read came from: the file (for messages) and the folder that
// relative paths are resolved against.
struct TomlSource {
  std::string file;     // as shown in messages
  std::string baseDir;  // absolute folder for relative paths
  LoadReport* report = nullptr;

  static int lineOf(const toml::node& n) { return static_cast<int>(n.source().begin.line); }
  void error(const toml::node& n, const std::string& message) const;
  void warn(const toml::node& n, const std::string& message) const;
  void error(int line, const std::string& message) const;
  void warn(int line, const std::string& message) const;
};

// Reads and parses a whole file. On any failure (missing, unreadable, too large, binary,
// empty, bad syntax) reports why with the line and returns nothing.
std::optional<toml::table> readTomlFile(const std::string& path, LoadReport& report,
                                        const TomlFileKind& kind = kSetFileKind);
// The same for text already in memory (`file` names it in messages).
std::optional<toml::table> parseTomlText(const std::string& text, const std::string& file, LoadReport& report,
                                         const TomlFileKind& kind);

// "a string", "an integer", ... for messages.
std::string describe(const toml::node& n);

// Warns about every key of `table` that is not in `known` (`where` names the section).
void warnUnknownKeys(const toml::table& table, std::initializer_list<const char*> known,
                     const TomlSource& src, const std::string& where);

// Typed getters. A missing key returns nothing silently (callers decide whether it is
// required); a present key of the wrong type, or a number that is not finite or out of
// [lo, hi], is reported as an error and returns nothing.
std::optional<std::string> readString(const toml::table& t, const char* key, const TomlSource& src,
                                      const std::string& where);
std::optional<double> readNumber(const toml::table& t, const char* key, const TomlSource& src,
                                 const std::string& where, double lo, double hi);
std::optional<long long> readInteger(const toml::table& t, const char* key, const TomlSource& src,
                                     const std::string& where, long long lo, long long hi);
// A number node (integer or float) as a finite double; reports otherwise.
std::optional<double> numberValue(const toml::node& n, const TomlSource& src, const std::string& what);
// A whole number in [lo, hi] (checked before any narrowing); reports otherwise.
std::optional<long long> integerValue(const toml::node& n, const TomlSource& src, const std::string& what,
                                      long long lo, long long hi);
std::optional<bool> booleanValue(const toml::node& n, const TomlSource& src, const std::string& what);
std::optional<std::string> stringValue(const toml::node& n, const TomlSource& src, const std::string& what);

// Checks `format = 1`: missing, wrong type or another version is an error (returns false).
bool checkFormat(const toml::table& t, const TomlSource& src, int expected, bool required);

// Resolves a path written in a file: absolute stays, relative is taken from src.baseDir.
// The result is lexically normal (no "." or ".." parts).
std::string resolvePath(const std::string& written, const std::string& baseDir);

}  // namespace mm
