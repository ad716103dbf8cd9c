// The musicmill subcommands. Each returns the process exit status and prints user-facing
// errors itself (one paragraph, no stack traces).
#pragma once

#include <string>

#include "Cli.h"

namespace mm {

int runInspect(const Args& args, const char* argv0);
int runRender(const Args& args, const char* argv0);
int runParams(const Args& args, const char* argv0);
int runDevices(const Args& args);
int runPerform(const Args& args, const char* argv0);
int runLearn(const Args& args, const char* argv0);
int runDemo(const Args& args, const char* argv0);
int runTriggers(const Args& args);  // TriggersCommand.cpp: learn | classify | show

// Writes text to a temporary file beside `path`, then renames it over `path`.
bool writeFileAtomically(const std::string& path, const std::string& text);

// Applies every --set id=value; prints the first problem and returns false.
class ParameterRegistry;
bool applySetOptions(const Args& args, ParameterRegistry& registry);

}  // namespace mm
