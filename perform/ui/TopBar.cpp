#include <algorithm>
#include <cfloat>
#include <cmath>
#include <filesystem>
#include <string>

#include "Keyboard.h"
#include "ParamWidgets.h"
#include "Sections.h"
#include "StageTheme.h"

namespace mm::ui {

namespace {

void engineState(UiState& ui, ImDrawList* dl, ImVec2 at) {
  const EngineStatus& s = ui.status;
  const char* text = !s.running ? "STOPPED" : s.muted ? "MUTED: RELOADING" : s.fallbackActive ? "LATE: DRY" : "PLAYING";
  const ImU32 c = !s.running || s.muted ? colour::kBad : s.fallbackActive ? colour::kWarn : colour::kGood;
  const float r = ImGui::GetFontSize() * 0.38f;
  dl->AddCircleFilled(ImVec2(at.x + r, at.y + ImGui::GetFontSize() * 0.55f), r, c);
  dl->AddText(ImVec2(at.x + 2.6f * r, at.y), c, text);
}

}  // namespace

void drawTopBar(UiState& ui, ImVec2 size) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 o = ImGui::GetCursorScreenPos();
  const float pad = ImGui::GetStyle().WindowPadding.x;
  dl->AddRectFilled(o, ImVec2(o.x + size.x, o.y + size.y), colour::kPanel, 6.f);
  ui.panelsDrawn.push_back("Top bar");

  // Left: the instrument, the model, its state.
  ImGui::PushFont(ui.fonts.big);
  const float leftW = std::max(size.x * 0.19f, ImGui::CalcTextSize("MUSICMILL").x + 2 * pad);
  dl->AddText(ImVec2(o.x + pad, o.y + pad * 0.6f), colour::kEnergy, "MUSICMILL");
  const float titleH = ImGui::GetFontSize();
  ImGui::PopFont();
  const std::string model = std::filesystem::path(ui.app->modelPath).filename().string();
  dl->AddText(ImVec2(o.x + pad, o.y + pad * 0.6f + titleH + 2), colour::kDim, model.c_str());
  engineState(ui, dl, ImVec2(o.x + pad, o.y + pad * 0.6f + titleH + ImGui::GetFontSize() + 6));

  // Right: BPM and the panic button.
  const float panicW = std::max(size.x * 0.12f, ImGui::GetFontSize() * 6.f);
  const float bpmW = size.x * 0.14f;
  const float setX = o.x + leftW, setW = size.x - leftW - panicW - bpmW - 3 * pad;

  // Centre: the set list. "Song 1 'Warm-up' (1/3) | part 2/2 'Groove' | 90 BPM" reads
  // best as the song on one line and the part large beneath it.
  ui.panelsDrawn.push_back("Set list");
  const std::string& now = ui.view->now;
  const std::string& next = ui.view->next;
  const float captionW = ImGui::CalcTextSize("NEXT").x + pad;
  const float textX = setX + captionW, textW = std::max(10.f, setW - captionW);
  const ImVec4 clip(textX, o.y, textX + textW, o.y + size.y);
  const float y0 = o.y + pad * 0.5f;
  dl->AddText(ImVec2(setX, y0), colour::kDim, "NOW");
  std::string songLine, partLine = now;
  if (const size_t bar = now.find(" | "); bar != std::string::npos) {
    songLine = now.substr(0, bar);
    partLine = now.substr(bar + 3);
    for (size_t p; (p = partLine.find(" | ")) != std::string::npos;) partLine.replace(p, 3, "   ");
  }
  if (!songLine.empty()) {
    dl->AddText(ui.fonts.heading, ui.fonts.heading->FontSize, ImVec2(textX, y0), colour::kText, songLine.c_str(),
                nullptr, 0.f, &clip);
    // The part's (else the song's) notes, after the song, in the tempo colour: the cue the
    // performer wrote for this moment.
    const std::string& notes = ui.view->notes;
    if (!notes.empty()) {
      const float songW =
          ui.fonts.heading->CalcTextSizeA(ui.fonts.heading->FontSize, FLT_MAX, 0.f, songLine.c_str()).x;
      dl->AddText(ui.fonts.heading, ui.fonts.heading->FontSize, ImVec2(textX + songW + pad, y0), colour::kTempo,
                  notes.c_str(), nullptr, 0.f, &clip);
    }
  }
  const float partY = y0 + (songLine.empty() ? ImGui::GetFontSize() * 0.3f : ui.fonts.heading->FontSize + 2.f);
  if (now.empty()) {
    dl->AddText(ui.fonts.big, ui.fonts.big->FontSize, ImVec2(textX, partY), colour::kDim, "no set list loaded",
                nullptr, 0.f, &clip);
  } else {
    // As large as fits, down to the "big" size; beyond that it is clipped.
    ImFont* f = ui.fonts.huge;
    const float w = f->CalcTextSizeA(f->FontSize, FLT_MAX, 0.f, partLine.c_str()).x;
    const float sz = w > textW ? std::max(ui.fonts.big->FontSize, f->FontSize * textW / w) : f->FontSize;
    dl->AddText(f, sz, ImVec2(textX, partY), colour::kText, partLine.c_str(), nullptr, 0.f, &clip);
  }
  const float nextY = o.y + size.y - ImGui::GetFontSize() - pad * 0.6f;
  dl->AddText(ImVec2(setX, nextY), colour::kDim, "NEXT");
  dl->AddText(ui.fonts.heading, ui.fonts.heading->FontSize, ImVec2(textX, nextY - 1),
              next.empty() ? colour::kDim : colour::kTempo, next.empty() ? "-" : next.c_str(), nullptr, 0.f, &clip);

