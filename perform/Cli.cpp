#include "Cli.h"

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "Suggest.h"

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

namespace {

using Options = std::vector<OptionSpec>;

Options join(std::initializer_list<Options> parts) {
  Options out;
  for (const Options& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

const Options kLibrary = {
    {"models-dir", "DIR", "a folder of models whose short names count as model names (repeatable; "
                          "~/.local/share/musicmill/models always does)"},
};
const Options kModel = {
    {"model", "MODEL.ts|NAME", "the model file or a library name (default: the bundled drum model, `drums`)"},
    {"models-dir", "DIR", "a folder of models whose short names count as model names (repeatable; "
                          "~/.local/share/musicmill/models always does)"},
    {"device", "D", "cpu|cuda|mps|auto (default cpu)"},
    {"threads", "N", "intra-op threads of the model (default 1)"},
    {"executor", "auto|torchscript", "auto: the bundled family runs on the native executor (default); "
                                     "torchscript: every model through TorchScript"},
    {"weights", "fp32|bf16", "bf16: the native executor reads bfloat16 weights (half the memory traffic), "
                             "refused with a warning where the output would move by more than -30 dB"},
};
const Options kPartner = {
    {"model-b", "MODEL.ts|NAME", "a second model sounding with the first (blend.output, blend.latent, b.*)"},
};
const Options kVoice = {
    {"mod", "SOURCE>TARGET:DEPTH[:opts]", "a modulation route (repeatable; mappings/README.md)"},
    {"onset-method", "M", "onset detector of the voice analysis (default hfc)"},
    {"onset-hop", "N", "its hop in samples (default 128)"},
    {"onset-threshold", "X", "its threshold (default 0.3)"},
    {"pattern", "FILE.wav", "a pattern clip for pattern slot 1"},
    {"pattern-bpm", "BPM", "the tempo the pattern clip was played at"},
};
const Options kSet = {
    {"set", "ID=VALUE", "a parameter value (repeatable; `musicmill params` lists the ids)"},
    {"attr", "NAME=VALUE", "a control the model declares itself (repeatable; `musicmill inspect` lists them)"},
};
const Options kTriggerTuning = {
    {"listen-ms", "MS", "how much of a hit the trigger classifier hears (default: the profile's)"},
    {"trigger-sensitivity", "0..1", "how far a hit must rise above what sounded before it: "
                                    "0 = 20 dB, 0.5 = 10 dB (default), 1 = any onset"},
    {"trigger-reject", "D", "ignore a hit farther than D from every example (0: never; default: the profile's)"},
};
const Options kMidiApi = {
    {"midi-api", "jack|alsa", "the MIDI system (default: jack when the audio runs on JACK)"},
    {"audio-api", "jack|alsa|pulse", "the audio system (default: the first that works)"},
};

std::vector<CommandSpec> makeSpecs() {
  std::vector<CommandSpec> c;
  c.push_back({"inspect", "[MODEL]", 0, 1, "what a model file offers (rate, ratio, latent size, ...)",
               join({kModel, {{"json", nullptr, "print JSON"}}})});
  c.push_back({"params", "", 0, 0, "every parameter id, range and default",
               join({kModel})});
  c.push_back({"render", "", 0, 0, "run a file through the model offline, as live",
               join({{{"in", "IN.wav", "the input (required)"},
                      {"out", "OUT.wav", "the output; .wav, .flac, .ogg or .aiff (required)"},
                      {"block", "FRAMES", "model frames per call (default: the model's)"},
                      {"seed", "N", "random seed (default 1)"},
                      {"anchor-a", "FILE.wav", "style anchor A"},
                      {"anchor-b", "FILE.wav", "style anchor B"},
                      {"midi", "PERFORMANCE.mid", "a recorded MIDI performance, applied through --mapping"},
                      {"mapping", "MAP.toml", "the MIDI mapping for --midi (repeatable)"},
                      {"triggers", "PROFILE.toml", "beatbox triggers, as live"},
                      {"trigger-midi", "HITS.mid", "write the triggers' notes to a MIDI file"}},
                     kTriggerTuning,
                     kModel, kPartner, kSet, kVoice})});
  c.push_back({"demo", "", 0, 0, "the ten control demos and a measured report",
               {{"out", "DIR", "where the demo files go (required)"},
                {"model", "MODEL.ts|NAME", "the model file or a library name (default: the bundled drum model)"},
                kLibrary[0],
                {"seconds", "S", "length of each demo (default 8)"},
                {"pattern", "FILE.wav", "the pattern clip of the pattern demo"}}});
  c.push_back({"perform", "", 0, 0, "play live: mic -> model -> speakers (fullscreen UI when a display is there)",
               join({kModel, kPartner, kSet, kVoice, kMidiApi,
                     {{"input", "DEV", "audio input device"},
                      {"output", "DEV", "audio output device"},
                      {"rate", "R", "sample rate (default: the device's)"},
                      {"buffer", "N", "audio buffer in frames (default 128)"},
                      {"block", "FRAMES", "model frames per call (default: the model's)"},
                      {"no-connect", nullptr, "do not connect the JACK ports"},
                      {"safety-ms", "MS", "extra compute margin in the latency"},
                      {"fixed-latency", nullptr, "keep the start latency even after a late frame"},
                      {"no-realtime-worker", nullptr, "run the model worker at normal priority"},
                      {"headless", nullptr, "no UI"},
                      {"duration", "S", "stop after S seconds"},
                      {"report", "FILE.json", "write a report at the end"},
                      {"record", "DIR", "record input, output and events"},
                      {"windowed", nullptr, "a window instead of fullscreen"},
                      {"ui-redraw", "changes|always", "draw only frames that changed (default) or every frame"},
                      {"screenshot", "FILE.png", "render --frames frames, save a PNG, exit"},
                      {"frames", "N", "frames before --screenshot (default 30)"},
                      {"ui-script", "FILE", "test hook: scripted UI input (perform/ui/UiScript.h)"},
                      {"ui-log", "FILE.json", "test hook: what the UI did"},
                      {"set-list", "GIG.toml", "preload a set list (a --set without '=' names one too)"},
                      {"preset", "FILE.toml", "start from a preset (repeatable: the presets 1, 2, ...)"},
                      {"restore", nullptr, "restore the autosaved state"},
                      {"ramp-ms", "MS", "parameter ramp on a preset switch"},
                      {"autosave-dir", "DIR", "where the live state is autosaved"},
                      {"autosave-seconds", "S", "autosave period"},
                      {"no-autosave", nullptr, "do not autosave"},
                      {"midi-in", "PORT|all|virtual", "MIDI input (repeatable)"},
                      {"mapping", "MAP.toml", "a MIDI mapping (repeatable; mappings/README.md)"},
                      {"midi-clock", "follow|ignore", "follow MIDI clock in (default follow)"},
                      {"clock-out", "PORT|virtual", "send MIDI clock"},
                      {"osc-port", "N", "receive OSC on this UDP port"},
                      {"osc-bind", "ADDRESS", "the address OSC listens on (default 127.0.0.1)"},
                      {"triggers", "PROFILE.toml", "beatbox triggers: voice hits -> MIDI notes + latent hits"},
                      {"trigger-midi-out", "PORT|virtual", "where the trigger notes go"}},
                     kTriggerTuning})});
  c.push_back({"learn", "PARAM|ACTION", 1, 1, "bind the next MIDI control moved (saved to the mapping)",
               join({{{"mapping", "MAP.toml", "the mapping file (default musicmill-learned.toml)"},
                      {"midi-in", "PORT", "MIDI input (repeatable)"},
                      {"model", "MODEL.ts|NAME", "the model whose parameters can be bound"},
                      kLibrary[0],
                      {"value", "N", "the song or preset number of GotoSong / SelectPreset"},
                      {"timeout", "S", "give up after S seconds (default 60)"}},
                     kMidiApi})});
  c.push_back({"triggers learn", "", 0, 0, "learn a beatbox trigger profile from takes (tuning saved in it)",
               join({{{"out", "PROFILE.toml", "the profile to write (required)"},
                      {"class", "NAME[:NOTE]=TAKE.wav", "one class and its take (repeatable)"},
                      {"from", "PROFILE.toml", "start from this profile"}},
                     kTriggerTuning})});
  c.push_back({"triggers classify", "", 0, 0, "classify every hit of a take",
               join({{{"profile", "PROFILE.toml", "the profile (required)"},
                      {"in", "VOICE.wav", "the take (required)"}},
                     kTriggerTuning})});
  c.push_back({"triggers show", "", 0, 0, "what a trigger profile holds",
               {{"profile", "PROFILE.toml", "the profile (required)"}}});
  c.push_back({"check", "FILE...", 1, -1,
               "check set lists, presets, mappings, trigger profiles, models; no show starts",
               {{"model", "MODEL.ts|NAME", "check parameter ids against this model (default: the bundled one)"},
                kLibrary[0]}});
  c.push_back({"models", "[add FILE]", 0, 2,
               "the model library: every model with its figures (measured once), or add a file to it",
               {kLibrary[0],
                {"name", "NAME", "models add: the short name (default: the file's name)"},
                {"json", nullptr, "print JSON"},
                {"device", "D", "where compute per frame is measured (default cpu)"},
                {"executor", "auto|torchscript", "which executor is measured (default auto)"},
                {"weights", "fp32|bf16", "which weights are measured (default fp32)"}}});
  c.push_back({"train", "", 0, 0, "train a model on folders of your audio (models/README.md)",
               {{"data", "DIR", "a folder of audio, read recursively (required; repeatable)"},
                {"out", "MODEL.ts", "the model file to write (required); MODEL.train/ beside it keeps the work"},
                {"minutes", "M", "the training time (default 60)"},
                {"ratio", "128|256|512", "samples per latent frame (default 256)"},
                {"latent", "N", "latent dimensions, 1..64 (default 8)"},
                {"rate", "44100|48000", "the model's sample rate (default 44100)"},
                {"eval", "DIR", "held-out audio (default: a seeded tenth of the data)"},
                {"name", "NAME", "the model's name in its report"},
                {"device", "cpu|cuda", "where to train (default cpu)"},
                {"pitched", nullptr, "a pitched model (synths): the input's pitch and loudness become latent dims 0 and 1"},
                {"stereo", nullptr, "a stereo model: trained on both channels, it plays two (the input stays mono: the mic)"},
                {"adversarial", "SHARE", "the last SHARE of the time trained against a discriminator (0..0.9, default 0)"},
                {"seed", "N", "random seed (default 1234)"},
                {"resume", nullptr, "continue from the checkpoint (the default when one is there)"},
                {"fresh", nullptr, "start over, ignoring a checkpoint"},
                {"checkpoint-seconds", "S", "how often the checkpoint is written (default 30)"}}});
  c.push_back({"devices", "", 0, 0, "audio devices and MIDI ports", kMidiApi});
  for (CommandSpec& spec : c) spec.options.push_back({"help", nullptr, "this list"});
  return c;
}

std::string knownCommands() {
  std::string out;
  for (const CommandSpec& s : commandSpecs())
    if (s.name.rfind("triggers ", 0) != 0) out += (out.empty() ? "" : ", ") + s.name;
  return out + ", triggers";
}

}  // namespace

const std::vector<CommandSpec>& commandSpecs() {
  static const std::vector<CommandSpec> specs = makeSpecs();
  return specs;
}

const CommandSpec* findCommand(const std::string& name) {
  for (const CommandSpec& s : commandSpecs())
    if (s.name == name) return &s;
  return nullptr;
}

std::string commandHelp(const CommandSpec& spec) {
  std::string out = "usage: musicmill " + spec.name + (spec.positional.empty() ? "" : " " + spec.positional) +
                    " [options]\n" + spec.summary + "\n\n";
  for (const OptionSpec& o : spec.options) {
    std::string left = "  --" + std::string(o.name) + (o.value ? " " + std::string(o.value) : "");
    if (left.size() < 34) left.resize(34, ' ');
    else left += "\n" + std::string(34, ' ');
    out += left + o.help + "\n";
  }
  return out;
}

Args parseArgs(int argc, char** argv) {
  Args a;
  int i = 1;
  if (i < argc && argv[i][0] != '-') a.command = argv[i++];
  std::string name = a.command;
  if (a.command == "triggers" && i < argc && argv[i][0] != '-') {
    a.positional.push_back(argv[i]);
    name += " " + std::string(argv[i++]);
  }
  const CommandSpec* spec = findCommand(name);
  bool help = false;
  for (int j = i; j < argc; ++j) help |= std::string(argv[j]) == "--help" || std::string(argv[j]) == "-h";
  if (a.command.empty() || a.command == "help") {
    if (help) a.flags.push_back("help");
    return a;
  }
  if (!spec) {
    if (a.command == "triggers") {
      if (help) {
        a.flags.push_back("help");
        return a;
      }
      throw UsageError(a.positional.empty() ? "triggers needs what to do: learn, classify or show"
                                            : "triggers " + a.positional[0] + ": there is no such action; "
                                              "use learn, classify or show");
    }
    std::vector<std::string> names;
    for (const CommandSpec& s : commandSpecs()) names.push_back(s.name);
    const auto close = closeMatches(a.command, names, 1);
    throw UsageError("unknown command '" + a.command + "'" +
                     (close.empty() ? "" : "; did you mean " + close[0] + "?") + " Commands: " + knownCommands() +
                     ". `musicmill help` says more.");
  }
  if (help) {
    a.flags.push_back("help");
    return a;
  }
  auto findOption = [&](const std::string& key) -> const OptionSpec* {
    for (const OptionSpec& o : spec->options)
      if (key == o.name) return &o;
    return nullptr;
  };
  for (; i < argc; ++i) {
    const std::string s = argv[i];
    if (s.rfind("--", 0) == 0 && s.size() > 2) {
      std::string key = s.substr(2), value;
      const auto eq = key.find('=');
      const bool inlineValue = eq != std::string::npos;
      if (inlineValue) {
        value = key.substr(eq + 1);
        key = key.substr(0, eq);
      }
      const OptionSpec* o = findOption(key);
      if (!o) {
        std::vector<std::string> names;
        for (const OptionSpec& x : spec->options) names.push_back(x.name);
        const auto close = closeMatches(key, names, 1);
        throw UsageError("unknown option --" + key + " for " + spec->name +
                         (close.empty() ? "" : "; did you mean --" + close[0] + "?") +
                         " (`musicmill " + spec->name + " --help` lists every option)");
      }
      if (!o->value) {
        if (inlineValue) throw UsageError("--" + key + " takes no value (got '" + value + "')");
        a.flags.push_back(key);
        continue;
      }
      if (!inlineValue) {
        if (i + 1 >= argc) throw UsageError("--" + key + " needs a value: --" + key + " " + o->value);
        value = argv[++i];
        if (value.rfind("--", 0) == 0 && value.size() > 2)
          throw UsageError("--" + key + " needs a value (--" + key + " " + o->value + "), not the option " + value);
      }
      a.options[key].push_back(value);
    } else if (s.rfind("-", 0) == 0 && s.size() > 1 && !std::isdigit(static_cast<unsigned char>(s[1])) &&
               s[1] != '.') {
      throw UsageError("unknown option " + s + " for " + spec->name + " (options start with --; `musicmill " +
                       spec->name + " --help` lists them)");
    } else {
      a.positional.push_back(s);
    }
  }
  const int own = static_cast<int>(a.positional.size()) - (a.command == "triggers" ? 1 : 0);
  if (spec->maxPositional >= 0 && own > spec->maxPositional)
    throw UsageError("unexpected argument '" + a.positional.back() + "' for " + spec->name +
                     (spec->maxPositional == 0 ? " (it takes only --options" : " (it takes " + spec->positional) +
                     "; `musicmill " + spec->name + " --help` lists them)");
  if (own < spec->minPositional)
    throw UsageError(spec->name + " needs " + spec->positional + " (`musicmill " + spec->name + " --help`)");
  return a;
}

ModelLibrary modelLibraryFor(const Args& args, const char* argv0) {
  return ModelLibrary(args.all("models-dir"), fs::path(bundledModelPath(argv0)).parent_path().string());
}

void resolveModelNames(Args& args, const char* argv0) {
  if (args.command == "models") return;  // it takes files, not names
  const ModelLibrary library = modelLibraryFor(args, argv0);
  auto resolveOne = [&](std::string& written, const std::string& what) {
    std::error_code ec;
    if (written.empty() || fs::exists(written, ec)) return;
    std::string why;
    if (const std::string path = library.resolve(written, "", &why); !path.empty()) {
      written = path;
    } else if (written.find('/') == std::string::npos) {
      // A bare word that is neither a file here nor a library name: say what is close.
      throw UsageError(what + ": " + why);
    }  // a path that does not exist: the command says so, as for any missing file
  };
  for (const char* key : {"model", "model-b"}) {
    auto it = args.options.find(key);
    if (it == args.options.end()) continue;
    for (std::string& v : it->second) resolveOne(v, std::string("--") + key);
  }
  if (args.command == "inspect" && !args.positional.empty()) resolveOne(args.positional[0], "inspect");
}

std::string bundledModelPath(const char* argv0) {
  if (const char* env = std::getenv("MUSICMILL_MODEL")) return env;
  return installedFile(argv0, "models/musicmill_drums.ts");
}

std::string installedFile(const char* argv0, const std::string& name) {
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
