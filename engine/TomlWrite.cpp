#include "TomlWrite.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;

namespace mm {

std::string tomlString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", c);
          out += b;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string tomlKey(const std::string& s) {
  if (s.empty()) return "\"\"";
  for (unsigned char c : s)
    if (!(std::isalnum(c) || c == '_' || c == '-')) return tomlString(s);
  return s;
}

namespace {
std::string withPoint(std::string s) {
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";  // 'n': inf/nan never reach here
  return s;
}
}  // namespace

std::string tomlFloat(float v) {
  char b[40];
  for (int precision = 6; precision <= 9; ++precision) {
    std::snprintf(b, sizeof b, "%.*g", precision, static_cast<double>(v));
    // Read back the way the reader does (as a double, then narrowed).
    if (static_cast<float>(std::strtod(b, nullptr)) == v) break;
  }
  return withPoint(b);
}

std::string tomlDouble(double v) {
  char b[40];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(b, sizeof b, "%.*g", precision, v);
    if (std::strtod(b, nullptr) == v) break;
  }
  return withPoint(b);
}

std::string pathForFile(const std::string& absolutePath, const std::string& dir) {
  if (absolutePath.empty()) return absolutePath;
  const fs::path rel = fs::path(absolutePath).lexically_relative(fs::path(dir));
  if (rel.empty()) return absolutePath;
  int ups = 0;
  for (const auto& part : rel) ups += part == "..";
  return ups <= 2 ? rel.generic_string() : absolutePath;
}

}  // namespace mm
