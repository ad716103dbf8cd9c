#include "SourcesSetup.h"

#include <iostream>

#include "LatentSources.h"

namespace mm {

bool attachSources(Session& session) {
  const Args& args = *session.args;
  struct Clips {
    std::shared_ptr<LatentClip> a, b, pattern;
  };
  auto clips = std::make_shared<Clips>();
  try {
    // Encoded with the session's model; a slot whose latent size differs ignores them.
    if (auto f = args.get("anchor-a")) clips->a = std::make_shared<LatentClip>(encodeFileToClip(session.modelPath, *f));
    if (auto f = args.get("anchor-b")) clips->b = std::make_shared<LatentClip>(encodeFileToClip(session.modelPath, *f));
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
    if (fits(clips->a)) proc.style().load(0, std::make_unique<LatentClip>(*clips->a));
    if (fits(clips->b)) proc.style().load(1, std::make_unique<LatentClip>(*clips->b));
    if (fits(clips->pattern)) proc.pattern().load(0, std::make_unique<LatentClip>(*clips->pattern));
  });
  Session* s = &session;
  session.capturePattern = [s](int slot, double beats) {
    s->engine->worker()->processor().pattern().requestCapture(slot, beats);
    s->post("pattern: capturing the last " + std::to_string(static_cast<int>(beats)) + " beats into slot " +
            std::to_string(slot + 1));
  };
  return true;
}

}  // namespace mm