  const float bpmX = o.x + size.x - panicW - bpmW - pad;
  char bpm[16];
  std::snprintf(bpm, sizeof bpm, "%.0f", ui.registry->get(ui.sp.bpm));
  dl->AddText(ImVec2(bpmX, o.y + pad * 0.5f), colour::kDim, "BPM");
  dl->AddText(ui.fonts.huge, ui.fonts.huge->FontSize, ImVec2(bpmX, o.y + pad * 0.5f + ImGui::GetFontSize() * 0.9f),
              colour::kTempo, bpm);

  const bool flashing = ui.now < ui.panicFlashUntil || ui.status.muted;
  ImGui::SetCursorScreenPos(ImVec2(o.x + size.x - panicW - pad * 0.5f, o.y + pad * 0.5f));
  ImGui::PushFont(ui.fonts.big);
  if (stageButton(ui, "panic", "PANIC", ImVec2(panicW, size.y - pad), flashing ? colour::kBad : colour::kPanic,
                  colour::kText))
    perform(ui, StageAction::Panic);
  ImGui::PopFont();
  const char* hint = "H: keys";
  dl->AddText(ImVec2(bpmX, nextY), colour::kDim, hint);

  ImGui::SetCursorScreenPos(o);
  ImGui::Dummy(size);
}

void drawPresets(UiState& ui) {
  sectionTitle(ui, "Presets", colour::kTempo);
  // The set-list player's shelf: built-ins (Calm, Balanced, Intense, Chaotic) then every
  // --preset file, numbered from 1 as SelectPreset counts. Keys 1..9 pick the same ones.
  const std::vector<std::string>& names = ui.view->presets;
  if (names.empty()) {
    ImGui::TextDisabled("no presets loaded (see the messages at start)");
    return;
  }
  const ImGuiStyle& style = ImGui::GetStyle();
  const float avail = ImGui::GetContentRegionAvail().x;
  std::vector<std::string> labels;
  for (size_t i = 0; i < names.size(); ++i)
    labels.push_back(std::to_string(i + 1) + " " + names[i]);  // its number everywhere (keys, OSC, mappings)
  // Four to a row when they fit, else two (else one), in the heading font; where two do
  // not fit in it (a narrow column), two in the body font before one in the heading font.
  auto columnsFor = [&](ImFont* font) {
    ImGui::PushFont(font);
    float widest = 0.f;
    for (const std::string& l : labels)
      widest = std::max(widest, ImGui::CalcTextSize(l.c_str()).x + 2 * style.FramePadding.x);
    ImGui::PopFont();
    int c = 4;
    while (c > 1 && (avail - (c - 1) * style.ItemSpacing.x) / c < widest) c /= 2;
    return c;
  };
  ImFont* font = ui.fonts.heading;
  int cols = columnsFor(font);
  if (cols == 1 && names.size() > 1 && columnsFor(ui.fonts.body) >= 2) {
    font = ui.fonts.body;
    cols = 2;
  }
  ImGui::PushFont(font);
  const float w = std::floor((avail - (cols - 1) * style.ItemSpacing.x) / cols);
  const float h = ImGui::GetFrameHeight() * 1.25f;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i % cols) ImGui::SameLine();
    const std::string id = "preset." + std::to_string(i);
    const int number = static_cast<int>(i) + 1;
    const bool chosen = ui.presetChosen == number;
    if (stageButton(ui, id.c_str(), labels[i].c_str(), ImVec2(w, h),
                    chosen ? colour::rgb(150, 120, 20) : colour::rgb(44, 52, 64), colour::kText)) {
      if (ui.midiLearn) aimMidiLearn(ui, "select_preset", number, "preset " + names[i]);
      else perform(ui, StageAction::SelectPreset, number);
    }
    learnOutline(ui, "preset " + names[i], ImGui::GetItemRectMin(), ImGui::GetItemRectMax());
  }
  ImGui::PopFont();
}

}  // namespace mm::ui
