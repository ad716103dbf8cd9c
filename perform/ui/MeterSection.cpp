#include <algorithm>
#include <cmath>
#include <cstdio>

#include "Sections.h"
#include "StageTheme.h"

namespace mm::ui {

namespace {

constexpr float kFloorDb = -60.f;
// An onset: the input peak envelope (instant attack, 50 ms release in InputStage) sits
// this far above its lowest value of the last 80 ms (or of the previous frame), and above
// the floor below. Sampled once per UI frame: a flash for the performer's eye, not a
// sample-accurate detector.
constexpr float kOnsetRiseDb = 9.f;
constexpr float kOnsetMinDb = -45.f;
constexpr double kOnsetWindow = 0.08, kOnsetFlash = 0.15;

float toDb(float level) { return 20.f * std::log10(std::max(level, 1e-6f)); }

// A level bar in dBFS; `led` (when given) is drawn lit or dark at its right end.
void levelMeter(const char* label, float level, const bool* led) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 o = ImGui::GetCursorScreenPos();
  const float w = ImGui::GetContentRegionAvail().x;
  const float h = ImGui::GetFrameHeight() * 1.1f;
  const float labelW = ImGui::GetFontSize() * 2.6f;
  const float ledR = h * 0.32f;
  const ImVec2 a(o.x + labelW, o.y), b(o.x + w - (led ? 2.6f * ledR + 4.f : 0.f), o.y + h);
  dl->AddText(ImVec2(o.x, o.y + (h - ImGui::GetFontSize()) * 0.5f), colour::kText, label);
  dl->AddRectFilled(a, b, colour::kTrack, 4.f);
  const float db = toDb(level);
  const float n = std::clamp((db - kFloorDb) / -kFloorDb, 0.f, 1.f);
  // Green up to -12 dBFS, yellow to -3, red above: the usual stage meter.
  const float x12 = a.x + (b.x - a.x) * (1.f - 12.f / -kFloorDb), x3 = a.x + (b.x - a.x) * (1.f - 3.f / -kFloorDb);
  const float x = a.x + (b.x - a.x) * n;
  dl->AddRectFilled(a, ImVec2(std::min(x, x12), b.y), colour::kGood, 4.f);
  if (x > x12) dl->AddRectFilled(ImVec2(x12, a.y), ImVec2(std::min(x, x3), b.y), colour::kWarn);
  if (x > x3) dl->AddRectFilled(ImVec2(x3, a.y), ImVec2(x, b.y), colour::kBad);
  char text[24];
  if (db <= kFloorDb) std::snprintf(text, sizeof text, "-inf");
  else std::snprintf(text, sizeof text, "%.0f dB", db);
  const float tw = ImGui::CalcTextSize(text).x;
  const ImVec2 at(b.x - tw - 6, o.y + (h - ImGui::GetFontSize()) * 0.5f);
  dl->AddText(ImVec2(at.x + 1, at.y + 1), colour::rgb(0, 0, 0, 200), text);  // readable over the fill
  dl->AddText(at, colour::kText, text);
  if (led) dl->AddCircleFilled(ImVec2(o.x + w - ledR - 2.f, o.y + h * 0.5f), ledR, *led ? colour::kEnergy : colour::kTrack);
  ImGui::Dummy(ImVec2(w, h));
}

void figure(UiState& ui, const char* label, const char* value, ImU32 c) {
  ImGui::BeginGroup();
  ImGui::PushFont(ui.fonts.small);
  ImGui::TextDisabled("%s", label);
  ImGui::PopFont();
  ImGui::PushFont(ui.fonts.big);
  ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(c), "%s", value);
  ImGui::PopFont();
  ImGui::EndGroup();
}

}  // namespace

void updateMeters(UiState& ui) {
  const float db = toDb(ui.status.inputLevel);
  auto& h = ui.inputHistoryDb;
  // Keep the last 80 ms, and always the previous frame, so that a slow frame rate (a
  // software-rendered UI) still sees a hit as a rise from the frame before.
  while (h.size() > 1 && h.front().first < ui.now - kOnsetWindow) h.pop_front();
  float lowest = db;
  for (const auto& p : h) lowest = std::min(lowest, p.second);
  const bool rising = db > kOnsetMinDb && db - lowest >= kOnsetRiseDb;
  if (rising && ui.now >= ui.onsetFlashUntil) ++ui.onsets;  // one count per flash
  if (rising) ui.onsetFlashUntil = ui.now + kOnsetFlash;
  h.emplace_back(ui.now, db);
  if (ui.status.muted) ++ui.mutedFrames;
}

void drawMeters(UiState& ui) {
  const EngineStatus& s = ui.status;
  sectionTitle(ui, "Meters", colour::kGood);
  const bool onset = ui.now < ui.onsetFlashUntil;
  levelMeter("IN", s.inputLevel, &onset);
  levelMeter("OUT", s.outputLevel, nullptr);
  // Six figures in a grid: three columns when they fit, else two.
  struct Figure {
    const char* label;
    char value[32];
    ImU32 colour;
  } figs[6] = {};
  auto set = [&](int i, const char* label, ImU32 c, const char* fmt, double x) {
    figs[i].label = label;
    figs[i].colour = c;
    std::snprintf(figs[i].value, sizeof figs[i].value, fmt, x);
  };
  set(0, "latency ms", colour::kText, "%.1f", s.latencyMs);
  set(1, "model CPU", s.workerLoad > 0.9 ? colour::kBad : s.workerLoad > 0.6 ? colour::kWarn : colour::kText, "%.0f%%",
      100.0 * s.workerLoad);
  set(2, "audio CPU", s.callbackLoad > 0.7 ? colour::kBad : colour::kText, "%.0f%%", 100.0 * s.callbackLoad);
  set(3, "xruns", s.xruns ? colour::kBad : colour::kText, "%.0f", static_cast<double>(s.xruns));
  set(4, "late frames", s.lateCallbacks ? colour::kWarn : colour::kText, "%.0f", static_cast<double>(s.lateCallbacks));
  set(5, "onsets", colour::kEnergy, "%.0f", static_cast<double>(ui.onsets));
  const float avail = ImGui::GetContentRegionAvail().x;
  const int cols = avail >= ui.fonts.small->FontSize * 16.f ? 3 : 2;
  const float colW = avail / static_cast<float>(cols);
  const float x0 = ImGui::GetCursorPosX();
  for (int i = 0; i < 6; ++i) {
    if (i % cols) ImGui::SameLine(x0 + colW * static_cast<float>(i % cols));
    figure(ui, figs[i].label, figs[i].value, figs[i].colour);
  }
}

}  // namespace mm::ui
