#include "StageLayout.h"

#include <algorithm>
#include <cmath>

#include "Keyboard.h"
#include "ParamWidgets.h"
#include "Sections.h"
#include "StageTheme.h"

namespace mm::ui {

void sectionTitle(UiState& ui, const char* title, ImU32 c) {
  ImGui::PushFont(ui.fonts.heading);
  ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(c), "%s", title);
  ImGui::PopFont();
  ui.panelsDrawn.push_back(title);
}

void drawMidiLearn(UiState& ui) {
  sectionTitle(ui, "MIDI learn", colour::kTempo);
  const StageView& v = *ui.view;
  if (v.learnSaidCount != ui.learnSeen) {  // the control thread's MIDI learn said something
    ui.learnSeen = v.learnSaidCount;
    ui.learnStatus = v.learnSaid;
    ui.learnTarget.clear();
    if (!v.learnRefused) ui.actions.push_back("learned");
  } else if (!ui.learnTarget.empty() && viewCaughtUp(ui) && (!v.midi || !v.midiLearning)) {
    ui.learnTarget.clear();  // cancelled elsewhere (OSC, or MIDI went away)
  }
  // The on/off button on the heading's line, at its right end.
  const char* label = ui.midiLearn ? "LEARNING  (L)" : "Learn  (L)";
  const float bw = ImGui::CalcTextSize("LEARNING  (L)").x + ImGui::GetStyle().FramePadding.x * 2;
  const float right = ImGui::GetWindowContentRegionMax().x;
  if (right - (ImGui::GetItemRectMax().x - ImGui::GetWindowPos().x) > bw + ImGui::GetStyle().ItemSpacing.x * 2) {
    ImGui::SameLine();
    ImGui::SetCursorPosX(right - bw);
  }
  if (stageButton(ui, "learn.toggle", label, ImVec2(bw, 0), ui.midiLearn ? colour::rgb(150, 120, 20) : colour::rgb(44, 52, 64),
                  colour::kText))
    perform(ui, StageAction::ToggleMidiLearn);
  ImGui::PushTextWrapPos(0.f);
  if (ui.midiLearn || !ui.learnStatus.empty())
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(ui.midiLearn ? colour::kTempo : colour::kText), "%s",
                       ui.learnStatus.empty() ? "click the control to learn" : ui.learnStatus.c_str());
  if (!v.midi) {
    ImGui::TextDisabled("MIDI in is off: --midi-in PORT or --mapping FILE turns it on");
  } else {
    std::string joined;
    for (const auto& p : v.midiPorts) joined += (joined.empty() ? "" : ", ") + p;
    ImGui::TextDisabled("MIDI in: %s", joined.empty() ? "no port connected" : joined.c_str());
  }
  ImGui::PopTextWrapPos();
}

namespace {

constexpr ImGuiWindowFlags kColumnFlags = ImGuiWindowFlags_NoSavedSettings;

void drawMessages(UiState& ui) {
  sectionTitle(ui, "Messages", colour::kDim);
  // App::recentMessages takes a short lock that only other non-audio threads hold
  // while appending one string: never a wait on the engine.
  const std::vector<std::string> messages = ui.app->recentMessages(4);
  if (messages.empty()) ImGui::TextDisabled("no messages");
  for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
    ImGui::PushTextWrapPos(0.f);
    ImGui::TextUnformatted(it->c_str());
    ImGui::PopTextWrapPos();
  }
}

// Panels of the parts that have one: the playing model (open when it has controls of its
// own), the beatbox triggers (with --triggers).
void drawAddOnPanels(UiState& ui) {
  {
    const ModelView& m = ui.view->model;
    const std::string title = "Model: " + (m.name.empty() ? std::string("?") : m.name) + "###model";
    ImGui::PushID("model");
    ImGui::PushFont(ui.fonts.heading);
    const bool open =
        ImGui::CollapsingHeader(title.c_str(), m.attributes.empty() ? ImGuiTreeNodeFlags_None : ImGuiTreeNodeFlags_DefaultOpen);
    ImGui::PopFont();
    ui.panelsDrawn.push_back("Model");
    if (open) drawModelPanel(ui);
    ImGui::PopID();
  }
  if (!ui.view->triggers) return;
  const char* title = "Beatbox triggers";
  ImGui::PushID(title);
  ImGui::PushFont(ui.fonts.heading);
  const bool open = ImGui::CollapsingHeader(title, ImGuiTreeNodeFlags_DefaultOpen);
  ImGui::PopFont();
  ui.panelsDrawn.push_back(title);
  if (open) drawTriggerPanel(ui);
  ImGui::PopID();
}

}  // namespace

