// The parts of the stage screen, each drawn by its own file into the current ImGui
// window/child. StageLayout decides where they go. They draw from the frame's StageView
// (ui.view), the engine's status and the registry's atomics; what the performer does goes
// to the control thread as an event (App::postFromUi).
// Threads: main (UI) thread only, between ImGui::NewFrame() and ImGui::Render().
#pragma once

#include <imgui.h>

#include "UiState.h"

namespace mm::ui {

// A section heading in the section's colour; records the title for --ui-log.
void sectionTitle(UiState& ui, const char* title, ImU32 colour);

// TopBar.cpp: name, model, engine state, set list (now large, next visible), BPM, panic.
void drawTopBar(UiState& ui, ImVec2 size);
// TopBar.cpp: the preset shelf (Calm, Balanced, Intense, Chaotic, then every --preset) as
// large buttons; each one is NavCommand::SelectPreset with its number (from 1).
void drawPresets(UiState& ui);
// MacroSection.cpp: energy / texture / chaos as tall faders filling `height`, and tempo;
// the latent sources (voice / pattern / prior, each with an on/off button), dry/wet,
// gains and gate; pattern memory (pattern.slot and "capture the last N beats").
void drawMacros(UiState& ui, float height);
void drawMix(UiState& ui);
void drawPatterns(UiState& ui);
// LatentSection.cpp: samples the worker's latest latents (call once per frame), the
// trajectory plot, and the per-dimension offset/weight sliders with reset and randomize.
void sampleLatents(UiState& ui);
void drawLatentPlot(UiState& ui, ImVec2 size);
void drawLatentDims(UiState& ui);
// LatentSection.cpp, too: style anchors A/B with blend and amount,
// and the "match this track" picker window (drawn over the stage while open). A file is
// encoded through SourcesPart::setStyleAnchor, off the UI thread.
void drawStyleAnchors(UiState& ui);
void drawAnchorPicker(UiState& ui);
// A window over the stage, centred: `widthShare` of the screen's width (at least
// `minWidthEm` font sizes, at most the screen), `heightShare` of its height. End it with
// ImGui::End().
void beginOverlay(const char* name, float widthShare, float minWidthEm, float heightShare);
// Opens that picker for anchor `which` (0, 1) or, with kPickerLearn, for a file to learn
// ui.pickerLearn from.
void openPicker(UiState& ui, int which);
// ModelSection.cpp: the playing model and its own controls (attributes as parameters,
// learn from the input / a file, reset), and the model browser window (drawn over the
// stage while open): the library's models with their figures; Play switches to one.
void drawModelPanel(UiState& ui);
void drawModelBrowser(UiState& ui);
// LfoSection.cpp: rate, depth, shape, sync and target of every LFO.
void drawLfos(UiState& ui);
// MeterSection.cpp: input/output levels with onset flash, latency, loads, xruns, late
// frames. updateMeters() runs once per frame, before drawing.
void updateMeters(UiState& ui);
void drawMeters(UiState& ui);
// StageLayout.cpp: MIDI learn (L): on/off, what is waiting for a MIDI control, the result.
void drawMidiLearn(UiState& ui);
// TriggerSection.cpp: the beatbox triggers' panel (examples per class, learn, notes,
// sensitivity and reject, save and reload, the last hits).
void drawTriggerPanel(UiState& ui);

}  // namespace mm::ui
