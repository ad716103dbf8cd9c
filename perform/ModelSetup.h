// The playing model's own controls and the model browser in a live performance (an App
// part).
//
// Attributes (ModelAttributes.h): a playable attribute is the parameter attr.<name>, which
// MIDI, OSC, LFOs, presets and the UI move like any other; the model's worker gives it to
// the model. Here are the actions around them, RAVE 2.3's style matching first:
// - learn from the input for N seconds: the bool attribute (learn_target, learn_source)
//   is switched on, and off again N seconds later;
// - learn from a file: the file is read, mixed to mono and resampled to the model's rate
//   off the control thread, then played into the model in place of the input, in step
//   with the stream, with the attribute held on for exactly those blocks
//   (FrameProcessor::feed); the performer hears the file through the model meanwhile;
// - reset: the reset_* attribute on, then off 100 ms later (a momentary press).
// A value the model refuses (its setter answers non-zero) is said once per refusal.
//
// The browser: the library's models (ModelLibrary), each model's facts read off the
// control thread one at a time, with the compute figure `musicmill models` measured
// (cached; never measured during a show). Choosing one plays it as a set-list model switch
// does: loaded and warmed up off the control thread while the current model plays on,
// then crossfaded.
//
// Threads: control thread (the UI's requests arrive as events; OSC's in OscPart::tick),
// besides the two loader threads named above.
#pragma once

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "App.h"
#include "FrameProcessor.h"
#include "Preset.h"
#include "StageView.h"

namespace mm {

class ModelPart {
 public:
  explicit ModelPart(App& app);
  ~ModelPart();  // waits for a file or a listing still being read

  // "" or why not (no such attribute, not a bool, a learning already running).
  std::string learnFromInput(const std::string& attribute, double seconds);
  std::string learnFromFile(const std::string& attribute, const std::string& path);
  std::string reset(const std::string& attribute);
  // A preset's [learn] (sets/Preset.h): carried out once `modelPath` ("" = any) plays and
  // no other learning runs; what cannot be done is said.
  void learnOnPreset(const LearnAction& action, const std::string& modelPath);
  // The browser: (re)reads the library off the control thread.
  void listLibrary();
  // Plays `path` (a file or a library name). "" or why not.
  std::string play(const std::string& pathOrName);

  void tick();
  void fillView(ModelView& v) const;

 private:
  using Clock = std::chrono::steady_clock;
  int attributeIndex(const std::string& name) const;  // in the playing model's attributes
  std::string checkLearnable(const std::string& attribute) const;
  void setParam(const std::string& attribute, float value);

  App& app_;
  // Learning from the input: the attribute held on until `learnUntil_`.
  std::string learningInput_;
  Clock::time_point learnUntil_{};
  // Learning from a file: being read, then playing into the model.
  std::string learningFile_, learningFileAttr_;
  std::future<std::unique_ptr<FrameProcessor::InputFeed>> fileLoad_;
  std::string fileError_;
  FrameProcessor* feeding_ = nullptr;  // the processor playing the file
  bool feedStarted_ = false;
  // A preset's learning, waiting for its model and for the learning before it.
  std::optional<LearnAction> presetLearn_;
  std::string presetLearnModel_;
  // Momentary resets: attribute -> when its parameter goes back to 0.
  std::vector<std::pair<std::string, Clock::time_point>> resets_;
  // Refusals already said, per model slot's processor.
  uint64_t refusalsSaid_ = 0;
  const FrameProcessor* refusalsOf_ = nullptr;
  // The browser.
  std::future<std::vector<ModelView::Entry>> listing_;
  std::vector<ModelView::Entry> library_;
};

// Builds app.model (always: every model may have attributes, every show has a library).
bool attachModel(App& app);

}  // namespace mm
