// StageTheme: the dark stage look (colours, spacing) and the large fonts, sized from the
// display so that labels read from a metre away.
// Threads: main (UI) thread only, after ImGui::CreateContext().
#pragma once

#include <imgui.h>

#include "UiState.h"

namespace mm::ui {

namespace colour {
constexpr ImU32 rgb(int r, int g, int b, int a = 255) {
  return static_cast<ImU32>(a) << 24 | static_cast<ImU32>(b) << 16 | static_cast<ImU32>(g) << 8 |
         static_cast<ImU32>(r);
}
constexpr ImU32 kBackground = rgb(9, 11, 14);
constexpr ImU32 kPanel = rgb(20, 24, 30);
constexpr ImU32 kTrack = rgb(34, 40, 49);
constexpr ImU32 kText = rgb(232, 236, 240);
constexpr ImU32 kDim = rgb(130, 140, 152);
constexpr ImU32 kEnergy = rgb(255, 140, 40);
constexpr ImU32 kTexture = rgb(40, 200, 230);
constexpr ImU32 kChaos = rgb(235, 70, 200);
constexpr ImU32 kTempo = rgb(250, 220, 70);
constexpr ImU32 kMix = rgb(120, 200, 120);
constexpr ImU32 kLatent = rgb(150, 130, 255);
constexpr ImU32 kLfo = rgb(90, 170, 255);
constexpr ImU32 kGood = rgb(60, 210, 100);
constexpr ImU32 kWarn = rgb(250, 200, 40);
constexpr ImU32 kBad = rgb(240, 60, 50);
constexpr ImU32 kPanic = rgb(200, 30, 30);
// A distinct colour per latent dimension for the trajectory plot and the sliders.
ImU32 dimension(int d);
}  // namespace colour

// Loads the small/body/heading/big/huge fonts (DejaVu Sans when installed, else Dear ImGui's
// built-in font scaled up) for a display `displayHeight` pixels tall.
StageFonts loadStageFonts(int displayHeight);
void applyStageStyle(float bodySize);

}  // namespace mm::ui
