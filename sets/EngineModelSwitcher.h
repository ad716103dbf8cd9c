// EngineModelSwitcher: the ModelSwitcher of a real performance, backed by the LiveEngine's
// preloaded model slots (slot 0: the model the engine was opened with).
//
// Threads: control (main) thread only, like the engine methods it calls.
#pragma once

#include <chrono>
#include <cstdio>
#include <future>
#include <string>

#include "LiveEngine.h"
#include "ModelRuntime.h"
#include "ModelSwitcher.h"

namespace mm {

class EngineModelSwitcher : public ModelSwitcher {
 public:
  EngineModelSwitcher(LiveEngine& engine, ModelRuntime::Options options)
      : engine_(engine), options_(std::move(options)) {}
  ~EngineModelSwitcher() override {
    if (load_.valid()) load_.wait();  // a load still running finishes before the engine goes
  }

  // Loads and probes the file (ModelError on a bad file), then the engine gives it its
  // own worker, warms it up and measures its pre-roll, so selecting it later has no gap.
  int addModel(const std::string& path, const std::string& partner) override {
    auto model = load(path);
    return engine_.addModel(std::move(model), partner.empty() ? nullptr : load(partner));
  }
  bool startLoad(const std::string& path, const std::string& partner) override {
    if (load_.valid()) return false;
    load_ = std::async(std::launch::async, [this, path, partner] {
      Loaded r;
      r.path = path;
      r.partner = partner;
      try {
        auto model = load(path);
        std::unique_ptr<ModelRuntime> b = partner.empty() ? nullptr : load(partner);
        r.slot = engine_.prepareModel(std::move(model), std::move(b));
      } catch (const std::exception& e) {
        r.error = e.what();
      }
      return r;
    });
    return true;
  }
  std::optional<Loaded> finishedLoad() override {
    if (!load_.valid() || load_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return std::nullopt;
    Loaded r = load_.get();
    if (r.slot >= 0) engine_.publishModel(r.slot);
    return r;
  }
  // The old model's tail crossfades into the new one on the audio thread.
  void selectModel(int slot, double crossfadeMs) override { engine_.selectModel(slot, crossfadeMs); }
  int currentModel() const override { return engine_.currentModel(); }

 private:
  std::unique_ptr<ModelRuntime> load(const std::string& path) {
    auto model = ModelRuntime::load(path, options_);
    for (const auto& w : model->info().warnings) std::fprintf(stderr, "musicmill: warning: %s\n", w.c_str());
    return model;
  }

  LiveEngine& engine_;
  ModelRuntime::Options options_;
  std::future<Loaded> load_;  // the load running on the loader thread, if any
};

}  // namespace mm
