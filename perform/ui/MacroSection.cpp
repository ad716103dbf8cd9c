#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "ParamWidgets.h"
#include "Sections.h"
#include "SourcesSetup.h"
#include "StageTheme.h"

namespace mm::ui {

namespace {

ImU32 lit(bool on, ImU32 c) { return on ? c : colour::rgb(36, 43, 54); }

// A latent source's amount as a bar, with an on/off button beside it: off remembers the
// amount, on brings it back (full when it had none). Id "<param id>.toggle".
void sourceRow(UiState& ui, int param, const char* label) {
  ParameterRegistry& reg = *ui.registry;
  const float buttonW = ImGui::GetFontSize() * 3.2f;
  const float barW = ImGui::GetContentRegionAvail().x - buttonW - ImGui::GetStyle().ItemSpacing.x;
  paramBar(ui, param, label, colour::kMix, barW);
  ImGui::SameLine();
  const float v = reg.get(param);
  const bool on = v > 0.f;
  const std::string id = reg.spec(param).id + ".toggle";
  const bool pressed = stageButton(ui, id.c_str(), on ? "ON" : "off", ImVec2(buttonW, ImGui::GetFrameHeight() * 1.1f),
                                   lit(on, colour::rgb(46, 120, 60)));
  learnOutline(ui, reg.spec(param).id, ImGui::GetItemRectMin(), ImGui::GetItemRectMax());
  if (pressed) {
    if (ui.midiLearn) {
      aimMidiLearn(ui, reg.spec(param).id);
      return;
    }
    float next = 0.f;
    if (on) ui.sourceBefore[param] = v;
    else next = ui.sourceBefore.count(param) && ui.sourceBefore[param] > 0.f ? ui.sourceBefore[param] : 1.f;
    reg.set(param, next);
    ui.actions.push_back(reg.spec(param).id + (on ? " off" : " on"));
  }
}

}  // namespace

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
  // What drives the latents: the live voice, pattern memory, the model's prior (random).
  sourceRow(ui, ui.sp.sourceVoice, "voice");
  sourceRow(ui, ui.sp.sourcePattern, "pattern");
  // A model with a prior of its own plays from it (prior.temperature); any other plays a
  // random walk: the bar says which.
  const InferenceWorker* worker = ui.engine->worker();
  sourceRow(ui, ui.sp.sourcePrior, worker && worker->info().hasPrior ? "prior (model)" : "random walk");
  // The soundcheck controls two to a row, input side then output side, so that the whole
  // section fits the left column at 1280x800 without scrolling.
  const ImGuiStyle& style = ImGui::GetStyle();
  const float half = std::floor((ImGui::GetContentRegionAvail().x - style.ItemSpacing.x) / 2.f);
  paramBar(ui, ui.sp.inputGain, "in", colour::kTexture, half);
  ImGui::SameLine();
  // The gate's bar with its state as a lamp after its label, green while open; where the
  // bar is too narrow for label, lamp and value, the bar's outline turns green instead.
  const ImVec2 gateAt = ImGui::GetCursorScreenPos();
  paramBar(ui, ui.sp.gateThreshold, "gate", colour::kTexture, half);
  const float lamp = ImGui::GetFontSize() * 0.22f;
  const float labelW = ImGui::CalcTextSize("gate").x, valueW = ImGui::CalcTextSize("-60.0 dB").x;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  if (3 * style.FramePadding.x + labelW + lamp * 4.f + valueW <= half)
    dl->AddCircleFilled(
        ImVec2(gateAt.x + style.FramePadding.x + labelW + lamp * 2.2f, gateAt.y + ImGui::GetFrameHeight() * 0.55f), lamp,
        ui.status.gateOpen ? colour::kGood : colour::kDim);
  else if (ui.status.gateOpen)
    dl->AddRect(ImGui::GetItemRectMin(), ImGui::GetItemRectMax(), colour::kGood, 5.f, 0, 2.f);
  paramBar(ui, ui.sp.dryWet, "dry/wet", colour::kTexture, half);
  ImGui::SameLine();
  paramBar(ui, ui.sp.outputGain, "out", colour::kTexture, half);
}

