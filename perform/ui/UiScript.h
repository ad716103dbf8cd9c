// UiScript: a TEST HOOK (`musicmill perform --ui-script FILE`) that plays scripted input
// into the UI, so tests can prove that the controls on screen really drive the engine.
//
// One command per line; `#` starts a comment; frames count from 0:
//   frame N key NAME          press and release a key (SDL key names: Escape, Right, F11,
//                             F, 1; prefix ctrl+ for Ctrl, e.g. ctrl+Q). Sent as real
//                             SDL_KEYDOWN/KEYUP events through SDL's event queue.
//   frame N drag ID VALUE     drag the control of parameter ID (as drawn in the last frame)
//                             from where it stands to where VALUE lies, then release.
//   frame N click ID          click a button (panic, dims.reset, dims.randomize, ...).
// A drag takes 4 frames, a click 2. Keep gestures at least 20 frames apart: two clicks on
// one spot within 0.3 s are a double-click, which resets a control to its default.
// Drags and clicks are a virtual mouse: they set Dear ImGui's mouse position and button
// exactly where the SDL platform backend puts the real mouse's (imgui 1.86's backend
// reads the OS mouse state, which SDL_PushEvent cannot move), so the widgets' own mouse
// handling makes the edit, as it does for a hand.
//
// Threads: main (UI) thread only.
#pragma once

#include <SDL.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "UiState.h"

namespace mm::ui {

class UiScript {
 public:
  // Parses FILE. On failure returns nullopt and sets `error` ("FILE:LINE: what").
  static std::optional<UiScript> load(const std::string& path, std::string& error);

  // Start of frame `frame`, before SDL events are polled: queues this frame's key events.
  void queueKeyEvents(uint64_t frame, Uint32 windowId);
  // After the platform backend's NewFrame, before ImGui::NewFrame(): moves the virtual
  // mouse. Uses ui.controls from the previous frame.
  void driveMouse(UiState& ui, uint64_t frame);
  // True once every command has been played out.
  bool finished(uint64_t frame) const;
  // Commands that could not be carried out (e.g. the control was not on screen).
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  enum class Kind { Key, Drag, Click };
  struct Command {
    uint64_t frame = 0;
    Kind kind = Kind::Key;
    std::string target;  // key name or control id
    SDL_Keycode key = SDLK_UNKNOWN;
    Uint16 mod = KMOD_NONE;
    float value = 0.f;
  };
  // A drag or click in progress: the points the virtual mouse visits, one per frame.
  struct Gesture {
    uint64_t startFrame = 0;
    std::vector<ImVec2> points;  // mouse down on all but the last
  };
  std::vector<Command> commands_;
  std::optional<Gesture> gesture_;
  std::vector<std::string> problems_;
};

}  // namespace mm::ui
