// Keyboard: the stage key map, the actions keys (and the on-screen buttons) trigger, and
// the help overlay, drawn from the same table so that the two cannot disagree.
//
//   Esc          panic: mute now, reload the model off the audio path; sound returns itself
//   Left/Right   previous / next part            Up/Down   previous / next song
//   1 .. 9       preset 1 .. 9 (NavCommand::SelectPreset with that number)
//   F11 or F     fullscreen on/off               H or F1   this help
//   L            MIDI learn on/off (then click a control and move a MIDI knob)
//   Ctrl-Q       quit                            Q Q       quit (twice within 2 s)
//
// Threads: main (UI) thread only.
#pragma once

#include <SDL.h>

#include "UiState.h"

namespace mm::ui {

enum class StageAction { Panic, PrevPart, NextPart, PrevSong, NextSong, SelectPreset, ToggleFullscreen,
                         ToggleHelp, ToggleMidiLearn, Quit, QuitIfConfirmed };

// Carries out an action now (records it in ui.actions for --ui-log).
void perform(UiState& ui, StageAction action, int value = 0);
// Maps one SDL key press to its action. Returns true when the key was a stage key.
bool handleKey(UiState& ui, const SDL_KeyboardEvent& key);
// The help overlay listing every key (drawn when ui.showHelp).
void drawHelpOverlay(UiState& ui);

}  // namespace mm::ui
