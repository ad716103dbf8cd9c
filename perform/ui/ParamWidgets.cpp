#include "ParamWidgets.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>

#include "ControlSetup.h"
#include "StageTheme.h"

namespace mm::ui {

namespace {

ImU32 withAlpha(ImU32 c, float a) {
  return (c & 0x00FFFFFFu) | (static_cast<ImU32>(std::clamp(a, 0.f, 1.f) * 255.f) << 24);
}

// Handles the mouse for a control whose track occupies `place`. Returns true on change.
bool editFromMouse(UiState& ui, int param, const ControlPlace& place) {
  ParameterRegistry& reg = *ui.registry;
  const ParamSpec& spec = reg.spec(param);
  const ImGuiIO& io = ImGui::GetIO();
  if (ui.midiLearn) {  // learn mode: a click aims learning here, the value stays
    if (ImGui::IsItemClicked(ImGuiMouseButton_Left)) aimMidiLearn(ui, spec.id);
    return false;
  }
  const float current = reg.get(param);
  float next = current;
  if (ImGui::IsItemHovered() && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) {
    next = spec.def;
  } else if (ImGui::IsItemActive()) {
    next = reg.fromNormalized(param, normalizedAt(place, io.MousePos));
  } else if (ImGui::IsItemHovered() && io.MouseWheel != 0.f) {
    const float n = reg.toNormalized(param, current) + 0.01f * io.MouseWheel;
    next = reg.fromNormalized(param, std::clamp(n, 0.f, 1.f));
  }
  if (next == current) return false;
  reg.set(param, next);
  return true;
}

// Text over a coloured fill: a dark drop shadow keeps it readable whatever lies beneath.
void shadowedText(ImDrawList* dl, ImVec2 at, ImU32 c, const char* text) {
  dl->AddText(ImVec2(at.x + 1.f, at.y + 1.f), colour::rgb(0, 0, 0, 200), text);
  dl->AddText(at, c, text);
}

void remember(UiState& ui, int param, const ControlPlace& place) {
  ui.controls[ui.registry->spec(param).id] = place;
}

}  // namespace

void aimMidiLearn(UiState& ui, const std::string& target, int actionValue, const std::string& shown) {
  const std::string name = shown.empty() ? target : shown;
  ui.actions.push_back("learn " + name);
  if (!ui.view->midi) {
    ui.learnTarget.clear();
    ui.learnStatus = "MIDI is off: start perform with --midi-in PORT (or --mapping FILE) to learn";
    return;
  }
  // Carried out on the control thread; what it says (learned, or why not) comes back in
  // the StageView (drawMidiLearn).
  toControl(ui, [target, actionValue](App& a) {
    if (a.midi) a.midi->startLearn(target, actionValue);
  });
  ui.learnSeen = ui.view->learnSaidCount;  // what was said before this aim is old news
  ui.learnTarget = name;
  ui.learnStatus = "move a knob, fader or pad for " + name;
}

void learnOutline(UiState& ui, const std::string& target, ImVec2 min, ImVec2 max) {
  if (!ui.midiLearn) return;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const bool aimed = !ui.learnTarget.empty() && ui.learnTarget == target;
  // The aimed control pulses (twice a second) so the eye finds it from across the stage.
  const float pulse = aimed ? 0.6f + 0.4f * static_cast<float>(std::sin(ui.now * 4.0 * M_PI)) : 0.45f;
  dl->AddRect(ImVec2(min.x - 3, min.y - 3), ImVec2(max.x + 3, max.y + 3), withAlpha(colour::kTempo, pulse), 6.f, 0,
              aimed ? 4.f : 1.5f);
}

ImVec2 pointForNormalized(const ControlPlace& p, float n) {
  n = std::clamp(n, 0.f, 1.f);
  if (p.vertical) return ImVec2((p.min.x + p.max.x) * 0.5f, p.max.y - n * (p.max.y - p.min.y));
  return ImVec2(p.min.x + n * (p.max.x - p.min.x), (p.min.y + p.max.y) * 0.5f);
}

float normalizedAt(const ControlPlace& p, ImVec2 q) {
  const float n = p.vertical ? (p.max.y - q.y) / std::max(1.f, p.max.y - p.min.y)
                             : (q.x - p.min.x) / std::max(1.f, p.max.x - p.min.x);
  return std::clamp(n, 0.f, 1.f);
}

void formatValue(const ParamSpec& s, float v, char* out, size_t size) {
  const bool weight = s.id.size() > 6 && s.id.compare(s.id.size() - 6, 6, ".scale") == 0;
  if (weight) std::snprintf(out, size, "\xC3\x97%.2f", v);  // "x1.00" with a real multiplication sign
  else if (s.unit == "dB" || s.unit == "dBFS") std::snprintf(out, size, "%+.1f dB", v);
  else if (s.unit == "Hz") std::snprintf(out, size, "%.2f Hz", v);
  else if (s.unit == "BPM") std::snprintf(out, size, "%.0f BPM", v);
  else if (s.curve == Curve::Stepped) std::snprintf(out, size, "%.0f", v);
  else if (s.min == 0.f && s.max == 1.f) std::snprintf(out, size, "%.0f %%", 100.f * v);
  else std::snprintf(out, size, "%+.2f", v);
}

bool paramFader(UiState& ui, int param, const char* title, ImVec2 size, ImU32 colour) {
  ParameterRegistry& reg = *ui.registry;
  const ParamSpec& spec = reg.spec(param);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  const float titleH = ui.fonts.heading->FontSize + 6.f;
  const float valueH = ui.fonts.big->FontSize + 6.f;
  const float trackW = std::min(size.x, size.x * 0.62f + 10.f);
  ControlPlace place;
  place.vertical = true;
  place.param = param;
  place.min = ImVec2(origin.x + (size.x - trackW) * 0.5f, origin.y + titleH);
  place.max = ImVec2(place.min.x + trackW, origin.y + size.y - valueH);

  ImGui::PushID(spec.id.c_str());
  ImGui::SetCursorScreenPos(place.min);
  ImGui::InvisibleButton("fader", ImVec2(place.max.x - place.min.x, place.max.y - place.min.y));
  const bool changed = editFromMouse(ui, param, place);
  const bool hot = ImGui::IsItemActive() || ImGui::IsItemHovered();
  ImGui::PopID();
  remember(ui, param, place);

  const float n = reg.toNormalized(param, reg.get(param));
  const float rounding = 8.f;
  dl->AddRectFilled(place.min, place.max, colour::kTrack, rounding);
  const float fillTop = pointForNormalized(place, n).y;
  if (n > 0.f)
    dl->AddRectFilled(ImVec2(place.min.x, fillTop), place.max, withAlpha(colour, hot ? 0.95f : 0.8f), rounding,
                      fillTop - place.min.y < rounding ? ImDrawFlags_RoundCornersAll : ImDrawFlags_RoundCornersBottom);
  // The default value as a tick, so the performer sees "home" from across the stage.
  const float defY = pointForNormalized(place, reg.toNormalized(param, spec.def)).y;
  dl->AddLine(ImVec2(place.min.x - 6, defY), ImVec2(place.min.x, defY), colour::kDim, 3.f);
  dl->AddLine(ImVec2(place.max.x, defY), ImVec2(place.max.x + 6, defY), colour::kDim, 3.f);
  dl->AddRectFilled(ImVec2(place.min.x - 4, fillTop - 3), ImVec2(place.max.x + 4, fillTop + 3), colour::kText, 3.f);

  // The title shrinks to fit narrow columns rather than running into its neighbour.
  ImFont* tf = ui.fonts.heading;
  const float tw = tf->CalcTextSizeA(tf->FontSize, FLT_MAX, 0.f, title).x;
  const float tsize = tw > size.x ? tf->FontSize * size.x / tw : tf->FontSize;
  const float tx = std::min(tw, size.x);
  dl->AddText(tf, tsize, ImVec2(origin.x + (size.x - tx) * 0.5f, origin.y + (tf->FontSize - tsize)), colour, title);
  char value[32];
  formatValue(spec, reg.get(param), value, sizeof value);
  // The value as large as fits under the fader (three faders share a narrow column at
  // 1024 pixels: "25 %10 % 0 %" must never run together).
  ImFont* vf = ui.fonts.big;
  const float vwFull = vf->CalcTextSizeA(vf->FontSize, FLT_MAX, 0.f, value).x;
  const float vsize = vwFull > size.x * 0.95f ? vf->FontSize * size.x * 0.95f / vwFull : vf->FontSize;
  const float vw = vf->CalcTextSizeA(vsize, FLT_MAX, 0.f, value).x;
  dl->AddText(vf, vsize, ImVec2(origin.x + (size.x - vw) * 0.5f, place.max.y + 4 + (vf->FontSize - vsize)),
              colour::kText, value);

  learnOutline(ui, spec.id, place.min, place.max);
  ImGui::SetCursorScreenPos(origin);
  ImGui::Dummy(size);
  return changed;
}

bool paramBar(UiState& ui, int param, const char* label, ImU32 colour, float width) {
  ParameterRegistry& reg = *ui.registry;
  const ParamSpec& spec = reg.spec(param);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  const float w = width > 0 ? width : ImGui::GetContentRegionAvail().x;
  const float h = ImGui::GetFrameHeight() * 1.1f;
  ControlPlace place;
  place.param = param;
  place.min = origin;
  place.max = ImVec2(origin.x + w, origin.y + h);

  ImGui::PushID(spec.id.c_str());
  ImGui::InvisibleButton("bar", ImVec2(w, h));
  const bool changed = editFromMouse(ui, param, place);
  const bool hot = ImGui::IsItemActive() || ImGui::IsItemHovered();
  ImGui::PopID();
  remember(ui, param, place);

  const float n = reg.toNormalized(param, reg.get(param));
  dl->AddRectFilled(place.min, place.max, hot ? colour::rgb(44, 52, 64) : colour::kTrack, 5.f);
  // Bipolar parameters (latent offsets, gains) fill from their zero point.
  float from = 0.f;
  if (spec.min < 0.f && spec.max > 0.f) from = reg.toNormalized(param, 0.f);
  const float x0 = pointForNormalized(place, std::min(from, n)).x;
  const float x1 = pointForNormalized(place, std::max(from, n)).x;
  dl->AddRectFilled(ImVec2(x0, place.min.y), ImVec2(std::max(x1, x0 + 2.f), place.max.y),
                    withAlpha(colour, hot ? 0.75f : 0.55f), 5.f);
  dl->AddRectFilled(ImVec2(pointForNormalized(place, n).x - 2, place.min.y),
                    ImVec2(pointForNormalized(place, n).x + 2, place.max.y), colour);

  const float pad = ImGui::GetStyle().FramePadding.x;
  const float textY = origin.y + (h - ImGui::GetFontSize()) * 0.5f;
  char value[32];
  formatValue(spec, reg.get(param), value, sizeof value);
  const float vw = ImGui::CalcTextSize(value).x;
  // The label never runs into the value: on a narrow bar it is cut short before it.
  dl->PushClipRect(ImVec2(origin.x, place.min.y), ImVec2(place.max.x - 2 * pad - vw, place.max.y), true);
  shadowedText(dl, ImVec2(origin.x + pad, textY), colour::kText, label);
  dl->PopClipRect();
  shadowedText(dl, ImVec2(place.max.x - pad - vw, textY), colour::kText, value);
  learnOutline(ui, spec.id, place.min, place.max);
  return changed;
}

bool stageButton(UiState& ui, const char* id, const char* label, ImVec2 size, ImU32 colour, ImU32 textColour) {
  ImGui::PushID(id);
  ImGui::PushStyleColor(ImGuiCol_Button, ImGui::ColorConvertU32ToFloat4(colour));
  ImGui::PushStyleColor(ImGuiCol_ButtonHovered, ImGui::ColorConvertU32ToFloat4(withAlpha(colour, 0.85f)));
  ImGui::PushStyleColor(ImGuiCol_ButtonActive, ImGui::ColorConvertU32ToFloat4(colour::kText));
  if (textColour) ImGui::PushStyleColor(ImGuiCol_Text, ImGui::ColorConvertU32ToFloat4(textColour));
  const bool pressed = ImGui::Button(label, size);
  ImGui::PopStyleColor(textColour ? 4 : 3);
  ControlPlace place;
  place.min = ImGui::GetItemRectMin();
  place.max = ImGui::GetItemRectMax();
  ui.controls[id] = place;
  ImGui::PopID();
  return pressed;
}

}  // namespace mm::ui
