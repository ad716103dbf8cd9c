#include "StageTheme.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

namespace mm::ui {

ImU32 colour::dimension(int d) {
  static const ImU32 palette[] = {rgb(255, 110, 90),  rgb(255, 200, 60), rgb(120, 220, 90),
                                  rgb(60, 210, 210),  rgb(90, 150, 255), rgb(190, 120, 255),
                                  rgb(255, 110, 200), rgb(230, 230, 230)};
  return palette[static_cast<size_t>(d) % (sizeof palette / sizeof palette[0])];
}

namespace {
ImFont* addFont(const char* path, float size) {
  ImGuiIO& io = ImGui::GetIO();
  std::error_code ec;
  if (path && std::filesystem::exists(path, ec)) {
    ImFontConfig cfg;
    cfg.OversampleH = 2;
    cfg.OversampleV = 1;
    if (ImFont* f = io.Fonts->AddFontFromFileTTF(path, size, &cfg)) return f;
  }
  // No TrueType font installed: the built-in 13 px bitmap font, rasterised at our size
  // (blocky, but large and readable).
  ImFontConfig cfg;
  cfg.SizePixels = size;
  return io.Fonts->AddFontDefault(&cfg);
}
}  // namespace

StageFonts loadStageFonts(int displayHeight) {
  // 800 px tall -> 22 px body text; 1080 -> 30; 2160 -> 40 (clamped). About 2.7 % of the
  // screen height reads from a metre away on a laptop or a stage monitor.
  const float body = std::clamp(std::round(displayHeight / 36.f), 18.f, 40.f);
  const char* regular = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
  const char* bold = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";
  StageFonts f;
  f.body = addFont(regular, body);  // first font = default font
  f.small = addFont(regular, std::round(body * 0.82f));
  f.heading = addFont(bold, std::round(body * 1.1f));
  f.big = addFont(bold, std::round(body * 1.7f));
  f.huge = addFont(bold, std::round(body * 2.5f));
  ImGui::GetIO().Fonts->Build();
  return f;
}

void applyStageStyle(float bodySize) {
  ImGui::StyleColorsDark();
  ImGuiStyle& s = ImGui::GetStyle();
  const float u = bodySize / 22.f;  // spacing scales with the type
  s.WindowPadding = ImVec2(10 * u, 8 * u);
  s.FramePadding = ImVec2(8 * u, 5 * u);
  s.ItemSpacing = ImVec2(8 * u, 6 * u);
  s.ItemInnerSpacing = ImVec2(6 * u, 4 * u);
  s.ScrollbarSize = 16 * u;
  s.GrabMinSize = 14 * u;
  s.WindowRounding = 0;
  s.ChildRounding = 6 * u;
  s.FrameRounding = 4 * u;
  s.GrabRounding = 4 * u;
  s.PopupRounding = 4 * u;
  s.WindowBorderSize = 0;
  s.ChildBorderSize = 0;
  s.FrameBorderSize = 0;

  ImVec4* c = s.Colors;
  auto v = [](ImU32 x) { return ImGui::ColorConvertU32ToFloat4(x); };
  c[ImGuiCol_WindowBg] = v(colour::kBackground);
  c[ImGuiCol_ChildBg] = v(colour::kPanel);
  c[ImGuiCol_PopupBg] = v(colour::rgb(26, 31, 39, 250));
  c[ImGuiCol_Text] = v(colour::kText);
  c[ImGuiCol_TextDisabled] = v(colour::kDim);
  c[ImGuiCol_FrameBg] = v(colour::kTrack);
  c[ImGuiCol_FrameBgHovered] = v(colour::rgb(48, 56, 68));
  c[ImGuiCol_FrameBgActive] = v(colour::rgb(58, 68, 82));
  c[ImGuiCol_Button] = v(colour::rgb(44, 52, 64));
  c[ImGuiCol_ButtonHovered] = v(colour::rgb(62, 74, 90));
  c[ImGuiCol_ButtonActive] = v(colour::rgb(80, 96, 116));
  c[ImGuiCol_Header] = v(colour::rgb(36, 43, 54));
  c[ImGuiCol_HeaderHovered] = v(colour::rgb(52, 62, 78));
  c[ImGuiCol_HeaderActive] = v(colour::rgb(64, 76, 94));
  c[ImGuiCol_CheckMark] = v(colour::kLfo);
  c[ImGuiCol_SliderGrab] = v(colour::kLfo);
  c[ImGuiCol_SliderGrabActive] = v(colour::rgb(140, 200, 255));
  c[ImGuiCol_Separator] = v(colour::rgb(44, 52, 64));
  c[ImGuiCol_ScrollbarBg] = v(colour::kPanel);
  c[ImGuiCol_ScrollbarGrab] = v(colour::rgb(52, 62, 78));
}

}  // namespace mm::ui
