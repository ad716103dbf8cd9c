// Command-line parsing shared by every musicmill subcommand.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "ModelLibrary.h"

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

// One option a command accepts: `value` is the name shown for its value ("FILE", "N"), or
// nullptr for a flag.
struct OptionSpec {
  const char* name;
  const char* value;
  const char* help;
};

// A command, its positional arguments and every option it reads. `musicmill COMMAND
// --help` prints this table; the parser refuses anything not in it.
struct CommandSpec {
  std::string name;        // "perform", "triggers learn"
  std::string positional;  // "" (none), "[MODEL]", "PARAM|ACTION", "FILE..."
  int minPositional = 0, maxPositional = 0;  // -1: no upper bound
  std::string summary;
  std::vector<OptionSpec> options;
};

const std::vector<CommandSpec>& commandSpecs();
// "triggers" alone is not a command; "triggers learn" is.
const CommandSpec* findCommand(const std::string& name);
std::string commandHelp(const CommandSpec& spec);

// A command line that cannot be run: the message says what and how to fix it
// ("unknown option --set-lsit for perform; did you mean --set-list?"). Exit status 2.
struct UsageError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// Parses `musicmill COMMAND [VERB] ...` against the command's table: unknown commands and
// options, a missing value, a value given to a flag, a stray word or too few positional
// arguments throw UsageError. `--key=value` and `--key value` both work; `-h` is --help.
// A command line with --help is not checked further (so `perform --help` always works).
Args parseArgs(int argc, char** argv);

// The bundled model: $MUSICMILL_MODEL, else models/musicmill_drums.ts next to the build
// folder, else in the source tree this binary was built from.
std::string bundledModelPath(const char* argv0);
// A file of this installation by its path in the source tree ("models/mm_train.py"):
// beside the executable's folder, else in the source tree it was built from, else `name`.
std::string installedFile(const char* argv0, const std::string& name);
// The model library a command sees: every --models-dir, the user's library, the bundled
// models' folder (engine/ModelLibrary.h).
ModelLibrary modelLibraryFor(const Args& args, const char* argv0);
// Replaces a --model / --model-b (and inspect's MODEL) that names no file but a library
// model by that model's file. A bare word that is neither is refused (UsageError) with
// the library's close names; a path that does not exist is left to the command's message.
void resolveModelNames(Args& args, const char* argv0);

}  // namespace mm