void drawStage(UiState& ui) {
  const ImGuiViewport* vp = ImGui::GetMainViewport();
  ImGui::SetNextWindowPos(vp->Pos);
  ImGui::SetNextWindowSize(vp->Size);
  ImGui::Begin("MusicMill Live", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoScrollWithMouse);
  const ImGuiStyle& style = ImGui::GetStyle();
  const float W = ImGui::GetContentRegionAvail().x, H = ImGui::GetContentRegionAvail().y;
  const float topH = std::max(H * 0.15f, ui.fonts.huge->FontSize + ui.fonts.body->FontSize * 2.6f);
  drawTopBar(ui, ImVec2(W, topH));

  const float colH = ImGui::GetContentRegionAvail().y;
  const float gap = style.ItemSpacing.x;
  const float wA = std::floor((W - 2 * gap) * 0.27f), wB = std::floor((W - 2 * gap) * 0.42f);
  const float wC = W - 2 * gap - wA - wB;

  ImGui::BeginChild("sound", ImVec2(wA, colH), false, kColumnFlags);
  drawPresets(ui);
  ImGui::Spacing();
  drawMacros(ui, colH * 0.32f);
  ImGui::Spacing();
  drawMix(ui);
  ImGui::EndChild();

  ImGui::SameLine();
  ImGui::BeginChild("latent", ImVec2(wB, colH), false, kColumnFlags);
  sectionTitle(ui, "Latent trajectory", colour::kLatent);
  drawLatentPlot(ui, ImVec2(ImGui::GetContentRegionAvail().x, colH * 0.26f));
  ImGui::Spacing();
  // Pattern memory and style anchors side by side: the latent sources besides the voice.
  if (ImGui::BeginTable("sources", 2, ImGuiTableFlags_SizingStretchSame | ImGuiTableFlags_PadOuterX)) {
    ImGui::TableNextColumn();
    drawPatterns(ui);
    ImGui::TableNextColumn();
    drawStyleAnchors(ui);
    ImGui::EndTable();
  }
  ImGui::Spacing();
  ImGui::BeginChild("dims", ImVec2(0, 0), false, kColumnFlags);
  drawLatentDims(ui);
  ImGui::EndChild();
  ImGui::EndChild();

  ImGui::SameLine();
  ImGui::BeginChild("meters", ImVec2(wC, colH), false, kColumnFlags);
  // What a performer reads during a song first (meters with MIDI and trigger status, the
  // messages, the trigger panel), the set-up tools (learn, LFOs) below.
  drawMeters(ui);
  ImGui::Spacing();
  drawMessages(ui);
  ImGui::Spacing();
  drawAddOnPanels(ui);
  ImGui::Spacing();
  drawMidiLearn(ui);
  ImGui::Spacing();
  drawLfos(ui);
  ImGui::EndChild();
  ImGui::End();

  drawAnchorPicker(ui);
  drawModelBrowser(ui);
  if (ui.showHelp) drawHelpOverlay(ui);
  if (ui.now < ui.quitArmedUntil) {
    ImGui::SetNextWindowPos(ImVec2(vp->Pos.x + vp->Size.x * 0.5f, vp->Pos.y + vp->Size.y * 0.5f), ImGuiCond_Always,
                            ImVec2(0.5f, 0.5f));
    ImGui::Begin("Quit?", nullptr, ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_AlwaysAutoResize |
                                       ImGuiWindowFlags_NoSavedSettings);
    ImGui::PushFont(ui.fonts.big);
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colour::kWarn), "Press Q again to quit");
    ImGui::PopFont();
    ImGui::End();
  }
}

}  // namespace mm::ui