void drawPatterns(UiState& ui) {
  ParameterRegistry& reg = *ui.registry;
  sectionTitle(ui, "Pattern memory", colour::kMix);
  const ImGuiStyle& style = ImGui::GetStyle();
  const float avail = ImGui::GetContentRegionAvail().x;
  const float h = ImGui::GetFrameHeight() * 1.15f;
  // Slots 1..8 (pattern.slot 0..7) in two rows of four; the playing slot lit, a captured
  // one marked with a dot.
  const int slot = static_cast<int>(reg.get(ui.sp.patternSlot));
  const float w4 = std::floor((avail - 3 * style.ItemSpacing.x) / 4.f);
  char id[32], label[16];
  for (int k = 0; k < 8; ++k) {
    if (k % 4) ImGui::SameLine();
    std::snprintf(id, sizeof id, "pattern.slot=%d", k);
    std::snprintf(label, sizeof label, "%d", k + 1);
    const bool pressed = stageButton(ui, id, label, ImVec2(w4, h), lit(k == slot, colour::rgb(46, 120, 60)));
    learnOutline(ui, "pattern.slot", ImGui::GetItemRectMin(), ImGui::GetItemRectMax());
    if (ui.slotCaptured[k]) {  // the stage fonts carry Latin only: the mark is drawn
      const ImVec2 m = ImGui::GetItemRectMax();
      ImGui::GetWindowDrawList()->AddCircleFilled(ImVec2(m.x - h * 0.22f, ImGui::GetItemRectMin().y + h * 0.22f),
                                                  h * 0.1f, colour::kEnergy);
    }
    if (pressed) {
      if (ui.midiLearn) {
        aimMidiLearn(ui, "pattern.slot");
      } else {
        reg.set(ui.sp.patternSlot, static_cast<float>(k));
        ui.actions.push_back("pattern slot " + std::to_string(k + 1));
      }
    }
  }
  // Capture: the last N beats of the voice into the playing slot.
  ImGui::AlignTextToFramePadding();
  ImGui::TextDisabled("beats");
  static const int kBeats[] = {1, 2, 4, 8};
  const float labelW = ImGui::GetItemRectSize().x + style.ItemSpacing.x;
  const float wb = std::floor((avail - labelW - 3 * style.ItemSpacing.x) / 4.f);
  for (int b : kBeats) {
    ImGui::SameLine();
    std::snprintf(id, sizeof id, "pattern.beats=%d", b);
    std::snprintf(label, sizeof label, "%d", b);
    if (stageButton(ui, id, label, ImVec2(wb, 0), lit(b == ui.captureBeats, colour::rgb(40, 90, 150))))
      ui.captureBeats = b;
  }
  // "Capture 4 beats into slot 3" where it fits; the lit slot above says where otherwise.
  char capture[64];
  std::snprintf(capture, sizeof capture, "Capture %d beats into slot %d", ui.captureBeats, slot + 1);
  if (ImGui::CalcTextSize(capture).x + 2 * style.FramePadding.x + 4.f > avail)
    std::snprintf(capture, sizeof capture, "Capture %d beats", ui.captureBeats);
  if (!ui.view->sources) {
    ImGui::TextDisabled("pattern capture is not available");
  } else if (stageButton(ui, "pattern.capture", capture, ImVec2(avail, h), colour::rgb(150, 60, 40), colour::kText)) {
    toControl(ui, [slot = std::clamp(slot, 0, 7), beats = static_cast<double>(ui.captureBeats)](App& a) {
      if (a.sources) a.sources->capturePattern(slot, beats);
    });
    ui.slotCaptured[std::clamp(slot, 0, 7)] = true;
    ui.actions.push_back("capture slot " + std::to_string(slot + 1) + " " + std::to_string(ui.captureBeats) +
                         " beats");
  }
}

}  // namespace mm::ui
