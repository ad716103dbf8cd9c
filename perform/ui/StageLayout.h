// StageLayout: the whole stage screen, one borderless window the size of the display:
// a top bar (set list, BPM, panic) over three columns: sound controls | latent space |
// meters, LFOs, messages and the panels of the parts that have one (the beatbox triggers).
// Threads: main (UI) thread only, between ImGui::NewFrame() and ImGui::Render().
#pragma once

#include "UiState.h"

namespace mm::ui {

void drawStage(UiState& ui);

}  // namespace mm::ui
