#include <algorithm>

#include "ParamWidgets.h"
#include "Sections.h"
#include "StageTheme.h"

namespace mm::ui {

void drawMacros(UiState& ui, float height) {
  sectionTitle(ui, "Macros", colour::kEnergy);
  const float spacing = ImGui::GetStyle().ItemSpacing.x;
  const float w = (ImGui::GetContentRegionAvail().x - 2 * spacing) / 3.f;
  const float h = std::max(height - ImGui::GetFrameHeightWithSpacing(), ImGui::GetFontSize() * 6.f);
  paramFader(ui, ui.sp.energy, "ENERGY", ImVec2(w, h), colour::kEnergy);
  ImGui::SameLine();
  paramFader(ui, ui.sp.texture, "TEXTURE", ImVec2(w, h), colour::kTexture);
  ImGui::SameLine();
  paramFader(ui, ui.sp.chaos, "CHAOS", ImVec2(w, h), colour::kChaos);
  ImGui::Spacing();
  paramBar(ui, ui.sp.bpm, "Tempo", colour::kTempo);
}

void drawMix(UiState& ui) {
  sectionTitle(ui, "Source & mix", colour::kMix);
  paramBar(ui, ui.sp.sourceVoice, "voice", colour::kMix);
  paramBar(ui, ui.sp.sourcePattern, "pattern", colour::kMix);
  paramBar(ui, ui.sp.sourcePrior, "prior / random", colour::kMix);
  paramBar(ui, ui.sp.dryWet, "dry / wet", colour::kTexture);
  paramBar(ui, ui.sp.inputGain, "input gain", colour::kTexture);
  paramBar(ui, ui.sp.outputGain, "output gain", colour::kTexture);
  const float w = ImGui::GetContentRegionAvail().x;
  const float ledW = ImGui::GetFontSize() * 4.2f;
  paramBar(ui, ui.sp.gateThreshold, "gate", colour::kTexture, w - ledW - ImGui::GetStyle().ItemSpacing.x);
  ImGui::SameLine();
  ImGui::AlignTextToFramePadding();
  ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(ui.status.gateOpen ? colour::kGood : colour::kDim),
                     ui.status.gateOpen ? "open" : "closed");
}

}  // namespace mm::ui
