#include <algorithm>
#include <chrono>
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
constexpr double kRecentSeconds = 5.0;

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

namespace {

// A status line large enough to read from a few metres: a coloured dot and a word.
void statusLine(UiState& ui, ImU32 c, const char* caption, const std::string& text) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 o = ImGui::GetCursorScreenPos();
  const float h = ui.fonts.heading->FontSize;
  dl->AddCircleFilled(ImVec2(o.x + h * 0.35f, o.y + h * 0.55f), h * 0.3f, c);
  ImGui::SetCursorScreenPos(ImVec2(o.x + h * 0.85f, o.y));
  ImGui::PushFont(ui.fonts.heading);
  ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(c), "%s", caption);
  ImGui::SameLine();
  ImGui::PushTextWrapPos(0.f);
  ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colour::kText), "%s", text.c_str());
  ImGui::PopTextWrapPos();
  ImGui::PopFont();
}

}  // namespace

void drawMeters(UiState& ui) {
  const EngineStatus& s = ui.status;
  sectionTitle(ui, "Meters", colour::kGood);
  // What happened in the last 5 s (colour only while a problem is current); the totals
  // since the start are in the tooltip and the --report.
  const TriggerView& trig = ui.view->trigger;
  auto& hist = ui.countHistory;
  hist.push_back({ui.now, s.xruns, s.lateCallbacks, ui.onsets, trig.hits});
  while (hist.size() > 2 && hist[1].time <= ui.now - kRecentSeconds) hist.pop_front();
  const UiState::Counts& then = hist.front();
  const uint64_t xr = s.xruns - std::min(s.xruns, then.xruns), late = s.lateCallbacks - std::min(s.lateCallbacks, then.late);
  const uint64_t on = ui.onsets - std::min(ui.onsets, then.onsets), hits = trig.hits - std::min(trig.hits, then.hits);
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
  // The callback's own CPU time over the last second against its buffers' duration: time
  // its thread spent preempted (by the UI's renderer, by another program) is not in it.
  // The wall-clock maximum is in --report (callback_wall_max).
  set(2, "audio CPU", s.callbackCpuMean > 0.7 ? colour::kBad : colour::kText, "%.0f%%", 100.0 * s.callbackCpuMean);
  set(3, "xruns 5 s", xr ? colour::kBad : colour::kText, "%.0f", static_cast<double>(xr));
  set(4, "late 5 s", late ? colour::kWarn : colour::kText, "%.0f", static_cast<double>(late));
  set(5, "onsets 5 s", colour::kEnergy, "%.0f", static_cast<double>(on));
  // The figures are read by eye: they change four times a second, at once when one turns
  // to a warning colour (a stage at rest then draws the same picture frame after frame).
  bool colourChanged = false;
  for (int i = 0; i < 6; ++i) colourChanged |= figs[i].colour != ui.figureColour[static_cast<size_t>(i)];
  if (colourChanged || ui.now >= ui.figuresShownAt + 0.25 || ui.now < ui.figuresShownAt) {
    ui.figuresShownAt = ui.now;
    for (int i = 0; i < 6; ++i) {
      ui.figureText[static_cast<size_t>(i)] = figs[i].value;
      ui.figureColour[static_cast<size_t>(i)] = figs[i].colour;
    }
  }
  const float avail = ImGui::GetContentRegionAvail().x;
  const int cols = avail >= ui.fonts.small->FontSize * 16.f ? 3 : 2;
  const float colW = avail / static_cast<float>(cols);
  const float x0 = ImGui::GetCursorPosX();
  for (int i = 0; i < 6; ++i) {
    if (i % cols) ImGui::SameLine(x0 + colW * static_cast<float>(i % cols));
    figure(ui, figs[i].label, ui.figureText[static_cast<size_t>(i)].c_str(), ui.figureColour[static_cast<size_t>(i)]);
    if (i >= 3 && ImGui::IsItemHovered())
      ImGui::SetTooltip("since the start: %llu xruns, %llu late frames, %llu onsets",
                        static_cast<unsigned long long>(s.xruns), static_cast<unsigned long long>(s.lateCallbacks),
                        static_cast<unsigned long long>(ui.onsets));
  }
  ImGui::Spacing();
  // MIDI in: green with its ports, red when MIDI is on but no port is there, grey when off.
  if (ui.view->midi) {
    std::string joined;
    for (const auto& p : ui.view->midiPorts) joined += (joined.empty() ? "" : ", ") + p;
    if (joined.empty()) statusLine(ui, colour::kBad, "MIDI IN", "no port connected");
    else statusLine(ui, colour::kGood, "MIDI IN", joined);
  } else {
    statusLine(ui, colour::kDim, "MIDI IN", "off");
  }
  // Beatbox triggers: the last hit's sound, lit for 0.3 s, and the hits of the last 5 s.
  if (ui.view->triggers) {
    const bool lit = !trig.lastClass.empty() &&
                     std::chrono::steady_clock::now() - trig.lastHit < std::chrono::milliseconds(300);
    std::string text = trig.lastClass.empty() ? "waiting" : trig.lastClass;
    text += "  " + std::to_string(hits) + " in 5 s" + (trig.midiOut.empty() ? "" : "  -> " + trig.midiOut);
    statusLine(ui, lit ? colour::kEnergy : trig.lastClass.empty() ? colour::kDim : colour::kTempo, "HITS", text);
  }
}

}  // namespace mm::ui
