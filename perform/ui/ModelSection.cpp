// The model panel and the model browser: drawn from the StageView's ModelView; every
// button posts an event that ModelPart carries out on the control thread. A playable
// attribute is a parameter, drawn as a bar like any other (MIDI learn aims at it too).
#include <algorithm>
#include <cstdio>
#include <string>

#include "ModelSetup.h"
#include "ParamWidgets.h"
#include "Sections.h"
#include "StageTheme.h"

namespace mm::ui {

namespace {

template <typename Fn>
void toModel(UiState& ui, Fn fn) {
  toControl(ui, [fn](App& a) {
    if (!a.model) return;
    if (const std::string why = fn(*a.model); !why.empty()) a.post("model: " + why);
  });
}

void openBrowser(UiState& ui) {
  ui.browserOpen = true;
  ui.browserChoice = -1;
  toControl(ui, [](App& a) {
    if (a.model) a.model->listLibrary();
  });
  ui.actions.push_back("model browser");
}

}  // namespace

void drawModelPanel(UiState& ui) {
  const ModelView& m = ui.view->model;
  const float h = ImGui::GetFrameHeight();
  if (stageButton(ui, "model.browse", "Models...", ImVec2(0, h), colour::rgb(44, 52, 64), colour::kText)) openBrowser(ui);
  ImGui::SameLine();
  ImGui::AlignTextToFramePadding();
  if (!m.loading.empty())
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colour::kWarn), "loading %s", m.loading.c_str());
  else
    ImGui::TextDisabled("%s", m.path.c_str());
  if (m.attributes.empty()) {
    ImGui::TextDisabled("this model declares no controls of its own");
    return;
  }
  if (!m.learning.empty()) ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colour::kTempo), "learning %s", m.learning.c_str());
  for (const ModelView::Attribute& a : m.attributes) {
    if (a.name.rfind("reset_", 0) == 0) {
      bool partnered = false;  // drawn on its learn_* row
      for (const auto& b : m.attributes) partnered = partnered || b.reset == a.name;
      if (partnered) continue;
    }
    ImGui::PushID(a.name.c_str());
    if (a.param < 0) {
      ImGui::TextDisabled("%s (%s): not playable in this show", a.name.c_str(), a.type.c_str());
    } else if (a.learn) {
      // learn_target: learn from the input for N s, from a file, reset.
      ImGui::AlignTextToFramePadding();
      ImGui::TextUnformatted(a.name.c_str());
      ImGui::SameLine();
      const std::string in = "model.learn." + a.name, file = "model.file." + a.name, reset = "model.reset." + a.reset;
      char label[48];
      std::snprintf(label, sizeof label, "Input %.0f s", ui.learnSeconds);
      if (stageButton(ui, in.c_str(), label, ImVec2(0, h), colour::rgb(70, 56, 130), colour::kText)) {
        toModel(ui, [name = a.name, secs = static_cast<double>(ui.learnSeconds)](ModelPart& p) {
          return p.learnFromInput(name, secs);
        });
        ui.actions.push_back("learn " + a.name + " from the input");
      }
      ImGui::SameLine();
      if (stageButton(ui, file.c_str(), "File...", ImVec2(0, h), colour::rgb(70, 56, 130), colour::kText)) {
        ui.pickerLearn = a.name;
        openPicker(ui, kPickerLearn);
      }
      if (!a.reset.empty()) {
        ImGui::SameLine();
        if (stageButton(ui, reset.c_str(), "Reset", ImVec2(0, h), colour::rgb(44, 52, 64), colour::kText)) {
          toModel(ui, [name = a.reset](ModelPart& p) { return p.reset(name); });
          ui.actions.push_back("press " + a.reset);
        }
      }
    } else {
      paramBar(ui, a.param, a.name.c_str(), colour::kLatent);
    }
    ImGui::PopID();
  }
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 5.f);
  ImGui::SliderFloat("listen", &ui.learnSeconds, 1.f, 20.f, "%.0f s");
}

void drawModelBrowser(UiState& ui) {
  if (!ui.browserOpen) return;
  const ModelView& m = ui.view->model;
  beginOverlay("Models", 0.6f, 30.f, 0.7f);
  sectionTitle(ui, "Models", colour::kLatent);
  ImGui::SameLine();
  ImGui::AlignTextToFramePadding();
  ImGui::TextDisabled("the library; Play loads one beside the playing model, then crossfades");
  const float buttonsH = ImGui::GetFrameHeightWithSpacing() * 1.3f;
  ImGui::BeginChild("models", ImVec2(0, std::max(ImGui::GetFrameHeight() * 2.f, ImGui::GetContentRegionAvail().y - buttonsH)),
                    true, ImGuiWindowFlags_NoSavedSettings);
  if (m.library.empty()) ImGui::TextDisabled(m.listing ? "reading the library..." : "no models found");
  for (size_t i = 0; i < m.library.size(); ++i) {
    const ModelView::Entry& e = m.library[i];
    ImGui::PushID(static_cast<int>(i));
    const std::string title = (e.playing ? "> " : "  ") + e.name + (e.playing ? "  (playing)" : "");
    if (ImGui::Selectable(title.c_str(), ui.browserChoice == static_cast<int>(i), 0, ImVec2(0, 0)) && e.problem.empty())
      ui.browserChoice = static_cast<int>(i);
    ControlPlace place;
    place.min = ImGui::GetItemRectMin();
    place.max = ImGui::GetItemRectMax();
    ui.controls["model.entry=" + e.name] = place;
    ImGui::Indent();
    ImGui::PushTextWrapPos(0.f);
    if (e.problem.empty())
      ImGui::TextDisabled("%s", e.facts.c_str());
    else
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colour::kBad), "cannot play: %s", e.problem.c_str());
    ImGui::PopTextWrapPos();
    ImGui::Unindent();
    ImGui::PopID();
  }
  ImGui::EndChild();
  const float h = ImGui::GetFrameHeight() * 1.2f;
  ImGui::PushFont(ui.fonts.heading);
  const bool chosen = ui.browserChoice >= 0 && ui.browserChoice < static_cast<int>(m.library.size());
  if (stageButton(ui, "model.play", "Play", ImVec2(0, h), chosen ? colour::rgb(70, 56, 130) : colour::rgb(44, 52, 64),
                  colour::kText) &&
      chosen) {
    const std::string name = m.library[static_cast<size_t>(ui.browserChoice)].name;  // saved by name in presets
    toModel(ui, [name](ModelPart& p) { return p.play(name); });
    ui.actions.push_back("play model " + m.library[static_cast<size_t>(ui.browserChoice)].name);
    ui.browserOpen = false;
  }
  ImGui::SameLine();
  if (stageButton(ui, "model.rescan", "Rescan", ImVec2(0, h), colour::rgb(44, 52, 64))) openBrowser(ui);
  ImGui::SameLine();
  if (stageButton(ui, "model.close", "Close", ImVec2(0, h), colour::rgb(44, 52, 64))) ui.browserOpen = false;
  ImGui::PopFont();
  ImGui::End();
}

}  // namespace mm::ui
