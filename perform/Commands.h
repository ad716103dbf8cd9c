// The musicmill subcommands. Each returns the process exit status and prints user-facing
// errors itself (one paragraph, no stack traces).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "Cli.h"
#include "Json.h"
#include "ModelRuntime.h"

namespace mm {

int runInspect(const Args& args, const char* argv0);
int runRender(const Args& args, const char* argv0);
int runParams(const Args& args, const char* argv0);
int runDevices(const Args& args);
int runPerform(const Args& args, const char* argv0);
int runLearn(const Args& args, const char* argv0);
int runDemo(const Args& args, const char* argv0);
int runTriggers(const Args& args);  // TriggersCommand.cpp: learn | classify | show
int runCheck(const Args& args, const char* argv0);
int runModels(const Args& args, const char* argv0);  // ModelsCommand.cpp: the model library
int runTrain(const Args& args, const char* argv0);   // TrainCommand.cpp: a model from a folder of audio
// ModelsCommand.cpp: the median time of one model block (the live default) through encode
// and decode, per latent frame, after a warm-up, in ms.
double measureMsPerFrame(ModelRuntime& model);
// InspectCommand.cpp: a model's figures as JSON keys into an open object (inspect, models).
void modelInfoJson(JsonWriter& j, const ModelInfo& i);  // CheckCommand.cpp: set lists, presets, mappings, profiles

// Writes text to a temporary file beside `path`, then renames it over `path`.
bool writeFileAtomically(const std::string& path, const std::string& text);

class ParameterRegistry;
// A `--set id=value@SECONDS`: the value the parameter takes at that time of a render.
struct TimedSet {
  double seconds = 0;
  int index = -1;
  float value = 0;
};
// Applies every `--set id=value` now. `id=value@SECONDS` is checked and returned in
// `timed` (sorted by time) for render to apply when the file reaches it; where `timed`
// is nullptr (perform) a time is refused. False after printing what was wrong.
bool applySetOptions(const Args& args, ParameterRegistry& registry, std::vector<TimedSet>* timed = nullptr);
// --model-b M: loads the second model of a blend into `partner` (left empty without the
// option). Returns false after printing "musicmill COMMAND: --model-b: why".
// --executor auto|torchscript (main() refuses other values before any command runs).
inline ModelRuntime::Options::Executor executorOption(const Args& args) {
  return args.get("executor", "auto") == "torchscript" ? ModelRuntime::Options::Executor::TorchScript
                                                       : ModelRuntime::Options::Executor::Auto;
}
// --weights fp32|bf16 (main() refuses other values).
inline ModelRuntime::Options::Weights weightsOption(const Args& args) {
  return args.get("weights", "fp32") == "bf16" ? ModelRuntime::Options::Weights::Bf16
                                               : ModelRuntime::Options::Weights::Fp32;
}
bool loadPartnerModel(const Args& args, const ModelRuntime::Options& options, const char* command,
                      std::unique_ptr<ModelRuntime>& partner);

// The registry of a show: the standard parameters for the model (and model B), plus
// attr.<name> for each attribute either declares (ModelAttributes.h).
// `minLatent` / `minPartnerLatent`: at least that many dims (and model B's controls when
// > 0), for the other models a set list plays (setListSizes).
std::unique_ptr<ParameterRegistry> makeShowRegistry(const ModelRuntime& model, const ModelRuntime* partner = nullptr,
                                                    int minLatent = 0, int minPartnerLatent = 0);
// Every `--attr NAME=VALUE`, against model A's attributes, then model B's: a playable one
// sets its parameter attr.NAME (the worker gives it to the model); a string attribute is
// given to the model now, before any worker runs. False after printing what was wrong
// (the attribute's name and what it takes, or the model's attributes).
bool applyAttributeOptions(const Args& args, ModelRuntime& model, ModelRuntime* partner, ParameterRegistry& registry);

struct TriggerSettings;
// TriggersCommand.cpp: --listen-ms, --trigger-sensitivity 0..1 and --trigger-reject D onto
// a profile's settings (perform, render, triggers). "" or what is wrong.
std::string applyTriggerOptions(const Args& args, TriggerSettings& settings);

// MidiSetup.cpp: the MIDI system for every command: --midi-api when given; else JACK MIDI
// when the audio runs on JACK (--audio-api jack) or, with the audio left to choose, when a
// JACK server is running (as the audio then is); else the system's own (ALSA, CoreMIDI).
std::string chooseMidiApi(const Args& args);

}  // namespace mm
