// See App.h.
#include "App.h"

#include "ControlSetup.h"
#include "EngineWatch.h"
#include "LiveMidi.h"
#include "ModelSetup.h"
#include "ModulationSetup.h"
#include "SaveThread.h"
#include "SetListPlayer.h"
#include "SetListSetup.h"
#include "SourcesSetup.h"
#include "TriggerSetup.h"

namespace mm {

App::App() = default;

// The parts go in the reverse of the order they were built (unique_ptr members), after
// the UI events nobody carried out.
App::~App() {
  UiEvent* left[32];
  while (const size_t n = uiEvents_.pop(left, 32))
    for (size_t i = 0; i < n; ++i) delete left[i];
}

bool App::postFromUi(std::function<void(App&)> event) {
  auto* e = new UiEvent(std::move(event));
  if (uiEvents_.push(&e, 1) != 1) {
    delete e;
    uiEventsDropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  controlWake.post();
  return true;
}

bool App::build() {
  saves = std::make_unique<SaveThread>();
  watch = std::make_unique<EngineWatch>(*this);
  // In this order: a part may use the ones before it (the preset wiring all of them).
  for (bool (*attach)(App&) : {attachModulation, attachSources, attachSetList, attachModel, attachMidi, attachOsc, attachTriggers,
                               attachPresetWiring})
    if (!attach(*this)) return false;
  return true;
}

void App::tick() {
  // First what the performer did on the screen, in order.
  bool handled = false;
  UiEvent* events[32];
  while (const size_t n = uiEvents_.pop(events, 32)) {
    for (size_t i = 0; i < n; ++i) {
      std::unique_ptr<UiEvent> e(events[i]);
      try {
        (*e)(*this);
      } catch (const std::exception& ex) {
        post(std::string("UI: ") + ex.what());
      }
      ++uiEventsHandled_;
    }
    handled = true;
  }
  if (saves) saves->collect();  // saves that finished report back here
  if (watch) watch->tick();
  if (sources) sources->tick();
  if (setList) setList->tick();
  if (model) model->tick();
  if (midi) midi->tick();
  if (osc) osc->tick();
  if (triggers) triggers->tick();
  if (presets) presets->tick();
  if (uiAttached.load(std::memory_order_relaxed)) {
    const auto now = std::chrono::steady_clock::now();
    if (handled || now - viewAt_ >= std::chrono::milliseconds(10)) {
      viewAt_ = now;
      publishView();
    }
  }
}

void App::publishView() {
  StageView& v = view.back();  // the control thread's own buffer: filled in place
  v.serial = ++viewSerial_;
  v.uiEventsHandled = uiEventsHandled_;
  if (setList) {
    const SetListPlayer& p = setList->player();
    v.now = p.nowText();
    v.next = p.nextText();
    v.notes = p.notesText();
    const auto& shelf = p.shelf();
    v.presets.resize(shelf.size());
    for (size_t i = 0; i < shelf.size(); ++i) v.presets[i] = shelf[i].name;
  } else {
    v.now.clear();
    v.next.clear();
    v.notes.clear();
    v.presets.clear();
  }
  if (model) model->fillView(v.model);
  v.midi = midi != nullptr;
  if (midi) {
    v.midiPorts = midi->live().openPorts();
    v.midiLearning = midi->live().learning();
    midi->fillLearnView(v);
  } else {
    v.midiPorts.clear();
    v.midiLearning = false;
  }
  v.sources = sources != nullptr;
  for (int w = 0; w < 2; ++w) v.anchors[w] = sources ? sources->styleAnchor(w) : StyleAnchorStatus{};
  v.triggers = triggers != nullptr;
  if (triggers) triggers->fillView(v.trigger);
  view.publish();
}

void App::navigate(NavCommand c, int value) {
  if (setList) setList->navigate(c, value);
  if (midi) midi->navigated();
}

void App::stop() {
  if (setList) setList->stop();
  if (midi) midi->stop();
  if (osc) osc->stop();
  if (triggers) triggers->stop();
  if (saves) saves->flush();
}

}  // namespace mm
