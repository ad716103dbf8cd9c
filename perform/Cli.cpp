#include "Cli.h"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace fs = std::filesystem;

namespace mm {

bool Args::has(const std::string& f) const {
  for (const auto& x : flags)
    if (x == f) return true;
  return false;
}

std::optional<std::string> Args::get(const std::string& key) const {
  auto it = options.find(key);
  if (it == options.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::string Args::get(const std::string& key, const std::string& fallback) const {
  auto v = get(key);
  return v ? *v : fallback;
}

std::vector<std::string> Args::all(const std::string& key) const {
  auto it = options.find(key);
  return it == options.end() ? std::vector<std::string>{} : it->second;
}

int Args::getInt(const std::string& key, int fallback) const {
  auto v = get(key);
  if (!v) return fallback;
  char* end = nullptr;
  const long x = std::strtol(v->c_str(), &end, 10);
  if (end == v->c_str() || *end != '\0')
    throw std::invalid_argument("--" + key + " '" + *v + "' is not a whole number");
  return static_cast<int>(x);
}

double Args::getDouble(const std::string& key, double fallback) const {
  auto v = get(key);
  if (!v) return fallback;
  char* end = nullptr;
  const double x = std::strtod(v->c_str(), &end);
  if (end == v->c_str() || *end != '\0')
    throw std::invalid_argument("--" + key + " '" + *v + "' is not a number");
  return x;
}

Args parseArgs(int argc, char** argv, const std::vector<std::string>& valueOptions) {
  Args a;
  int i = 1;
  if (i < argc && argv[i][0] != '-') a.command = argv[i++];
  for (; i < argc; ++i) {
    std::string s = argv[i];
    if (s.rfind("--", 0) == 0 && s.size() > 2) {
      std::string key = s.substr(2), value;
      const auto eq = key.find('=');
      bool inlineValue = false;
      if (eq != std::string::npos && key != "set") {
        value = key.substr(eq + 1);
        key = key.substr(0, eq);
        inlineValue = true;
      }
      bool takesValue = false;
      for (const auto& v : valueOptions) takesValue |= (v == key);
      if (takesValue) {
        if (!inlineValue) {
          if (i + 1 >= argc) throw std::invalid_argument("--" + key + " needs a value");
          value = argv[++i];
        }
        a.options[key].push_back(value);
      } else {
        a.flags.push_back(key);
      }
    } else if (s == "-h") {
      a.flags.push_back("help");
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

std::string bundledModelPath(const char* argv0) {
  if (const char* env = std::getenv("MUSICMILL_MODEL")) return env;
  const std::string name = "models/musicmill_drums.ts";
  std::error_code ec;
  fs::path exe = fs::weakly_canonical(fs::path(argv0), ec);
  if (!ec && exe.has_parent_path()) {
    const fs::path p = exe.parent_path().parent_path() / name;
    if (fs::exists(p, ec)) return p.string();
  }
#ifdef MM_SOURCE_DIR
  const fs::path src = fs::path(MM_SOURCE_DIR) / name;
  if (fs::exists(src, ec)) return src.string();
#endif
  return name;
}

}  // namespace mm
