// ParamWidgets: the controls that edit registry parameters. Every edit from the mouse (or
// the scripted virtual mouse of --ui-script) goes through these and ends in
// ParameterRegistry::set(), which is lock-free: the engine picks the value up on its next
// snapshot. Double-click resets to the default; the mouse wheel nudges by 1 %.
// Threads: main (UI) thread only, between ImGui::NewFrame() and ImGui::Render().
#pragma once

#include <imgui.h>

#include <string>

#include "UiState.h"

namespace mm::ui {

// A tall vertical fader (the macros). `size` is the whole control: title, track, value.
bool paramFader(UiState& ui, int param, const char* title, ImVec2 size, ImU32 colour);
// A full-width horizontal bar with the name and value written on it.
bool paramBar(UiState& ui, int param, const char* label, ImU32 colour, float width = -1.f);
// A button the scripted input can click by `id` (also registered in ui.controls).
bool stageButton(UiState& ui, const char* id, const char* label, ImVec2 size, ImU32 colour,
                 ImU32 textColour = 0);

// MIDI learn: aims learning at `target` (a parameter id, or an action such as
// "select_preset" with `actionValue`): the next MIDI control moved is bound to it
// (LiveMidi::startLearn). While ui.midiLearn is on, a click on a fader or bar calls this
// instead of editing the value; every control is outlined, the aimed one brighter.
void aimMidiLearn(UiState& ui, const std::string& target, int actionValue = 0, const std::string& shown = "");
// The learn outline around a control drawn at min..max (nothing when learn is off).
void learnOutline(UiState& ui, const std::string& target, ImVec2 min, ImVec2 max);

// Geometry of a fader/bar: where along its track a normalised value lies, and back.
// The two are exact inverses (the scripted input relies on it).
ImVec2 pointForNormalized(const ControlPlace& place, float normalized);
float normalizedAt(const ControlPlace& place, ImVec2 point);

// "0.41", "-6.0 dB", "2.50 Hz", "120 BPM": a parameter value as the performer reads it.
void formatValue(const ParamSpec& spec, float value, char* out, size_t size);

}  // namespace mm::ui
