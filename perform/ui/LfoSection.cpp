#include <algorithm>
#include <cstdio>
#include <string>

#include "LfoBank.h"
#include "ModulationSetup.h"
#include "ParamWidgets.h"
#include "Sections.h"
#include "StageTheme.h"

namespace mm::ui {

namespace {

const char* const kShapeNames[] = {"sin", "tri", "sqr", "rnd"};  // sine, triangle, square, random

// The target list: "none" then every registry parameter by id (the LFO's own controls
// included: modulating an LFO's rate with another LFO is a legitimate patch).
void targetCombo(UiState& ui, int targetParam, float width) {
  ParameterRegistry& reg = *ui.registry;
  const int current = static_cast<int>(reg.get(targetParam));
  const std::string shown = current >= 0 && current < reg.size() ? reg.spec(current).id : std::string("none");
  ImGui::SetNextItemWidth(width);
  ImGui::PushID(targetParam);
  if (ImGui::BeginCombo("##target", shown.c_str(), ImGuiComboFlags_HeightLarge)) {
    if (ImGui::Selectable("none", current < 0)) reg.set(targetParam, -1.f);
    for (int i = 0; i < reg.size(); ++i) {
      if (ImGui::Selectable(reg.spec(i).id.c_str(), i == current)) reg.set(targetParam, static_cast<float>(i));
      if (i == current) ImGui::SetItemDefaultFocus();
    }
    ImGui::EndCombo();
  }
  ImGui::PopID();
  ControlPlace place;
  place.min = ImGui::GetItemRectMin();
  place.max = ImGui::GetItemRectMax();
  place.param = targetParam;
  ui.controls[reg.spec(targetParam).id] = place;
}

}  // namespace

void drawLfos(UiState& ui) {
  ParameterRegistry& reg = *ui.registry;
  sectionTitle(ui, "LFOs", colour::kLfo);
  if (ui.sp.lfo.empty()) ImGui::TextDisabled("no LFOs in this build");
  for (size_t i = 0; i < ui.sp.lfo.size(); ++i) {
    const StandardParams::Lfo& l = ui.sp.lfo[i];
    ImGui::PushID(static_cast<int>(i));
    ImGui::PushFont(ui.fonts.heading);
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colour::kLfo), "%zu", i + 1);
    ImGui::PopFont();
    // Shape: four buttons, the chosen one lit.
    const int shape = static_cast<int>(reg.get(l.shape));
    for (int s = 0; s < 4; ++s) {
      ImGui::SameLine();
      const std::string id = reg.spec(l.shape).id + "=" + std::to_string(s);
      if (stageButton(ui, id.c_str(), kShapeNames[s], ImVec2(0, 0),
                      s == shape ? colour::rgb(40, 110, 190) : colour::rgb(36, 43, 54)))
        reg.set(l.shape, static_cast<float>(s));
    }
    ImGui::SameLine();
    bool sync = reg.get(l.sync) >= 0.5f;
    if (ImGui::Checkbox("BPM", &sync)) reg.set(l.sync, sync ? 1.f : 0.f);
    const float half = (ImGui::GetContentRegionAvail().x - ImGui::GetStyle().ItemSpacing.x) * 0.5f;
    paramBar(ui, l.rate, "rate", colour::kLfo, half);
    ImGui::SameLine();
    paramBar(ui, l.depth, "depth", colour::kLfo, half);
    const double hz = LfoBank::effectiveRate(reg.get(l.rate), sync, reg.get(ui.sp.bpm));
    // Where the LFO is now (-1 .. 1): the worker writes it, the bank's atomics let us read
    // it without a lock or a torn value. An LFO that moves nothing (no depth or no
    // target) rests at the centre, dimmed: what moves on the screen is what moves the sound.
    if (const LfoBank* bank = ui.app->modulation ? &ui.app->modulation->lfos() : nullptr; bank && i < bank->size()) {
      const bool active = reg.get(l.depth) > 0.f && reg.get(l.target) >= 0.f;
      const float v = active ? std::clamp(bank->outputs()[i], -1.f, 1.f) : 0.f;
      const float w = ImGui::GetFontSize() * 2.2f, h = ImGui::GetFrameHeight();
      const ImVec2 o = ImGui::GetCursorScreenPos();
      ImDrawList* dl = ImGui::GetWindowDrawList();
      const float mid = o.x + w * 0.5f, y = o.y + h * 0.5f;
      dl->AddRectFilled(ImVec2(o.x, y - 3), ImVec2(o.x + w, y + 3), colour::kTrack, 3.f);
      dl->AddRectFilled(ImVec2(std::min(mid, mid + v * w * 0.5f), y - 3), ImVec2(std::max(mid, mid + v * w * 0.5f), y + 3),
                        colour::kLfo, 3.f);
      dl->AddCircleFilled(ImVec2(mid + v * w * 0.5f, y), h * 0.18f, active ? colour::kText : colour::kDim);
      ImGui::Dummy(ImVec2(w, h));
      ImGui::SameLine();
    }
    ImGui::AlignTextToFramePadding();
    ImGui::TextDisabled("%.2f Hz to", hz);
    ImGui::SameLine();
    targetCombo(ui, l.target, ImGui::GetContentRegionAvail().x);
    ImGui::PopID();
    if (i + 1 < ui.sp.lfo.size()) ImGui::Separator();
  }
}

}  // namespace mm::ui
