// Style anchors and pattern memory for a performance (perform/SourcesSetup): "match this
// track" during the show, without the binary or a sound card.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

#include "App.h"
#include "AudioFile.h"
#include "Cli.h"
#include "LiveEngine.h"
#include "ModelRuntime.h"
#include "SourcesSetup.h"
#include "TestSupport.h"

using namespace mm;
using namespace mmtest;

namespace {
bool anyContains(const std::vector<std::string>& lines, const std::string& part) {
  for (const auto& l : lines)
    if (l.find(part) != std::string::npos) return true;
  return false;
}
}  // namespace

TEST_CASE("match this track: an anchor encodes off the control thread and reaches the playing model", "[style]") {
  auto model = ModelRuntime::load(fixture("delay_44k.ts"));
  auto reg = makeStandardRegistry(model->info().latentSize);
  LiveEngine engine(*reg);
  engine.openWithoutDevice(std::move(model), 44100, 128, 1, 2);
  Args args;
  args.command = "perform";
  App app;
  app.args = &args;
  app.modelPath = fixture("delay_44k.ts");
  app.registry = reg.get();
  app.engine = &engine;
  REQUIRE(attachSources(app));
  REQUIRE(app.sources);
  SourcesPart& sources = *app.sources;

  const std::string dir = tempDir();
  AudioBuffer track;
  track.sampleRate = 44100;
  track.samples = sine(220.0, 44100, 1.0, 0.4f);
  writeWav(dir + "/groove.wav", track);

  // Refused at once, nothing started: no such file, no anchor C.
  CHECK(sources.setStyleAnchor(0, dir + "/missing.wav").find("no such audio file") != std::string::npos);
  CHECK(sources.setStyleAnchor(2, dir + "/groove.wav").find("only anchors A and B") != std::string::npos);
  CHECK_FALSE(sources.styleAnchor(0).encoding.size());

  engine.start();
  std::vector<float> in(128, 0.f), out(256);
  // The call returns before the encoding is done: it runs on a thread of its own.
  CHECK(sources.setStyleAnchor(0, dir + "/groove.wav").empty());
  CHECK(sources.styleAnchor(0).encoding == dir + "/groove.wav");
  // One at a time: a second request while it runs is refused with what to do.
  CHECK(sources.setStyleAnchor(1, dir + "/groove.wav").find("still encoding") != std::string::npos);
  // The control thread's ticks hand the finished clip to the model; the audio goes on.
  bool done = false;
  for (int k = 0; k < 20000 && !done; ++k) {
    app.tick();
    engine.processBlock(in.data(), out.data(), 128, false);
    std::this_thread::sleep_for(std::chrono::microseconds(2900));
    done = sources.styleAnchor(0).encoding.empty();
  }
  REQUIRE(done);
  for (int k = 0; k < 100; ++k) {  // the worker picks it up at its next frames
    engine.processBlock(in.data(), out.data(), 128, false);
    std::this_thread::sleep_for(std::chrono::microseconds(2900));
  }
  engine.stop();
  const auto messages = app.recentMessages(10);
  INFO(Catch::Detail::stringify(messages));
  CHECK(sources.styleAnchor(0).file == dir + "/groove.wav");
  CHECK(sources.styleAnchor(0).error.empty());
  CHECK(anyContains(messages, "style: anchor A is now groove.wav"));
  CHECK(anyContains(messages, "raise style amount to hear it"));  // style.amount is 0
  CHECK(engine.worker()->processor().style().has(0));
  CHECK_FALSE(engine.worker()->processor().style().has(1));
}
