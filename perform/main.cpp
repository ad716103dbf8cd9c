// musicmill: the thin command-line front of MusicMill Live. All work happens in the
// libraries (engine, input, mappings, sets, perform).
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>

#include "Commands.h"

namespace {

void usage() {
  std::printf("MusicMill Live: a voice in, a RAVE neural audio model in the middle, drums out.\n\n"
              "usage: musicmill COMMAND [options]\n\n");
  for (const mm::CommandSpec& c : mm::commandSpecs()) {
    std::string left = "  " + c.name + (c.positional.empty() ? "" : " " + c.positional);
    if (left.size() < 26) left.resize(26, ' ');
    else left += "\n" + std::string(26, ' ');
    std::printf("%s%s\n", left.c_str(), c.summary.c_str());
  }
  std::printf("\n`musicmill COMMAND --help` lists the options of a command. An option the command\n"
              "does not know is refused (exit status 2), so a typo never plays the wrong show.\n");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    mm::Args args = mm::parseArgs(argc, argv);
    mm::resolveModelNames(args, argv[0]);  // --model drums: a library name works as a path does
    if (args.command == "perform") {
      // `perform --set GIG.toml`: a --set without '=' names a set list (issue text and
      // MainStage habit); --set id=value stays a parameter assignment.
      auto it = args.options.find("set");
      if (it != args.options.end()) {
        std::vector<std::string> assignments;
        for (const std::string& v : it->second) {
          if (v.find('=') == std::string::npos && !args.get("set-list")) args.options["set-list"] = {v};
          else assignments.push_back(v);
        }
        it = args.options.find("set");
        it->second = assignments;
      }
    }
    if (args.command.empty() || args.command == "help" || (args.command == "triggers" && args.has("help") && args.positional.empty())) {
      if (args.command == "triggers") {
        for (const char* verb : {"triggers learn", "triggers classify", "triggers show"})
          std::printf("%s\n", mm::commandHelp(*mm::findCommand(verb)).c_str());
      } else {
        usage();
      }
      return args.command.empty() && !args.has("help") ? 2 : 0;
    }
    if (args.has("help")) {
      const std::string name = args.command + (args.command == "triggers" ? " " + args.positional[0] : "");
      std::printf("%s", mm::commandHelp(*mm::findCommand(name)).c_str());
      return 0;
    }
    if (const std::string e = args.get("executor", "auto"); e != "auto" && e != "torchscript") {
      std::cerr << "musicmill " << args.command << ": --executor takes 'auto' or 'torchscript', not '" << e << "'\n";
      return 2;
    }
    if (const std::string w = args.get("weights", "fp32"); w != "fp32" && w != "bf16") {
      std::cerr << "musicmill " << args.command << ": --weights takes 'fp32' or 'bf16', not '" << w << "'\n";
      return 2;
    }
    if (args.command == "inspect") return mm::runInspect(args, argv[0]);
    if (args.command == "render") return mm::runRender(args, argv[0]);
    if (args.command == "params") return mm::runParams(args, argv[0]);
    if (args.command == "devices") return mm::runDevices(args);
    if (args.command == "perform") return mm::runPerform(args, argv[0]);
    if (args.command == "learn") return mm::runLearn(args, argv[0]);
    if (args.command == "demo") return mm::runDemo(args, argv[0]);
    if (args.command == "triggers") return mm::runTriggers(args);
    if (args.command == "check") return mm::runCheck(args, argv[0]);
    if (args.command == "models") return mm::runModels(args, argv[0]);
    if (args.command == "train") return mm::runTrain(args, argv[0]);
    std::cerr << "musicmill: unknown command '" << args.command << "'. Run `musicmill help`.\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "musicmill: " << e.what() << "\n";
    return 2;
  }
}
