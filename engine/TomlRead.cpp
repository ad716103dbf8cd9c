#include "TomlRead.h"

#include <algorithm>
#include <cctype>
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

const TomlFileKind kSetFileKind{"a preset or set list", "`format = 1` (see sets/README.md)",
                                " (relative paths are taken from the file that names them).", kMaxSetFileBytes};

std::optional<toml::table> readTomlFile(const std::string& path, LoadReport& report, const TomlFileKind& kind) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    report.error(path, 0, std::string("no such file. Check the path") + kind.missingHint);
    return std::nullopt;
  }
  if (fs::is_directory(path, ec)) {
    report.error(path, 0, std::string("is a folder, not ") + kind.what + " file.");
    return std::nullopt;
  }
  const auto size = fs::file_size(path, ec);
  if (ec) {
    report.error(path, 0, "cannot read its size: " + ec.message());
    return std::nullopt;
  }
  if (size > kind.maxBytes) {
    std::ostringstream m;
    m.precision(1);
    m << std::fixed << "is " << static_cast<double>(size) / (1 << 20) << " MiB; " << kind.what << " is at most "
      << static_cast<double>(kind.maxBytes) / (1 << 20) << " MiB of text. Is this the right file?";
    report.error(path, 0, m.str());
    return std::nullopt;
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    report.error(path, 0, "cannot be opened (permissions?).");
    return std::nullopt;
  }
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return parseTomlText(text, path, report, kind);
}

std::optional<toml::table> parseTomlText(const std::string& text, const std::string& file, LoadReport& report,
                                         const TomlFileKind& kind) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    std::string what = kind.what;
    if (!what.empty()) what[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(what[0])));
    report.error(file, 1, "the file is empty. " + what + " starts with " + kind.start + ".");
    return std::nullopt;
  }
  // toml++ would also reject a NUL byte, but "binary data" says more than a syntax error
  // at some column of line 1 when someone passed a model or audio file by mistake.
  const auto nul = text.find('\0');
  if (nul != std::string::npos) {
    const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(nul), '\n'));
    report.error(file, line,
                 std::string("contains binary data (a NUL byte), so it is not a TOML text file. Was a model or audio "
                             "file given instead of ") + kind.what + "?");
    return std::nullopt;
  }
  try {
    return toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    report.error(file, static_cast<int>(std::max<size_t>(1, e.source().begin.line)),
                 "TOML syntax: " + std::string(e.description()) + " (column " +
                     std::to_string(e.source().begin.column) + ")");
  } catch (const std::exception& e) {
    report.error(file, 0, std::string("cannot be parsed: ") + e.what());
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
  return stringValue(*n, src, where + ": '" + key + "'");
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

std::optional<long long> integerValue(const toml::node& n, const TomlSource& src, const std::string& what,
                                      long long lo, long long hi) {
  if (!n.is_integer()) {
    src.error(n, what + " must be a whole number (" + std::to_string(lo) + " .. " + std::to_string(hi) + "), not " +
                     describe(n));
    return std::nullopt;
  }
  const long long v = *n.value<long long>();
  if (v < lo || v > hi) {
    src.error(n, what + " = " + std::to_string(v) + " is out of range; it must lie in " + std::to_string(lo) +
                     " .. " + std::to_string(hi));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> booleanValue(const toml::node& n, const TomlSource& src, const std::string& what) {
  if (auto b = n.value_exact<bool>()) return *b;
  src.error(n, what + " must be true or false, not " + describe(n));
  return std::nullopt;
}

std::optional<std::string> stringValue(const toml::node& n, const TomlSource& src, const std::string& what) {
  if (auto s = n.value_exact<std::string>()) return *s;
  src.error(n, what + " must be a string in quotes, not " + describe(n));
  return std::nullopt;
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
  return integerValue(*n, src, where + ": '" + key + "'", lo, hi);
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
