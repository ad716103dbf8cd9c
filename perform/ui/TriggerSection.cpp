// The "Beatbox triggers" panel (with --triggers): drawn from the StageView's TriggerView;
// every button and slider posts an event that TriggerPart carries out on the control
// thread.
#include <algorithm>
#include <chrono>
#include <string>

#include "Sections.h"
#include "StageTheme.h"
#include "TriggerProfile.h"
#include "TriggerSetup.h"

namespace mm::ui {

namespace {
// Carries `fn` out on the control thread with the trigger part.
template <typename Fn>
void toTriggers(UiState& ui, Fn fn) {
  toControl(ui, [fn](App& a) {
    if (a.triggers) fn(*a.triggers);
  });
}
}  // namespace

void drawTriggerPanel(UiState& ui) {
  const TriggerView& t = ui.view->trigger;
  const auto now = std::chrono::steady_clock::now();
  // The panel sits in a narrow stage column with large type: every row stays short.
  ImGui::TextWrapped("%s", t.status.c_str());
  ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
  ImGui::TextWrapped("%s | listen %.0f ms | MIDI %s", t.path.c_str(), t.listenMs,
                     t.midiOut.empty() ? "off" : t.midiOut.c_str());
  ImGui::PopStyleColor();
  // Sensitivity (how far a hit must rise above what sounded before it) and reject (how
  // unlike every example a sound may be and still play): live, saved when let go. While
  // a slider is held it shows the hand's value, not the last view's.
  if (!ui.triggerSliderHeld) {
    ui.triggerSensitivity = t.sensitivity;
    ui.triggerReject = t.reject;
  }
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6.f);
  const bool sensMoved = ImGui::SliderFloat("sensitivity", &ui.triggerSensitivity, 0.f, 1.f, "%.2f");
  const bool sensHeld = ImGui::IsItemActive();
  const bool sensDone = ImGui::IsItemDeactivatedAfterEdit();
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6.f);
  const bool rejectMoved =
      ImGui::SliderFloat("reject", &ui.triggerReject, 0.f, 5.f, ui.triggerReject > 0.f ? "%.2f" : "off");
  const bool rejectHeld = ImGui::IsItemActive();
  const bool rejectDone = ImGui::IsItemDeactivatedAfterEdit();
  ui.triggerSliderHeld = sensHeld || rejectHeld;
  if (sensMoved || rejectMoved) {
    const float rise = minRiseForSensitivity(ui.triggerSensitivity), reject = ui.triggerReject;
    toTriggers(ui, [rise, reject](TriggerPart& part) { part.setDetection(rise, reject); });
  }
  if (sensDone || rejectDone) toTriggers(ui, [](TriggerPart& part) { part.save(); });
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 3.f);
  ImGui::SliderInt("per take", &ui.examplesPerTake, 3, 16);
  if (t.armed) {
    ImGui::SameLine();
    if (ImGui::Button("Cancel")) toTriggers(ui, [](TriggerPart& part) { part.cancelLearning(); });
  }
  for (size_t c = 0; c < t.classes.size(); ++c) {
    const TriggerView::Class& k = t.classes[c];
    const int cls = static_cast<int>(c);
    ImGui::PushID(cls);
    ImGui::Separator();
    // A class flashes with its velocity for 150 ms after each hit.
    float flash = 0.f;
    for (const auto& h : t.recent)
      if (h.cls == cls && now - h.when < std::chrono::milliseconds(150)) flash = h.velocity / 127.f;
    ImGui::ProgressBar(flash, ImVec2(ImGui::GetFontSize(), 0), "");
    ImGui::SameLine();
    ImGui::Text("%s: %d examples", k.name.c_str(), k.examples);
    if (ImGui::Button(k.armed ? "Listening" : "Learn"))
      toTriggers(ui, [cls, n = ui.examplesPerTake](TriggerPart& part) { part.arm(cls, n); });
    ImGui::SameLine();
    if (ImGui::Button("Clear")) toTriggers(ui, [cls](TriggerPart& part) { part.clearClass(cls); });
    ImGui::SameLine();
    if (ImGui::Button("Remove")) toTriggers(ui, [cls](TriggerPart& part) { part.removeClass(cls); });
    int note = k.note;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6.f);
    if (ImGui::InputInt("note", &note))
      toTriggers(ui, [cls, note = std::clamp(note, 0, 127)](TriggerPart& part) { part.setNote(cls, note); });
    ImGui::PopID();
  }
  ImGui::Separator();
  if (t.canAddClass) {
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 5.f);
    ImGui::InputText("##newclass", ui.newTriggerClass, sizeof ui.newTriggerClass);
    ImGui::SameLine();
    if (ImGui::Button("Add class") && ui.newTriggerClass[0]) {
      toTriggers(ui, [name = std::string(ui.newTriggerClass)](TriggerPart& part) { part.addClass(name); });
      ui.newTriggerClass[0] = '\0';
    }
  }
  if (ImGui::Button("Save")) toTriggers(ui, [](TriggerPart& part) { part.save(); });
  ImGui::SameLine();
  if (ImGui::Button("Reload")) toTriggers(ui, [](TriggerPart& part) { part.reload(); });
  for (const auto& h : t.recent) {
    if (h.cls < 0 || h.cls >= static_cast<int>(t.classes.size())) continue;
    ImGui::TextDisabled("%s v%d d%.2f +%.0f ms", t.classes[static_cast<size_t>(h.cls)].name.c_str(), h.velocity,
                        h.distance, h.decisionMs);
  }
}

}  // namespace mm::ui
