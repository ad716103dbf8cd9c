#include "SourcesSetup.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <iostream>
#include <optional>

#include "FrameProcessor.h"
#include "Realtime.h"
#include "LatentSources.h"

namespace mm {

namespace {

const char* anchorName(int which) { return which == 0 ? "A" : "B"; }

}  // namespace

SourcesPart::SourcesPart(App& app) : app_(app) {}
SourcesPart::~SourcesPart() = default;

// Control thread: hands a finished encoding to every model slot whose latent size fits.
void SourcesPart::finishEncoding() {
  if (!encoding_) return;
  Encoding& job = *encoding_;
  if (job.result.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;
  const int w = job.which;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - job.started).count();
  const std::string file = std::filesystem::path(job.path).filename().string();
  try {
    auto clip = std::make_shared<LatentClip>(job.result.get());
    int fitting = 0;
    for (int k = 0; k < app_.engine->modelCount(); ++k) {
      InferenceWorker* worker = app_.engine->workerAt(k);
      if (!worker || worker->processor().info().latentSize != clip->dims) continue;
      worker->processor().style().load(w, std::make_unique<LatentClip>(*clip));
      ++fitting;
    }
    anchor_[w] = clip;
    anchorFile_[w] = job.path;
    anchorError_[w].clear();
    const int amount = app_.registry->indexOf("style.amount");
    char took[32];
    std::snprintf(took, sizeof took, "%.1f", seconds);
    app_.post(std::string("style: anchor ") + anchorName(w) + " is now " + file + " (encoded in " + took + " s" +
                 (fitting ? ")" : "; no loaded model has its latent size, so it is not heard)") +
                 (amount >= 0 && app_.registry->get(amount) <= 0.f ? "; raise style amount to hear it" : ""));
  } catch (const std::exception& e) {
    anchorError_[w] = e.what();
    app_.post(std::string("style: anchor ") + anchorName(w) + " stays as it was: " + e.what());
  }
  encoding_.reset();
}

void SourcesPart::capturePattern(int slot, double beats) {
  app_.engine->worker()->processor().pattern().requestCapture(slot, beats);
  app_.post("pattern: capturing the last " + std::to_string(static_cast<int>(beats)) + " beats into slot " +
            std::to_string(slot + 1));
}

std::string styleAnchorRefusal(int which, const std::string& path, const StyleAnchorStatus (&anchors)[2]) {
  if (which < 0 || which > 1) return "there are only anchors A and B";
  for (int w = 0; w < 2; ++w)
    if (!anchors[w].encoding.empty())
      return "still encoding " + std::filesystem::path(anchors[w].encoding).filename().string() + " into anchor " +
             anchorName(w) + "; try again when it is done";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return path + ": no such audio file";
  return {};
}

std::string SourcesPart::setStyleAnchor(int which, const std::string& path) {
  const StyleAnchorStatus now[2] = {styleAnchor(0), styleAnchor(1)};
  if (std::string why = styleAnchorRefusal(which, path, now); !why.empty()) return why;
  Encoding job;
  job.which = which;
  job.path = path;
  job.started = std::chrono::steady_clock::now();
  job.result = std::async(std::launch::async, [model = app_.modelPath, path] {
    lowerThisThreadsPriority(10);
    return encodeFileToClip(model, path);
  });
  encoding_ = std::move(job);
  app_.post(std::string("style: encoding ") + std::filesystem::path(path).filename().string() + " into anchor " +
            anchorName(which) + " ...");
  return {};
}

StyleAnchorStatus SourcesPart::styleAnchor(int which) const {
  StyleAnchorStatus st;
  if (which < 0 || which > 1) return st;
  st.file = anchorFile_[which];
  st.error = anchorError_[which];
  if (encoding_ && encoding_->which == which) {
    st.encoding = encoding_->path;
    st.encodingSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - encoding_->started).count();
  }
  return st;
}

void SourcesPart::loadInto(FrameProcessor& proc) const {
  const int dims = proc.info().latentSize;
  auto fits = [dims](const std::shared_ptr<LatentClip>& clip) { return clip && clip->dims == dims; };
  for (int w = 0; w < 2; ++w)
    if (fits(anchor_[w])) proc.style().load(w, std::make_unique<LatentClip>(*anchor_[w]));
  if (fits(pattern_)) proc.pattern().load(0, std::make_unique<LatentClip>(*pattern_));
}

void SourcesPart::tick() {
  finishEncoding();
  app_.engine->sharePatternCaptures();  // a capture belongs to the performance, not one model
}

bool attachSources(App& app) {
  const Args& args = *app.args;
  auto part = std::make_unique<SourcesPart>(app);
  try {
    // Encoded with the playing model; a slot whose latent size differs ignores them.
    for (int w = 0; w < 2; ++w)
      if (auto f = args.get(w == 0 ? "anchor-a" : "anchor-b")) {
        part->anchor_[w] = std::make_shared<LatentClip>(encodeFileToClip(app.modelPath, *f));
        part->anchorFile_[w] = *f;
      }
    if (auto f = args.get("pattern"))
      part->pattern_ =
          std::make_shared<LatentClip>(encodeFileToClip(app.modelPath, *f, args.getDouble("pattern-bpm", 120.0)));
  } catch (const std::exception& e) {
    std::cerr << "musicmill perform: " << e.what() << "\n";
    return false;
  }
  // Every model slot (the ones open now and any published later, on the control thread)
  // gets copies of the clips whose latent size fits.
  app.engine->setProcessorSetup([p = part.get()](FrameProcessor& proc) { p->loadInto(proc); });
  app.sources = std::move(part);
  return true;
}

}  // namespace mm
