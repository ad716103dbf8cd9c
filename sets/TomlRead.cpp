#include "TomlRead.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace mm {

void TomlSource::error(const toml::node& n, const std::string& message) const {
  error(lineOf(n), message);
}
void TomlSource::warn(const toml::node& n, const std::string& message) const {
  warn(lineOf(n), message);
}
void TomlSource::error(int line, const std::string& message) const {
  if (report) report->error(file, line, message);
}
void TomlSource::warn(int line, const std::string& message) const {
  if (report) report->warn(file, line, message);
}

std::optional<toml::table> readTomlFile(const std::string& path, LoadReport& report) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    report.error(path, 0, "no such file. Check the path (relative paths are taken from the file that names them).");
    return std::nullopt;
  }
  if (fs::is_directory(path, ec)) {
    report.error(path, 0, "is a folder, not a preset or set-list file.");
    return std::nullopt;
  }
  const auto size = fs::file_size(path, ec);
  if (ec) {
    report.error(path, 0, "cannot read its size: " + ec.message());
    return std::nullopt;
  }
  if (size > kMaxSetFileBytes) {
    std::ostringstream m;
    m.precision(1);
    m << std::fixed << "is " << static_cast<double>(size) / (1 << 20)
      << " MiB; a preset or set list is at most " << (kMaxSetFileBytes >> 20)
      << " MiB of text. Is this the right file?";
    report.error(path, 0, m.str());
    return std::nullopt;
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    report.error(path, 0, "cannot be opened (permissions?).");
    return std::nullopt;
  }
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    report.error(path, 1, "the file is empty. A preset or set list starts with `format = 1`; see sets/README.md.");
    return std::nullopt;
  }
  // toml++ would also reject a NUL byte, but "binary data" says more than a syntax error
  // at some column of line 1 when someone passed a model or audio file by mistake.
  const auto nul = text.find('\0');
  if (nul != std::string::npos) {
    const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(nul), '\n'));
    report.error(path, line, "contains binary data (a NUL byte), so it is not a TOML text file. Was a model or audio file given instead of a preset or set list?");
    return std::nullopt;
  }
  try {
    return toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    report.error(path, static_cast<int>(e.source().begin.line),
                 "TOML syntax: " + std::string(e.description()) + " (column " +
                     std::to_string(e.source().begin.column) + ")");
  } catch (const std::exception& e) {
    report.error(path, 0, std::string("cannot be parsed: ") + e.what());
  }
  return std::nullopt;
}

std::string describe(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "true/false";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "nothing";
  }
}

void warnUnknownKeys(const toml::table& table, std::initializer_list<const char*> known,
                     const TomlSource& src, const std::string& where) {
  for (auto&& [k, v] : table) {
    bool ok = false;
    for (const char* name : known) ok = ok || k.str() == name;
    if (!ok) {
      const int line = k.source().begin.line ? static_cast<int>(k.source().begin.line) : TomlSource::lineOf(v);
      src.warn(line, "unknown key '" + std::string(k.str()) + "' in " + where + " (ignored). Known keys:" +
                         [&] {
                           std::string s;
                           for (const char* name : known) s += std::string(" ") + name;
                           return s;
                         }());
    }
  }
}

std::optional<std::string> readString(const toml::table& t, const char* key, const TomlSource& src,
                                      const std::string& where) {
  const toml::node* n = t.get(key);
  if (!n) return std::nullopt;
  if (!n->is_string()) {
    src.error(*n, where + ": '" + key + "' must be a string in quotes, not " + describe(*n));
    return std::nullopt;
  }
  return n->value<std::string>();
}

std::optional<double> numberValue(const toml::node& n, const TomlSource& src, const std::string& what) {
  if (!n.is_number()) {
    src.error(n, what + " must be a number, not " + describe(n));
    return std::nullopt;
  }
  const double v = *n.value<double>();
  if (!std::isfinite(v)) {
    src.error(n, what + " is " + (std::isnan(v) ? "nan" : "infinite") + "; it must be a finite number");
    return std::nullopt;
  }
  return v;
}

std::optional<double> readNumber(const toml::table& t, const char* key, const TomlSource& src,
                                 const std::string& where, double lo, double hi) {
  const toml::node* n = t.get(key);
  if (!n) return std::nullopt;
  const auto v = numberValue(*n, src, where + ": '" + key + "'");
  if (!v) return std::nullopt;
  if (*v < lo || *v > hi) {
    std::ostringstream m;
    m << where << ": '" << key << "' = " << *v << " is out of range; it must lie in " << lo << " .. " << hi;
    src.error(*n, m.str());
    return std::nullopt;
  }
  return v;
}

std::optional<long long> readInteger(const toml::table& t, const char* key, const TomlSource& src,
                                     const std::string& where, long long lo, long long hi) {
  const toml::node* n = t.get(key);
  if (!n) return std::nullopt;
  if (!n->is_integer()) {
    src.error(*n, where + ": '" + key + "' must be a whole number, not " + describe(*n));
    return std::nullopt;
  }
  const long long v = *n->value<long long>();
  if (v < lo || v > hi) {
    src.error(*n, where + ": '" + key + "' = " + std::to_string(v) + " is out of range; it must lie in " +
                      std::to_string(lo) + " .. " + std::to_string(hi));
    return std::nullopt;
  }
  return v;
}

bool checkFormat(const toml::table& t, const TomlSource& src, int expected, bool required) {
  const toml::node* n = t.get("format");
  if (!n) {
    if (required)
      src.error(1, "no format version: the file must say `format = " + std::to_string(expected) +
                       "` (see sets/README.md)");
    return !required;
  }
  if (!n->is_integer()) {
    src.error(*n, "'format' must be the whole number " + std::to_string(expected) + ", not " + describe(*n));
    return false;
  }
  const long long v = *n->value<long long>();
  if (v != expected) {
    src.error(*n, "format " + std::to_string(v) + " is not supported: this MusicMill reads format " +
                      std::to_string(expected) +
                      (v > expected ? " (the file was written by a newer version; update MusicMill)" : ""));
    return false;
  }
  return true;
}

std::string resolvePath(const std::string& written, const std::string& baseDir) {
  fs::path p(written);
  if (p.is_relative()) p = fs::path(baseDir) / p;
  return p.lexically_normal().string();
}

}  // namespace mm
