// Command-line parsing shared by every musicmill subcommand.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mm {

struct Args {
  std::string command;
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> options;  // --key value (repeatable)
  std::vector<std::string> flags;                            // --flag

  bool has(const std::string& flag) const;
  std::optional<std::string> get(const std::string& key) const;
  std::string get(const std::string& key, const std::string& fallback) const;
  std::vector<std::string> all(const std::string& key) const;
  // Throws std::invalid_argument naming the option when it is not an integer / number.
  int getInt(const std::string& key, int fallback) const;
  double getDouble(const std::string& key, double fallback) const;
};

// `valueOptions` lists options that take a value; anything else starting with -- is a flag.
Args parseArgs(int argc, char** argv, const std::vector<std::string>& valueOptions);

// The bundled model: $MUSICMILL_MODEL, else models/musicmill_drums.ts next to the build
// folder, else in the source tree this binary was built from.
std::string bundledModelPath(const char* argv0);

}  // namespace mm
