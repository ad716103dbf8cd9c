// runUi / uiAvailable: the performance UI's window, renderer and frame loop.
//
// Threads: everything here runs on the main thread. Each frame takes one snapshot of the
// engine (LiveEngine::status(), registry values, the worker's latest latents: atomics and
// lock-free copies) and one of the performance's parts (App::view, which the control
// thread publishes), draws, writes parameter edits back through the lock-free registry and
// posts everything else to the control thread (App::postFromUi). It takes no lock the
// control thread holds, and waits on no other thread: a slow or stalled frame holds no
// control back.
#include <imgui.h>
#include <imgui_impl_sdl.h>
#include <imgui_impl_sdlrenderer.h>
#include <SDL.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <optional>
#include <string_view>
#include <functional>

#include "Commands.h"
#include "Json.h"
#include "Keyboard.h"
#include "Realtime.h"
#include "Sections.h"
#include "Screenshot.h"
#include "StageLayout.h"
#include "StageTheme.h"
#include "Ui.h"
#include "UiScript.h"
#include "UiState.h"

namespace mm {

namespace {

// Ctrl-C / SIGTERM must end the UI loop as they end the headless loop. runPerform has
// installed its own handler already (and SDL keeps its hands off when told to), so we
// chain: note the signal for the frame loop, then call the previous handler.
std::atomic<bool> gUiSignal{false};
struct sigaction gPrevInt {}, gPrevTerm {};

void onUiSignal(int sig) {
  gUiSignal.store(true);
  const struct sigaction& prev = sig == SIGINT ? gPrevInt : gPrevTerm;
  if (!(prev.sa_flags & SA_SIGINFO) && prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) prev.sa_handler(sig);
}

class SignalChain {
 public:
  SignalChain() {
    struct sigaction sa {};
    sa.sa_handler = onUiSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &gPrevInt);
    sigaction(SIGTERM, &sa, &gPrevTerm);
  }
  ~SignalChain() {
    sigaction(SIGINT, &gPrevInt, nullptr);
    sigaction(SIGTERM, &gPrevTerm, nullptr);
  }
};

struct UiOptions {
  bool windowed = false;
  bool redrawAlways = false;  // --ui-redraw always
  std::optional<std::string> screenshot, script, log;
  long frames = 0;  // 0 = run until quit / duration
};

UiOptions readOptions(const Args& args) {
  UiOptions o;
  o.windowed = args.has("windowed");
  o.redrawAlways = args.get("ui-redraw", "changes") == "always";  // checked by runPerform
  o.screenshot = args.get("screenshot");
  o.script = args.get("ui-script");
  o.log = args.get("ui-log");
  o.frames = args.getInt("frames", o.screenshot ? 30 : 0);
  return o;
}

// TEST HOOK (--ui-log FILE): what the UI drew and did, written at exit, so tests can
// check that the expected panels were drawn and that keys reached the engine.
std::string uiLogJson(const ui::UiState& ui, const char* renderer, int w, int h, bool fullscreen, double seconds,
                      const std::vector<std::string>& problems) {
  JsonWriter j;
  j.beginObject()
      .key("frames").value(static_cast<unsigned long long>(ui.frame))
      .key("frames_presented").value(static_cast<unsigned long long>(ui.framesPresented))
      .key("seconds").value(seconds)
      .key("renderer").value(renderer)
      .key("width").value(w)
      .key("height").value(h)
      .key("fullscreen").value(fullscreen)  // the window's real state, not the request
      .key("help_shown").value(ui.showHelp)
      .key("latent_samples").value(static_cast<unsigned long long>(ui.latents.size()))
      .key("onsets").value(static_cast<unsigned long long>(ui.onsets))
      .key("muted_frames").value(static_cast<unsigned long long>(ui.mutedFrames))
      .key("ui_events_posted").value(static_cast<unsigned long long>(ui.eventsPosted))
      .key("ui_events_dropped").value(static_cast<unsigned long long>(ui.app->uiEventsDropped()))
      .key("worker_reloads")
      .value(static_cast<unsigned long long>(ui.engine->worker() ? ui.engine->worker()->reloads() : 0));
  auto list = [&](const char* name, const std::vector<std::string>& items) {
    j.key(name).beginArray();
    for (const auto& s : items) j.value(s);
    j.endArray();
  };
  list("panels", ui.panelsDrawn);
  std::vector<std::string> controls;
  for (const auto& c : ui.controls) controls.push_back(c.first);
  list("controls", controls);
  // Controls drawn wholly on the screen in the last frame (not scrolled below the fold).
  std::vector<std::string> visible;
  for (const auto& c : ui.controls)
    if (c.second.min.x >= 0 && c.second.min.y >= 0 && c.second.max.x <= w && c.second.max.y <= h)
      visible.push_back(c.first);
  list("visible_controls", visible);
  list("actions", ui.actions);
  list("messages", ui.app->recentMessages(50));  // what the Messages panel had to show
  list("script_problems", problems);
  j.endObject();
  return j.str() + "\n";
}

// Drawing (rasterising and presenting) takes at most this share of one core on average.
constexpr double kDrawCoreShare = 0.4;

// CPU time of the whole process (every thread, the renderer's included), in seconds.
double processCpuSeconds() {
  timespec ts{};
  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) return 0.0;
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// A fingerprint of everything a frame would put on the screen: Dear ImGui's vertices,
// indices and draw commands (clip rectangles, textures, ranges). Two frames with the same
// fingerprint are the same picture, so the second is not drawn. About 0.1 ms for a full
// 1920x1080 stage (a few hundred kB of vertices) against tens of ms to rasterise it in
// software.
uint64_t drawDataFingerprint(const ImDrawData* d) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](uint64_t v) {
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  };
  auto bytes = [&mix](const void* p, size_t n) {
    mix(std::hash<std::string_view>{}(std::string_view(static_cast<const char*>(p), n)));
    mix(n);
  };
  if (!d || !d->Valid) return 0;
  bytes(&d->DisplaySize, sizeof d->DisplaySize);
  bytes(&d->FramebufferScale, sizeof d->FramebufferScale);
  for (int i = 0; i < d->CmdListsCount; ++i) {
    const ImDrawList* l = d->CmdLists[i];
    bytes(l->VtxBuffer.Data, static_cast<size_t>(l->VtxBuffer.Size) * sizeof(ImDrawVert));
    bytes(l->IdxBuffer.Data, static_cast<size_t>(l->IdxBuffer.Size) * sizeof(ImDrawIdx));
    for (const ImDrawCmd& c : l->CmdBuffer) {
      bytes(&c.ClipRect, sizeof c.ClipRect);
      mix(reinterpret_cast<uintptr_t>(c.TextureId));
      mix((static_cast<uint64_t>(c.VtxOffset) << 32) ^ (static_cast<uint64_t>(c.IdxOffset) << 1) ^ c.ElemCount);
      mix(c.UserCallback != nullptr);
    }
  }
  return h;
}

