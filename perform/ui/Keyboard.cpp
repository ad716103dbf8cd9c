#include "Keyboard.h"

#include <imgui.h>

#include "ControlSetup.h"
#include "LiveMidi.h"
#include "StageTheme.h"

namespace mm::ui {

namespace {

struct KeyHelp {
  const char* keys;
  const char* what;
};
// The help overlay's rows; handleKey() below implements exactly these.
const KeyHelp kKeyHelp[] = {
    {"Esc  Esc", "PANIC (press twice within 0.6 s): mute now, reload the model; sound returns by itself"},
    {"Esc", "close this help or the file picker"},
    {"Left / Right", "previous / next part"},
    {"Up / Down", "previous / next song"},
    {"1 .. 9", "preset 1 .. 9"},
    {"F11  or  F", "fullscreen on / off"},
    {"H  or  F1", "show / hide this help"},
    {"L", "MIDI learn on / off: click a control, then move a MIDI knob"},
    {"Ctrl+Q", "quit"},
    {"Q  Q", "quit (press twice within 2 s)"},
    {"mouse", "drag a control; double-click resets it; wheel nudges it"},
};

const char* navName(StageAction a) {
  switch (a) {
    case StageAction::PrevPart: return "nav prev-part";
    case StageAction::NextPart: return "nav next-part";
    case StageAction::PrevSong: return "nav prev-song";
    case StageAction::NextSong: return "nav next-song";
    default: return "nav";
  }
}

// Set-list moves are carried out on the control thread, as MIDI's and OSC's are.
void navigateTo(UiState& ui, NavCommand c, int value = 0) {
  toControl(ui, [c, value](App& a) { a.navigate(c, value); });
}
}  // namespace

void perform(UiState& ui, StageAction action, int value) {
  switch (action) {
    case StageAction::Panic:
      ui.engine->panic();
      ui.panicFlashUntil = ui.now + 1.5;
      ui.actions.push_back("panic");
      ui.app->post("Panic: output muted while the model reloads; the sound comes back by itself.");
      return;
    case StageAction::ToggleMidiLearn:
      ui.midiLearn = !ui.midiLearn;
      if (!ui.midiLearn) {
        toControl(ui, [](App& a) {
          if (a.midi && a.midi->live().learning()) a.midi->live().cancelLearn();
        });
        ui.learnTarget.clear();
      }
      ui.learnStatus = ui.midiLearn ? "click the control to learn" : "";
      ui.actions.push_back(ui.midiLearn ? "learn on" : "learn off");
      return;
    case StageAction::PrevPart: navigateTo(ui, NavCommand::PrevPart); break;
    case StageAction::NextPart: navigateTo(ui, NavCommand::NextPart); break;
    case StageAction::PrevSong: navigateTo(ui, NavCommand::PrevSong); break;
    case StageAction::NextSong: navigateTo(ui, NavCommand::NextSong); break;
    case StageAction::SelectPreset:
      navigateTo(ui, NavCommand::SelectPreset, value);
      ui.presetChosen = value;
      ui.actions.push_back("nav preset " + std::to_string(value));
      return;
    case StageAction::ToggleFullscreen:
      ui.fullscreen = !ui.fullscreen;
      ui.actions.push_back(ui.fullscreen ? "fullscreen on" : "fullscreen off");
      return;
    case StageAction::ToggleHelp:
      ui.showHelp = !ui.showHelp;
      ui.actions.push_back(ui.showHelp ? "help on" : "help off");
      return;
    case StageAction::Quit:
      ui.quit = true;
      ui.actions.push_back("quit");
      return;
    case StageAction::QuitIfConfirmed:
      if (ui.now < ui.quitArmedUntil) {
        perform(ui, StageAction::Quit);
      } else {
        ui.quitArmedUntil = ui.now + 2.0;
        ui.actions.push_back("quit armed");
      }
      return;
  }
  ui.presetChosen = -1;  // the set list moved on: its part's preset plays now
  ui.actions.push_back(navName(action));
}

bool handleKey(UiState& ui, const SDL_KeyboardEvent& key) {
  if (key.type != SDL_KEYDOWN || key.repeat) return false;
  const SDL_Keycode k = key.keysym.sym;
  const bool ctrl = (key.keysym.mod & KMOD_CTRL) != 0;
  // While a text field has the keyboard, letters, digits and arrows are typing, not
  // commands; panic, fullscreen, help and Ctrl-Q always work.
  const bool typing = ImGui::GetIO().WantTextInput;
  StageAction action;
  int value = 0;
  if (k == SDLK_ESCAPE) {
    // Esc closes what is open; with nothing open, a second Esc within 0.6 s is panic (one
    // press only arms it: what people press to close a window never mutes the show).
    if (ui.showHelp || ui.pickerFor >= 0 || ui.browserOpen) {
      ui.showHelp = false;
      ui.pickerFor = -1;
      ui.browserOpen = false;
      ui.panicArmedUntil = -1;
      ui.actions.push_back("closed");
      return true;
    }
    if (ui.now > ui.panicArmedUntil) {
      ui.panicArmedUntil = ui.now + 0.6;
      ui.actions.push_back("panic armed");
      return true;
    }
    ui.panicArmedUntil = -1;
    action = StageAction::Panic;
  }
  else if (k == SDLK_F11) action = StageAction::ToggleFullscreen;
  else if (k == SDLK_F1) action = StageAction::ToggleHelp;
  else if (ctrl && k == SDLK_q) action = StageAction::Quit;
  else if (typing) return false;
  else if (k == SDLK_LEFT) action = StageAction::PrevPart;
  else if (k == SDLK_RIGHT) action = StageAction::NextPart;
  else if (k == SDLK_UP) action = StageAction::PrevSong;
  else if (k == SDLK_DOWN) action = StageAction::NextSong;
  else if (k == SDLK_f) action = StageAction::ToggleFullscreen;
  else if (k == SDLK_h) action = StageAction::ToggleHelp;
  else if (k == SDLK_l) action = StageAction::ToggleMidiLearn;
  else if (k == SDLK_q) action = StageAction::QuitIfConfirmed;
  else if (k >= SDLK_1 && k <= SDLK_9) {
    action = StageAction::SelectPreset;
    value = static_cast<int>(k - SDLK_1) + 1;  // key 1: preset 1
  } else if (k >= SDLK_KP_1 && k <= SDLK_KP_9) {
    action = StageAction::SelectPreset;
    value = static_cast<int>(k - SDLK_KP_1) + 1;
  } else {
    return false;
  }
  perform(ui, action, value);
  return true;
}

void drawHelpOverlay(UiState& ui) {
  const ImGuiViewport* vp = ImGui::GetMainViewport();
  ImGui::SetNextWindowPos(ImVec2(vp->Pos.x + vp->Size.x * 0.5f, vp->Pos.y + vp->Size.y * 0.5f), ImGuiCond_Always,
                          ImVec2(0.5f, 0.5f));
  ImGui::SetNextWindowBgAlpha(1.f);
  ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(ui.fonts.body->FontSize * 1.5f, ui.fonts.body->FontSize));
  ImGui::Begin("Keys", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoMove);
  ui.panelsDrawn.push_back("Keys");
  {
    // Dim the stage behind the overlay so the keys stand out (drawn first in this window,
    // so the window's own contents come on top).
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->PushClipRectFullScreen();
    dl->AddRectFilled(vp->Pos, ImVec2(vp->Pos.x + vp->Size.x, vp->Pos.y + vp->Size.y), colour::rgb(0, 0, 0, 170));
    const ImVec2 a = ImGui::GetWindowPos(), b(a.x + ImGui::GetWindowSize().x, a.y + ImGui::GetWindowSize().y);
    dl->AddRectFilled(a, b, colour::kPanel, 8.f);
    dl->AddRect(a, b, colour::kLfo, 8.f, 0, 2.f);
    dl->PopClipRect();
  }
  ImGui::PushFont(ui.fonts.big);
  ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colour::kTempo), "KEYS");
  ImGui::PopFont();
  ImGui::Spacing();
  if (ImGui::BeginTable("keys", 2, ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_RowBg)) {
    for (const KeyHelp& k : kKeyHelp) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::PushFont(ui.fonts.heading);
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colour::kLfo), "%s", k.keys);
      ImGui::PopFont();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(k.what);
    }
    ImGui::EndTable();
  }
  ImGui::Spacing();
  ImGui::TextDisabled("H closes this help");
  ImGui::End();
  ImGui::PopStyleVar();
}

}  // namespace mm::ui
