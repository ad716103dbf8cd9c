#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ParamWidgets.h"
#include "Sections.h"
#include "StageTheme.h"

namespace mm::ui {

namespace {
constexpr double kPlotSeconds = 4.0;
}

void sampleLatents(UiState& ui) {
  // The worker publishes the latents of each block it performs; we copy the newest
  // (a lock-free read, InferenceWorker::latestLatents) and keep its last frame per
  // dimension. Sampled once per UI frame, so the plot shows what was actually played.
  while (!ui.latents.empty() && ui.latents.front().time < ui.now - kPlotSeconds - 0.5) ui.latents.pop_front();
  InferenceWorker* worker = ui.engine->worker();
  const size_t dims = ui.sp.dimOffset.size();
  if (!worker || dims == 0) return;
  worker->latestLatents(ui.latentScratch);
  if (ui.latentScratch.size() < dims || ui.latentScratch.size() % dims != 0) return;
  const size_t frames = ui.latentScratch.size() / dims;  // planar: dims x frames
  LatentSample s;
  s.time = ui.now;
  s.values.resize(dims);
  for (size_t d = 0; d < dims; ++d) s.values[d] = ui.latentScratch[d * frames + frames - 1];
  ui.latents.push_back(std::move(s));
}

void drawLatentPlot(UiState& ui, ImVec2 size) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 o = ImGui::GetCursorScreenPos();
  const ImVec2 e(o.x + size.x, o.y + size.y);
  dl->AddRectFilled(o, e, colour::rgb(12, 14, 19), 6.f);

  // Symmetric range that always fits the last seconds (at least +-1).
  float range = 1.f;
  for (const LatentSample& s : ui.latents)
    for (float v : s.values)
      if (std::isfinite(v)) range = std::max(range, std::fabs(v) * 1.1f);
  const float midY = (o.y + e.y) * 0.5f;
  const float halfH = size.y * 0.5f - 6.f;
  auto yOf = [&](float v) { return midY - std::clamp(v / range, -1.f, 1.f) * halfH; };
  auto xOf = [&](double t) { return e.x - static_cast<float>((ui.now - t) / kPlotSeconds) * size.x; };

  for (int sec = 1; sec < static_cast<int>(kPlotSeconds); ++sec) {
    const float x = xOf(ui.now - sec);
    dl->AddLine(ImVec2(x, o.y), ImVec2(x, e.y), colour::rgb(30, 35, 44), 1.f);
  }
  dl->AddLine(ImVec2(o.x, midY), ImVec2(e.x, midY), colour::rgb(50, 58, 70), 1.f);
  dl->PushClipRect(o, e, true);
  const size_t dims = ui.latents.empty() ? 0 : ui.latents.back().values.size();
  std::vector<ImVec2> pts;
  for (size_t d = 0; d < dims; ++d) {
    pts.clear();
    for (const LatentSample& s : ui.latents)
      if (s.time >= ui.now - kPlotSeconds - 0.1 && d < s.values.size() && std::isfinite(s.values[d]))
        pts.emplace_back(xOf(s.time), yOf(s.values[d]));
    if (pts.size() >= 2)
      dl->AddPolyline(pts.data(), static_cast<int>(pts.size()), colour::dimension(static_cast<int>(d)), 0,
                      dims > 16 ? 1.5f : 2.5f);
  }
  dl->PopClipRect();

  char label[64];
  std::snprintf(label, sizeof label, "+%.1f", range);
  dl->AddText(ImVec2(o.x + 6, o.y + 2), colour::kDim, label);
  std::snprintf(label, sizeof label, "-%.1f", range);
  dl->AddText(ImVec2(o.x + 6, e.y - ImGui::GetFontSize() - 2), colour::kDim, label);
  dl->AddText(ImVec2(e.x - ImGui::CalcTextSize("now").x - 6, e.y - ImGui::GetFontSize() - 2), colour::kDim, "now");
  if (dims == 0) {
    const char* wait = "waiting for the model's first latents";
    const ImVec2 ts = ImGui::CalcTextSize(wait);
    dl->AddText(ImVec2(o.x + (size.x - ts.x) * 0.5f, midY - ts.y * 0.5f), colour::kDim, wait);
  }
  ImGui::Dummy(size);
}

void drawLatentDims(UiState& ui) {
  ParameterRegistry& reg = *ui.registry;
  const size_t dims = ui.sp.dimOffset.size();
  sectionTitle(ui, "Latent dimensions", colour::kLatent);
  // Reset and randomize act on every dimension at once; double-click one bar to reset it.
  // On the heading's line when there is room, else on their own line.
  const ImGuiStyle& style = ImGui::GetStyle();
  const float bw = ImGui::CalcTextSize("Randomize").x + style.FramePadding.x * 2;
  const float buttonsW = bw + ImGui::CalcTextSize("Reset").x + style.FramePadding.x * 2 + style.ItemSpacing.x;
  const float headingEnd = ImGui::GetItemRectMax().x - ImGui::GetWindowPos().x;
  const float right = ImGui::GetWindowContentRegionMax().x;
  if (right - headingEnd > buttonsW + style.ItemSpacing.x * 2) {
    ImGui::SameLine();
    ImGui::SetCursorPosX(right - buttonsW);
  }
  if (stageButton(ui, "dims.reset", "Reset", ImVec2(0, 0), colour::rgb(44, 52, 64))) {
    for (size_t d = 0; d < dims; ++d) {
      reg.set(ui.sp.dimOffset[d], reg.spec(ui.sp.dimOffset[d]).def);
      reg.set(ui.sp.dimScale[d], reg.spec(ui.sp.dimScale[d]).def);
    }
    ui.actions.push_back("dims reset");
  }
  ImGui::SameLine();
  if (stageButton(ui, "dims.randomize", "Randomize", ImVec2(bw, 0), colour::rgb(70, 56, 130))) {
    // Offsets within +-1.5 and weights within 0.5 .. 1.5: far enough to hear, not so far
    // that the model leaves the region it was trained on.
    std::uniform_real_distribution<float> offset(-1.5f, 1.5f), weight(0.5f, 1.5f);
    for (size_t d = 0; d < dims; ++d) {
      reg.set(ui.sp.dimOffset[d], offset(ui.rng));
      reg.set(ui.sp.dimScale[d], weight(ui.rng));
    }
    ui.actions.push_back("dims randomize");
  }
  if (dims == 0) {
    ImGui::TextDisabled("this model has no latent dimensions to play");
    return;
  }
  const float spacing = ImGui::GetStyle().ItemSpacing.x;
  const float half = (ImGui::GetContentRegionAvail().x - spacing) * 0.5f;
  char label[32];
  for (size_t d = 0; d < dims; ++d) {
    std::snprintf(label, sizeof label, "dim %zu", d);
    paramBar(ui, ui.sp.dimOffset[d], label, colour::dimension(static_cast<int>(d)), half);
    ImGui::SameLine();
    paramBar(ui, ui.sp.dimScale[d], "weight", colour::dimension(static_cast<int>(d)), half);
  }
}

}  // namespace mm::ui