// Starts SDL's video subsystem on a real display. SDL falls back to its headless drivers
// (offscreen, dummy) when no display answers: that is "no display" for a stage UI, unless
// the user asked for such a driver through SDL_VIDEODRIVER. Opening an X display can fail
// for a moment on a busy server, so it is tried a few times. Returns "" or the reason.
std::string startVideo() {
  SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
  const bool driverChosen = std::getenv("SDL_VIDEODRIVER") != nullptr;
  std::string why;
  for (int attempt = 0; attempt < 4; ++attempt) {
    if (attempt) SDL_Delay(250);
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
      why = SDL_GetError();
      continue;
    }
    const std::string driver = SDL_GetCurrentVideoDriver() ? SDL_GetCurrentVideoDriver() : "";
    if (driverChosen || (driver != "offscreen" && driver != "dummy" && driver != "evdev")) return {};
    why = "only SDL's headless '" + driver + "' video driver started";
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
  }
  return why.empty() ? "unknown reason" : why;
}

}  // namespace

bool uiAvailable() {
  const std::string why = startVideo();
  if (!why.empty()) {
    std::fprintf(stderr, "musicmill: no display for the UI (%s); running headless.\n", why.c_str());
    return false;
  }
  SDL_QuitSubSystem(SDL_INIT_VIDEO);
  return true;
}

