#include "SourcesSetup.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <iostream>
#include <optional>

#include "LatentSources.h"

namespace mm {

namespace {

// The clips every model slot gets (main thread only: attach, ticks and the processor
// setup, which LiveEngine runs on the control thread), and the one "match this track"
// encoding that may be running.
struct SourceClips {
  std::shared_ptr<LatentClip> anchor[2], pattern;
  std::string anchorFile[2], anchorError[2];
  struct Encoding {
    int which = 0;
    std::string path;
    std::chrono::steady_clock::time_point started;
    std::future<LatentClip> result;  // its destructor waits: a quit mid-encoding waits for it
  };
  std::optional<Encoding> encoding;
};

// The encoding thread yields to the audio and model threads (it loads and runs its own
// copy of the model, which on a small machine competes with the live one).
void lowerThisThreadsPriority() {
#ifdef __linux__
  const id_t tid = static_cast<id_t>(::syscall(SYS_gettid));
  errno = 0;
  const int current = ::getpriority(PRIO_PROCESS, tid);
  if (errno == 0) ::setpriority(PRIO_PROCESS, tid, std::min(current + 10, 19));
#endif
}

const char* anchorName(int which) { return which == 0 ? "A" : "B"; }

// Main thread: hands a finished encoding to every model slot whose latent size fits.
void finishEncoding(Session& session, SourceClips& clips) {
  if (!clips.encoding) return;
  SourceClips::Encoding& job = *clips.encoding;
  if (job.result.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;
  const int w = job.which;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - job.started).count();
  const std::string file = std::filesystem::path(job.path).filename().string();
  try {
    auto clip = std::make_shared<LatentClip>(job.result.get());
    int fitting = 0;
    for (int k = 0; k < session.engine->modelCount(); ++k) {
      InferenceWorker* worker = session.engine->workerAt(k);
      if (!worker || worker->processor().info().latentSize != clip->dims) continue;
      worker->processor().style().load(w, std::make_unique<LatentClip>(*clip));
      ++fitting;
    }
    clips.anchor[w] = clip;
    clips.anchorFile[w] = job.path;
    clips.anchorError[w].clear();
    const int amount = session.registry->indexOf("style.amount");
    char took[32];
    std::snprintf(took, sizeof took, "%.1f", seconds);
    session.post(std::string("style: anchor ") + anchorName(w) + " is now " + file + " (encoded in " + took + " s" +
                 (fitting ? ")" : "; no loaded model has its latent size, so it is not heard)") +
                 (amount >= 0 && session.registry->get(amount) <= 0.f ? "; raise style amount to hear it" : ""));
  } catch (const std::exception& e) {
    clips.anchorError[w] = e.what();
    session.post(std::string("style: anchor ") + anchorName(w) + " stays as it was: " + e.what());
  }
  clips.encoding.reset();
}

}  // namespace

bool attachSources(Session& session) {
  const Args& args = *session.args;
  auto clips = std::make_shared<SourceClips>();
  try {
    // Encoded with the session's model; a slot whose latent size differs ignores them.
    for (int w = 0; w < 2; ++w)
      if (auto f = args.get(w == 0 ? "anchor-a" : "anchor-b")) {
        clips->anchor[w] = std::make_shared<LatentClip>(encodeFileToClip(session.modelPath, *f));
        clips->anchorFile[w] = *f;
      }
    if (auto f = args.get("pattern"))
      clips->pattern = std::make_shared<LatentClip>(encodeFileToClip(session.modelPath, *f, args.getDouble("pattern-bpm", 120.0)));
  } catch (const std::exception& e) {
    std::cerr << "musicmill perform: " << e.what() << "\n";
    return false;
  }
  session.keepAlive.push_back(clips);
  session.engine->setProcessorSetup([clips](FrameProcessor& proc) {
    const int dims = proc.info().latentSize;
    auto fits = [dims](const std::shared_ptr<LatentClip>& c) { return c && c->dims == dims; };
    for (int w = 0; w < 2; ++w)
      if (fits(clips->anchor[w])) proc.style().load(w, std::make_unique<LatentClip>(*clips->anchor[w]));
    if (fits(clips->pattern)) proc.pattern().load(0, std::make_unique<LatentClip>(*clips->pattern));
  });
  Session* s = &session;
  session.capturePattern = [s](int slot, double beats) {
    s->engine->worker()->processor().pattern().requestCapture(slot, beats);
    s->post("pattern: capturing the last " + std::to_string(static_cast<int>(beats)) + " beats into slot " +
            std::to_string(slot + 1));
  };

  SourceClips* c = clips.get();
  session.setStyleAnchor = [s, c](int which, const std::string& path) -> std::string {
    if (which < 0 || which > 1) return "there are only anchors A and B";
    if (c->encoding)
      return "still encoding " + std::filesystem::path(c->encoding->path).filename().string() +
             " into anchor " + anchorName(c->encoding->which) + "; try again when it is done";
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return path + ": no such audio file";
    SourceClips::Encoding job;
    job.which = which;
    job.path = path;
    job.started = std::chrono::steady_clock::now();
    job.result = std::async(std::launch::async, [model = s->modelPath, path] {
      lowerThisThreadsPriority();
      return encodeFileToClip(model, path);
    });
    c->encoding = std::move(job);
    s->post(std::string("style: encoding ") + std::filesystem::path(path).filename().string() + " into anchor " +
            anchorName(which) + " ...");
    return {};
  };
  session.styleAnchor = [c](int which) {
    StyleAnchorStatus st;
    if (which < 0 || which > 1) return st;
    st.file = c->anchorFile[which];
    st.error = c->anchorError[which];
    if (c->encoding && c->encoding->which == which) {
      st.encoding = c->encoding->path;
      st.encodingSeconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - c->encoding->started).count();
    }
    return st;
  };
  session.onTick.push_back([s, c] {
    finishEncoding(*s, *c);
    s->engine->sharePatternCaptures();  // a capture belongs to the performance, not one model
  });
  return true;
}

}  // namespace mm
