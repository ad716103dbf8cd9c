#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "ParamWidgets.h"
#include "ModelSetup.h"
#include "Sections.h"
#include "SourcesSetup.h"
#include "StageTheme.h"

namespace mm::ui {

namespace {
constexpr double kPlotSeconds = 4.0;
constexpr size_t kMaxListedFiles = 500;

std::string fileName(const std::string& path) { return std::filesystem::path(path).filename().string(); }

// The *.wav files of the working folder, for the picker. Runs once when the picker opens
// (and on Rescan): a short directory listing on the UI thread, not a wait on the engine.
std::vector<std::string> listWavFiles() {
  std::vector<std::string> files;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(std::filesystem::current_path(ec), ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string ext = it->path().extension().string();
    for (char& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    std::error_code fe;
    if (ext == ".wav" && it->is_regular_file(fe)) files.push_back(it->path().filename().string());
    if (files.size() >= kMaxListedFiles) break;
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

void openPicker(UiState& ui, int which) {
  ui.pickerFor = which;
  ui.pickerError.clear();
  ui.wavFiles = listWavFiles();
  ui.actions.push_back(which == kPickerLearn ? "learn " + ui.pickerLearn + " picker"
                                             : std::string("anchor ") + (which ? "B" : "A") + " picker");
}

namespace {

// One anchor's line: its letter, what it holds (or "encoding NAME" with a moving bar),
// and the button that opens the picker for it.
void anchorRow(UiState& ui, int which) {
  const StyleAnchorStatus& st = ui.view->anchors[which];
  const char* letter = which ? "B" : "A";
  if (st.file != ui.anchorSeen[which]) {  // an encoding landed (or --anchor-a at start)
    if (!st.file.empty()) ui.actions.push_back(std::string("anchor ") + letter + " ready " + fileName(st.file));
    ui.anchorSeen[which] = st.file;
  }
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImGuiStyle& style = ImGui::GetStyle();
  const ImVec2 o = ImGui::GetCursorScreenPos();
  const float avail = ImGui::GetContentRegionAvail().x;
  const float h = ImGui::GetFrameHeight() * 1.1f;
  const float buttonW = ImGui::CalcTextSize("Match...").x + 2 * style.FramePadding.x + 4.f;
  ImFont* hf = ui.fonts.heading;
  const float letterW = hf->CalcTextSizeA(hf->FontSize, 1e9f, 0.f, "B").x + style.ItemSpacing.x;
  dl->AddText(hf, hf->FontSize, ImVec2(o.x, o.y + (h - hf->FontSize) * 0.5f), which ? colour::kChaos : colour::kTexture,
              letter);
  const ImVec2 textMin(o.x + letterW, o.y), textMax(o.x + avail - buttonW - style.ItemSpacing.x, o.y + h);
  dl->AddRectFilled(textMin, textMax, colour::kTrack, 5.f);
  const ImVec4 clip(textMin.x + 4, textMin.y, textMax.x - 4, textMax.y);
  const float ty = o.y + (h - ImGui::GetFontSize()) * 0.5f;
  std::string text;
  ImU32 c = colour::kText;
  if (!st.encoding.empty()) {
    char secs[32];
    std::snprintf(secs, sizeof secs, "  %.0f s", st.encodingSeconds);
    text = "encoding " + fileName(st.encoding) + secs;
    c = colour::kWarn;
    // Indeterminate progress: a segment sweeping along the bottom edge.
    const float span = textMax.x - textMin.x, seg = span * 0.25f;
    const float x = textMin.x + static_cast<float>(std::fmod(ui.now * 0.6, 1.0)) * (span + seg) - seg;
    dl->AddRectFilled(ImVec2(std::max(textMin.x, x), textMax.y - 4), ImVec2(std::min(textMax.x, x + seg), textMax.y),
                      colour::kWarn, 2.f);
  } else if (!st.error.empty()) {
    text = "failed: " + st.error;
    c = colour::kBad;
  } else if (st.file.empty()) {
    text = "none";
    c = colour::kDim;
  } else {
    text = fileName(st.file);
  }
  dl->AddText(ImGui::GetFont(), ImGui::GetFontSize(), ImVec2(textMin.x + 6, ty), c, text.c_str(), nullptr, 0.f, &clip);
  ImGui::Dummy(ImVec2(textMax.x - o.x, h));
  if (ImGui::IsItemHovered() && !st.error.empty()) ImGui::SetTooltip("%s", st.error.c_str());
  ImGui::SameLine();
  const std::string id = std::string("anchor.") + (which ? "b" : "a") + ".match";
  if (stageButton(ui, id.c_str(), "Match...", ImVec2(buttonW, h), colour::rgb(70, 56, 130))) openPicker(ui, which);
}

}  // namespace

void drawStyleAnchors(UiState& ui) {
  sectionTitle(ui, "Style anchors", colour::kLatent);
  if (!ui.view->sources) {
    ImGui::TextDisabled("style anchors are not part of this performance");
    return;
  }
  anchorRow(ui, 0);
  anchorRow(ui, 1);
  // Blend: 0 = all A, 1 = all B. Amount: how far the latents are pulled toward it.
  paramBar(ui, ui.sp.styleBlend, "blend A - B", colour::kLatent);
  paramBar(ui, ui.sp.styleAmount, "amount", colour::kLatent);
}

void beginOverlay(const char* name, float widthShare, float minWidthEm, float heightShare) {
  const ImGuiViewport* vp = ImGui::GetMainViewport();
  ImGui::SetNextWindowPos(ImVec2(vp->Pos.x + vp->Size.x * 0.5f, vp->Pos.y + vp->Size.y * 0.5f), ImGuiCond_Always,
                          ImVec2(0.5f, 0.5f));
  ImGui::SetNextWindowSize(
      ImVec2(std::max(vp->Size.x * widthShare, std::min(vp->Size.x, ImGui::GetFontSize() * minWidthEm)),
             vp->Size.y * heightShare),
      ImGuiCond_Always);
  ImGui::SetNextWindowBgAlpha(1.f);
  ImGui::PushStyleVar(ImGuiStyleVar_WindowBorderSize, 2.f);
  ImGui::PushStyleColor(ImGuiCol_Border, ImGui::ColorConvertU32ToFloat4(colour::kLatent));
  ImGui::Begin(name, nullptr, ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoMove);
  ImGui::PopStyleColor();
  ImGui::PopStyleVar();
}

void drawAnchorPicker(UiState& ui) {
  const bool learn = ui.pickerFor == kPickerLearn;
  if (ui.pickerFor < 0 || (!learn && !ui.view->sources)) return;
  const char* letter = ui.pickerFor ? "B" : "A";
  beginOverlay("Match this track", 0.5f, 28.f, 0.62f);
  sectionTitle(ui, learn ? "Learn from a file" : "Match this track", colour::kLatent);
  ImGui::SameLine();
  ImGui::AlignTextToFramePadding();
  if (learn)
    ImGui::TextDisabled("%s: the file plays into the model (you hear it) while it learns", ui.pickerLearn.c_str());
  else
    ImGui::TextDisabled("into anchor %s: the latents blend toward its sound", letter);

  ImGui::SetNextItemWidth(-1.f);
  ImGui::InputTextWithHint("##path", "a file name here, or a path to a .wav file", ui.pickerPath,
                           sizeof ui.pickerPath);
  std::error_code ec;
  const std::string cwd = std::filesystem::current_path(ec).string();
  ImGui::TextDisabled("*.wav in %s", cwd.c_str());
  const float buttonsH = ImGui::GetFrameHeightWithSpacing() * 1.3f +
                         (ui.pickerError.empty() ? 0.f : ImGui::GetTextLineHeightWithSpacing() * 2.f);
  ImGui::BeginChild("files", ImVec2(0, std::max(ImGui::GetFrameHeight() * 2.f, ImGui::GetContentRegionAvail().y - buttonsH)),
                    true, ImGuiWindowFlags_NoSavedSettings);
  if (ui.wavFiles.empty()) ImGui::TextDisabled("no .wav files here: type a path above");
  for (const std::string& f : ui.wavFiles) {
    if (ImGui::Selectable(f.c_str(), f == ui.pickerPath)) {
      std::snprintf(ui.pickerPath, sizeof ui.pickerPath, "%s", f.c_str());
      ui.pickerError.clear();
    }
    ControlPlace place;
    place.min = ImGui::GetItemRectMin();
    place.max = ImGui::GetItemRectMax();
    ui.controls["anchor.file=" + f] = place;
  }
  ImGui::EndChild();
  if (!ui.pickerError.empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::ColorConvertU32ToFloat4(colour::kBad));
    ImGui::TextWrapped("%s", ui.pickerError.c_str());
    ImGui::PopStyleColor();
  }
  const float h = ImGui::GetFrameHeight() * 1.2f;
  const std::string encode = learn ? std::string("Learn from it") : std::string("Encode into ") + letter;
  ImGui::PushFont(ui.fonts.heading);
  if (stageButton(ui, "anchor.encode", encode.c_str(), ImVec2(0, h), colour::rgb(70, 56, 130), colour::kText)) {
    std::string path = ui.pickerPath;
    while (!path.empty() && std::isspace(static_cast<unsigned char>(path.back()))) path.pop_back();
    while (!path.empty() && std::isspace(static_cast<unsigned char>(path.front()))) path.erase(0, 1);
    if (path.empty()) {
      ui.pickerError = "choose a file in the list, or type its path";
    } else if (learn) {
      toControl(ui, [attribute = ui.pickerLearn, path](App& a) {
        if (!a.model) return;
        if (const std::string why = a.model->learnFromFile(attribute, path); !why.empty()) a.post("model: " + why);
      });
      ui.actions.push_back("learn " + ui.pickerLearn + " from " + fileName(path));
      ui.pickerFor = -1;
    } else if (const std::string err = styleAnchorRefusal(ui.pickerFor, path, ui.view->anchors); !err.empty()) {
      ui.pickerError = err;  // nothing changed: the anchor playing stays
    } else {
      // Encoded on a thread of its own, started by the control thread; what becomes of it
      // shows in the anchor's row (and the messages).
      toControl(ui, [which = ui.pickerFor, path](App& a) {
        if (!a.sources) return;
        if (const std::string why = a.sources->setStyleAnchor(which, path); !why.empty()) a.post("style: " + why);
      });
      ui.actions.push_back(std::string("anchor ") + letter + " encode " + fileName(path));
      ui.pickerFor = -1;
    }
  }
  ImGui::SameLine();
  if (stageButton(ui, "anchor.rescan", "Rescan", ImVec2(0, h), colour::rgb(44, 52, 64))) ui.wavFiles = listWavFiles();
  ImGui::SameLine();
  if (stageButton(ui, "anchor.close", "Close", ImVec2(0, h), colour::rgb(44, 52, 64))) ui.pickerFor = -1;
  ImGui::PopFont();
  ImGui::End();
}

void sampleLatents(UiState& ui) {
  // The worker publishes the latents of each block it performs; we copy the newest
  // (a lock-free read, InferenceWorker::latestLatents) and keep its last frame per
  // dimension. Sampled once per UI frame, so the plot shows what was actually played.
  while (!ui.latents.empty() && ui.latents.front().time < ui.now - kPlotSeconds - 0.5) ui.latents.pop_front();
  InferenceWorker* worker = ui.engine->worker();
  if (!worker) return;
  const size_t dims = static_cast<size_t>(worker->info().latentSize);  // the playing model's
  if (dims == 0) return;
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
  // A point on the plot: a stretch that stays within a quarter pixel of one height is
  // drawn as one segment from its first to its last point, and the line is cut at the
  // plot's left edge. So a trajectory at rest (the voice silent) draws the same picture
  // every frame while time moves on, and the UI does not redraw it (PerformanceUi).
  auto addPoint = [&pts](ImVec2 p) {
    const size_t n = pts.size();
    if (n >= 2 && std::fabs(pts[n - 1].y - p.y) < 0.25f && std::fabs(pts[n - 2].y - p.y) < 0.25f)
      pts[n - 1] = p;
    else
      pts.push_back(p);
  };
  for (size_t d = 0; d < dims; ++d) {
    pts.clear();
    bool havePrev = false;
    ImVec2 prev;
    for (const LatentSample& s : ui.latents) {
      if (d >= s.values.size() || !std::isfinite(s.values[d])) {
        havePrev = false;
        continue;
      }
      const ImVec2 p(xOf(s.time), yOf(s.values[d]));
      if (p.x >= o.x) {
        if (pts.empty() && havePrev && prev.x < o.x) {
          // Enter at the left edge, on the segment from the older point.
          const float t = (o.x - prev.x) / std::max(p.x - prev.x, 1e-6f);
          addPoint(ImVec2(o.x, prev.y + t * (p.y - prev.y)));
        }
        addPoint(p);
      }
      prev = p;
      havePrev = true;
    }
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
  // Offsets or weights, reset and randomize (both act on every dimension at once;
  // double-click one bar to reset it). On the heading's line when there is room, else on
  // their own line.
  const ImGuiStyle& style = ImGui::GetStyle();
  const char* viewLabel = ui.dimWeights ? "weights" : "offsets";
  const float vw = ImGui::CalcTextSize("weights").x + style.FramePadding.x * 2;
  const float bw = ImGui::CalcTextSize("Randomize").x + style.FramePadding.x * 2;
  const float buttonsW = vw + bw + ImGui::CalcTextSize("Reset").x + style.FramePadding.x * 2 + style.ItemSpacing.x * 2;
  const float headingEnd = ImGui::GetItemRectMax().x - ImGui::GetWindowPos().x;
  const float right = ImGui::GetWindowContentRegionMax().x;
  if (right - headingEnd > buttonsW + style.ItemSpacing.x * 2) {
    ImGui::SameLine();
    ImGui::SetCursorPosX(right - buttonsW);
  }
  if (stageButton(ui, "dims.view", viewLabel, ImVec2(vw, 0),
                  ui.dimWeights ? colour::rgb(40, 90, 150) : colour::rgb(44, 52, 64))) {
    ui.dimWeights = !ui.dimWeights;
    ui.actions.push_back(ui.dimWeights ? "dims show weights" : "dims show offsets");
  }
  ImGui::SameLine();
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
  // The playing model's dims (a show sized for a set list's 16-dim synth shows 8 while the
  // 8-dim drum model plays).
  const InferenceWorker* worker = ui.engine->worker();
  const size_t shown = worker ? std::min(dims, static_cast<size_t>(std::max(0, worker->info().latentSize))) : dims;
  if (shown == 0) {
    ImGui::TextDisabled("this model has no latent dimensions to play");
    return;
  }
  // Two dimensions to a row, so eight fit the column at 1280x800 without scrolling; four
  // to a row for models with more (a synth's 16 fit at 1920x1080), with shorter labels.
  const size_t perRow = shown > 8 ? 4 : 2;
  const float spacing = ImGui::GetStyle().ItemSpacing.x;
  const float width = std::floor((ImGui::GetContentRegionAvail().x - spacing * (perRow - 1)) / perRow);
  // A pitched model's measured dims say what they are (an offset on "pitch" transposes, 1.0
  // an octave).
  const int pitchDim = worker ? worker->info().pitchDim : -1, loudDim = worker ? worker->info().loudnessDim : -1;
  char label[32];
  for (size_t d = 0; d < shown; ++d) {
    if (d % perRow) ImGui::SameLine();
    if (static_cast<int>(d) == pitchDim || static_cast<int>(d) == loudDim)
      std::snprintf(label, sizeof label, "%s%s", ui.dimWeights ? "w " : "", static_cast<int>(d) == pitchDim ? "pitch" : "loud");
    else
      std::snprintf(label, sizeof label, perRow > 2 ? (ui.dimWeights ? "w%zu" : "d%zu") : (ui.dimWeights ? "weight %zu" : "dim %zu"), d);
    paramBar(ui, ui.dimWeights ? ui.sp.dimScale[d] : ui.sp.dimOffset[d], label,
             colour::dimension(static_cast<int>(d)), width);
  }
}

}  // namespace mm::ui
