#include "UiScript.h"

#include <imgui.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "ParamWidgets.h"

namespace mm::ui {

std::optional<UiScript> UiScript::load(const std::string& path, std::string& error) {
  std::ifstream f(path);
  if (!f) {
    error = path + ": cannot open the UI script (--ui-script).";
    return std::nullopt;
  }
  UiScript script;
  std::string line;
  for (int n = 1; std::getline(f, line); ++n) {
    if (const auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream in(line);
    std::string word, kind;
    if (!(in >> word)) continue;  // blank or comment
    auto fail = [&](const std::string& what) {
      error = path + ":" + std::to_string(n) + ": " + what +
              " (expected `frame N key NAME`, `frame N drag ID VALUE` or `frame N click ID`).";
      return std::nullopt;
    };
    Command c;
    long long frame = -1;
    if (word != "frame" || !(in >> frame) || frame < 0) return fail("a line must start with `frame N`");
    c.frame = static_cast<uint64_t>(frame);
    if (!(in >> kind >> c.target)) return fail("missing the command or its target");
    if (kind == "key") {
      c.kind = Kind::Key;
      std::string name = c.target;
      if (name.size() > 5 && (name.compare(0, 5, "ctrl+") == 0 || name.compare(0, 5, "Ctrl+") == 0)) {
        c.mod = KMOD_LCTRL;
        name = name.substr(5);
      }
      c.key = SDL_GetKeyFromName(name.c_str());
      if (c.key == SDLK_UNKNOWN) return fail("unknown key '" + name + "'");
    } else if (kind == "drag") {
      c.kind = Kind::Drag;
      if (!(in >> c.value)) return fail("drag needs a value");
    } else if (kind == "click") {
      c.kind = Kind::Click;
    } else {
      return fail("unknown command '" + kind + "'");
    }
    std::string extra;
    if (in >> extra) return fail("unexpected '" + extra + "'");
    script.commands_.push_back(c);
  }
  std::stable_sort(script.commands_.begin(), script.commands_.end(),
                   [](const Command& a, const Command& b) { return a.frame < b.frame; });
  return script;
}

void UiScript::queueKeyEvents(uint64_t frame, Uint32 windowId) {
  for (const Command& c : commands_) {
    if (c.kind != Kind::Key || (c.frame != frame && c.frame + 1 != frame)) continue;
    SDL_Event e{};
    e.type = c.frame == frame ? SDL_KEYDOWN : SDL_KEYUP;  // down this frame, up the next
    e.key.type = e.type;
    e.key.windowID = windowId;
    e.key.state = e.type == SDL_KEYDOWN ? SDL_PRESSED : SDL_RELEASED;
    e.key.keysym.sym = c.key;
    e.key.keysym.scancode = SDL_GetScancodeFromKey(c.key);
    e.key.keysym.mod = c.mod;
    SDL_PushEvent(&e);
  }
}

void UiScript::driveMouse(UiState& ui, uint64_t frame) {
  for (const Command& c : commands_) {
    if (c.frame != frame || c.kind == Kind::Key) continue;
    const auto it = ui.controls.find(c.target);
    if (it == ui.controls.end()) {
      problems_.push_back("frame " + std::to_string(frame) + ": no control '" + c.target + "' was on screen");
      continue;
    }
    const ControlPlace& place = it->second;
    Gesture g;
    g.startFrame = frame;
    if (c.kind == Kind::Click || place.param < 0) {
      const ImVec2 centre((place.min.x + place.max.x) * 0.5f, (place.min.y + place.max.y) * 0.5f);
      g.points = {centre, centre};
    } else {
      const ParameterRegistry& reg = *ui.registry;
      // Press where the control stands now (no jump), move there in two steps, release.
      const ImVec2 from = pointForNormalized(place, reg.toNormalized(place.param, reg.get(place.param)));
      const ImVec2 to = pointForNormalized(place, reg.toNormalized(place.param, c.value));
      const ImVec2 mid((from.x + to.x) * 0.5f, (from.y + to.y) * 0.5f);
      g.points = {from, mid, to, to};
    }
    gesture_ = g;
  }
  if (!gesture_) return;
  const uint64_t step = frame - gesture_->startFrame;
  ImGuiIO& io = ImGui::GetIO();
  if (step >= gesture_->points.size()) {
    gesture_.reset();
    return;
  }
  io.MousePos = gesture_->points[step];
  io.MouseDown[0] = step + 1 < gesture_->points.size();
}

bool UiScript::finished(uint64_t frame) const {
  const uint64_t last = commands_.empty() ? 0 : commands_.back().frame + 1;
  return frame > last && !gesture_;
}

}  // namespace mm::ui