int runUi(App& app, double durationSeconds) {
  UiOptions opt;
  try {
    opt = readOptions(*app.args);
  } catch (const std::exception& e) {
    std::cerr << "musicmill perform: " << e.what() << "\n";
    return 2;
  }
  std::optional<ui::UiScript> script;
  if (opt.script) {
    std::string error;
    script = ui::UiScript::load(*opt.script, error);
    if (!script) {
      std::cerr << "musicmill perform: " << error << "\n";
      return 2;
    }
  }
  SignalChain signals;
  lowerThisThreadsPriority(5);  // the UI yields to the audio and model threads (software rendering)
  // On stage the window must stay up when focus moves to another screen or window.
  SDL_SetHint(SDL_HINT_VIDEO_MINIMIZE_ON_FOCUS_LOSS, "0");
  if (const std::string why = startVideo(); !why.empty() || SDL_InitSubSystem(SDL_INIT_TIMER) != 0) {
    std::cerr << "musicmill perform: cannot start the UI: " << (why.empty() ? SDL_GetError() : why) << "\n";
    SDL_Quit();
    return 3;
  }
  SDL_DisplayMode desktop{};
  if (SDL_GetDesktopDisplayMode(0, &desktop) != 0) {
    desktop.w = 1280;
    desktop.h = 800;
    desktop.refresh_rate = 60;
  }
  const int winW = opt.windowed ? std::min(1600, desktop.w * 9 / 10) : desktop.w;
  const int winH = opt.windowed ? std::min(1000, desktop.h * 9 / 10) : desktop.h;
  const Uint32 flags = SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI |
                       (opt.windowed ? 0u : static_cast<Uint32>(SDL_WINDOW_FULLSCREEN_DESKTOP));
  SDL_Window* window = SDL_CreateWindow("MusicMill Live", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, winW,
                                        winH, flags);
  if (!window) {
    std::cerr << "musicmill perform: cannot open the UI window: " << SDL_GetError() << "\n";
    SDL_Quit();
    return 3;
  }
  SDL_Renderer* renderer = SDL_CreateRenderer(window, -1, SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC);
  if (!renderer) renderer = SDL_CreateRenderer(window, -1, SDL_RENDERER_SOFTWARE);
  if (!renderer) {
    std::cerr << "musicmill perform: cannot create a renderer for the UI: " << SDL_GetError() << "\n";
    SDL_DestroyWindow(window);
    SDL_Quit();
    return 3;
  }
  SDL_RendererInfo info{};
  SDL_GetRendererInfo(renderer, &info);
  {
    int w = 0, h = 0;
    SDL_GetRendererOutputSize(renderer, &w, &h);
    std::printf("musicmill: UI %dx%d on a %dx%d display (%s, %s renderer%s). H shows the keys.\n", w, h, desktop.w,
                desktop.h, SDL_GetCurrentVideoDriver(), info.name ? info.name : "?",
                info.flags & SDL_RENDERER_PRESENTVSYNC ? ", vsync" : "");
    std::fflush(stdout);
  }

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // the layout is fixed; write nothing into the working folder
  ui::UiState ui;
  ui.app = &app;
  ui.registry = app.registry;
  ui.engine = app.engine;
  ui.sp = StandardParams::resolve(*app.registry);
  ui.fullscreen = !opt.windowed;
  ui.fonts = ui::loadStageFonts(desktop.h);
  ui::applyStageStyle(ui.fonts.body->FontSize);
  ImGui_ImplSDL2_InitForSDLRenderer(window);
  ImGui_ImplSDLRenderer_Init(renderer);

  const Uint32 windowId = SDL_GetWindowID(window);
  const double tickHz = static_cast<double>(SDL_GetPerformanceFrequency());
  const Uint64 t0 = SDL_GetPerformanceCounter();
  // vsync paces the loop on a real display; under Xvfb or the software renderer it may
  // not, so the loop also sleeps off the rest of each display period itself.
  const double period = 1.0 / (desktop.refresh_rate > 0 ? desktop.refresh_rate : 60);
  const char* slowEnv = std::getenv("MM_TEST_UI_FRAME_MS");
  const int slowFrameMs = slowEnv ? std::max(0, std::atoi(slowEnv)) : 0;
  int status = 0;
  bool shotTaken = false;
  double frameCost = 0;  // CPU seconds per frame drawn (all threads), smoothed
  // What is on the screen (the last frame presented), and whether the window needs a
  // full draw whatever changed (the first frame, uncovered, resized, fullscreen toggled).
  uint64_t onScreen = 0;
  bool mustDraw = true;
  // With nothing changing the loop still builds a frame (to see that nothing changed and
  // to answer input) but at most this often; input wakes it at once.
  const double idlePeriod = 1.0 / 30.0;
  // The control thread publishes the parts' view within a tick of uiAttached: the first
  // frame waits for it (a few ms) rather than showing an empty set list.
  app.uiAttached = true;
  for (int i = 0; i < 100 && app.view.read().serial == 0; ++i) SDL_Delay(2);
  while (!ui.quit && !gUiSignal.load() && !app.stopRequested.load()) {
    const Uint64 frameStart = SDL_GetPerformanceCounter();
    ui.now = static_cast<double>(frameStart - t0) / tickHz;
    if (durationSeconds > 0 && ui.now >= durationSeconds) break;
    if (script) script->queueKeyEvents(ui.frame, windowId);
    // The control thread (ControlLoop) carries out MIDI, OSC, navigation and what this UI
    // posts; the UI draws what it published (App::view) and takes none of its locks, so
    // its frame rate never delays a control.
    ui.view = &app.view.read();
    SDL_Event e;
    while (SDL_PollEvent(&e)) {
      ImGui_ImplSDL2_ProcessEvent(&e);
      if (e.type == SDL_QUIT) ui.quit = true;
      if (e.type == SDL_WINDOWEVENT && e.window.event == SDL_WINDOWEVENT_CLOSE && e.window.windowID == windowId)
        ui.quit = true;
      if (e.type == SDL_KEYDOWN) ui::handleKey(ui, e.key);
      if (e.type == SDL_WINDOWEVENT && e.window.event != SDL_WINDOWEVENT_MOVED) mustDraw = true;
    }
    if (SDL_GetWindowFlags(window) & SDL_WINDOW_MINIMIZED) {
      SDL_WaitEventTimeout(nullptr, 10);  // idle: nothing to draw
      continue;
    }
    const bool isFullscreen = (SDL_GetWindowFlags(window) & SDL_WINDOW_FULLSCREEN_DESKTOP) == SDL_WINDOW_FULLSCREEN_DESKTOP;
    if (ui.fullscreen != isFullscreen) {
      SDL_SetWindowFullscreen(window, ui.fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
      mustDraw = true;
    }

    ui.status = app.engine->status();
    ui::updateMeters(ui);
    ui::sampleLatents(ui);

    ImGui_ImplSDLRenderer_NewFrame();
    ImGui_ImplSDL2_NewFrame();
    if (script) script->driveMouse(ui, ui.frame);  // uses last frame's control places
    ui.controls.clear();
    ui.panelsDrawn.clear();
    ImGui::NewFrame();
    ui::drawStage(ui);
    // Test hook: a frame whose widgets take this long to build (a weak laptop, a huge
    // set list). The old design held the control thread's lock right here.
    if (slowFrameMs > 0) SDL_Delay(static_cast<Uint32>(slowFrameMs));
    ImGui::Render();
    ++ui.frame;
    const bool shotDue = opt.screenshot && !shotTaken && static_cast<long>(ui.frame) >= opt.frames;
    // Only a frame that differs from the picture on the screen is drawn: rasterising the
    // stage is most of the UI's cost under a software GL (llvmpipe: tens of ms a frame at
    // 1920x1080), and a stage at rest changes little.
    const uint64_t fingerprint = drawDataFingerprint(ImGui::GetDrawData());
    const bool draw = opt.redrawAlways || mustDraw || shotDue || fingerprint != onScreen;
    const double cpuBeforeDraw = draw ? processCpuSeconds() : 0.0;
    if (draw) {
      SDL_RenderSetScale(renderer, io.DisplayFramebufferScale.x, io.DisplayFramebufferScale.y);
      SDL_SetRenderDrawColor(renderer, 9, 11, 14, 255);
      SDL_RenderClear(renderer);
      ImGui_ImplSDLRenderer_RenderDrawData(ImGui::GetDrawData());
      if (shotDue) {
        shotTaken = true;
        const std::string error = ui::writeScreenshot(renderer, *opt.screenshot);
        if (!error.empty()) {
          std::cerr << "musicmill perform: " << error << "\n";
          status = 2;
        }
      }
      SDL_RenderPresent(renderer);
      onScreen = fingerprint;
      mustDraw = false;
      ++ui.framesPresented;
    }
    if (opt.frames > 0 && static_cast<long>(ui.frame) >= opt.frames && (!script || script->finished(ui.frame))) break;

    // Pacing. A frame drawn on a GPU costs little CPU and is paced by vsync (or the
    // display period). A software GL (Mesa's llvmpipe, on a machine without a GPU or under
    // Xvfb) rasterises on threads of its own, several at once, so a frame can cost more CPU
    // than the wall time it takes: the loop measures the CPU the whole process used while
    // drawing and presenting, and rests long enough that drawing keeps to kDrawCoreShare
    // of one core on average, leaving the rest to the audio and model threads. A frame that
    // was not drawn rests to 30 fps, or until the next input event.
    const double spent = static_cast<double>(SDL_GetPerformanceCounter() - frameStart) / tickHz;
    if (draw) {
      const double drawCpu = processCpuSeconds() - cpuBeforeDraw;
      frameCost = frameCost <= 0 ? drawCpu : 0.8 * frameCost + 0.2 * drawCpu;
      const double rest = std::max(period, frameCost / kDrawCoreShare) - spent;
      if (rest > 0) SDL_Delay(static_cast<Uint32>(rest * 1000.0));
    } else if (const double rest = idlePeriod - spent; rest > 0) {
      SDL_WaitEventTimeout(nullptr, static_cast<int>(rest * 1000.0));
    }
  }

  if (script)
    for (const std::string& p : script->problems()) std::cerr << "musicmill perform: --ui-script: " << p << "\n";
  if (opt.log) {
    int w = 0, h = 0;
    SDL_GetRendererOutputSize(renderer, &w, &h);
    const std::vector<std::string> none;
    const bool fullscreen = (SDL_GetWindowFlags(window) & SDL_WINDOW_FULLSCREEN_DESKTOP) == SDL_WINDOW_FULLSCREEN_DESKTOP;
    if (!writeFileAtomically(*opt.log, uiLogJson(ui, info.name ? info.name : "?", w, h, fullscreen, ui.now,
                                                 script ? script->problems() : none)))
      std::cerr << "musicmill perform: cannot write the UI log '" << *opt.log << "'\n";
  }
  ImGui_ImplSDLRenderer_Shutdown();
  ImGui_ImplSDL2_Shutdown();
  ImGui::DestroyContext();
  SDL_DestroyRenderer(renderer);
  SDL_DestroyWindow(window);
#if defined(MM_SANITIZED)
  // Sanitized builds leave SDL's libraries loaded to the end: SDL_Quit unloads libdbus and
  // the OpenGL driver, and LeakSanitizer then cannot name them to apply the suppressions
  // for what they never free (scripts/sanitizers/lsan.supp).
#else
  SDL_Quit();
#endif
  return status;
}

}  // namespace mm
