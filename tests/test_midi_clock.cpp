// MIDI clock in: the tempo follows the clock's tick rate through delivery jitter, jumps
// with a deliberate tempo change, lets go when the clock stops arriving, and reports
// Start/Stop.
#include <catch2/catch.hpp>

#include <random>

#include "MidiClockFollower.h"

using namespace mm;

namespace {
// Ticks at `bpm` from `t0` for `beats`, each delivered up to `jitter` seconds late (the
// delivery is cycle-quantised under JACK: all ticks of one cycle share its time).
double feedTicks(MidiClockFollower& f, double t0, double bpm, double beats, double jitter, unsigned seed = 1) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> late(0.0, jitter);
  const double period = 60.0 / (24.0 * bpm);
  const int n = static_cast<int>(beats * 24);
  double t = t0;
  for (int i = 0; i < n; ++i) {
    t = t0 + i * period;
    f.handle(MidiEvent::make(t + late(rng), 0xF8, 0, 0, 1));
  }
  return t;
}
}  // namespace

TEST_CASE("clock follower: tempo within 0.5 BPM through 3 ms of jitter", "[midi]") {
  for (double bpm : {70.0, 128.0, 174.0}) {
    MidiClockFollower f;
    CHECK_FALSE(f.locked());
    feedTicks(f, 100.0, bpm, 4, 0.003);
    REQUIRE(f.locked());
    CHECK(f.bpm() == Approx(bpm).margin(0.5));
  }
}

TEST_CASE("clock follower: follows a tempo change, lets go when ticks stop", "[midi]") {
  MidiClockFollower f;
  double t = feedTicks(f, 10.0, 120.0, 4, 0.001);
  CHECK(f.bpm() == Approx(120.0).margin(0.3));
  t = feedTicks(f, t + 60.0 / (24 * 140.0), 140.0, 4, 0.001);
  CHECK(f.bpm() == Approx(140.0).margin(0.5));
  f.idle(t + 0.2);
  CHECK(f.locked());
  f.idle(t + 0.6);
  CHECK_FALSE(f.locked());
  // A clock that comes back much later starts afresh (no averaging across the gap).
  feedTicks(f, t + 30.0, 90.0, 2, 0.001);
  CHECK(f.bpm() == Approx(90.0).margin(0.5));
}

TEST_CASE("clock follower: start, continue and stop", "[midi]") {
  MidiClockFollower f;
  CHECK_FALSE(f.running());
  f.handle(MidiEvent::make(1.0, 0xFA, 0, 0, 1));
  CHECK(f.running());
  f.handle(MidiEvent::make(2.0, 0xFC, 0, 0, 1));
  CHECK_FALSE(f.running());
  f.handle(MidiEvent::make(3.0, 0xFB, 0, 0, 1));
  CHECK(f.running());
  CHECK(f.transportChanges() == 3);
}
