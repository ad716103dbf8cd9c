// The audio callback never allocates: global operator new is replaced in this test binary
// and counts calls made while the calling thread is inside the callback (RealtimeScope).
// Checked both with the callback driven directly and inside a real JACK stream.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <new>
#include <thread>
#include <vector>

#include "JackHarness.h"
#include "LiveEngine.h"
#include "MidiEventQueue.h"
#include "ModelRuntime.h"
#include "Realtime.h"
#include "TestSupport.h"

namespace {
std::atomic<uint64_t> gRealtimeAllocations{0};
}

void* operator new(std::size_t n) {
  if (mm::RealtimeScope::flag()) gRealtimeAllocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  if (mm::RealtimeScope::flag()) gRealtimeAllocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
// The nothrow forms too, so that every allocation and free in this binary goes through
// the same pair (under AddressSanitizer a mixed pair is reported as a mismatch).
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  if (mm::RealtimeScope::flag()) gRealtimeAllocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  if (mm::RealtimeScope::flag()) gRealtimeAllocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n ? n : 1);
}
__attribute__((noinline)) void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
// noinline: GCC otherwise inlines these into callers and mistakes the pairing.
__attribute__((noinline)) void operator delete(void* p) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete[](void* p) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete(void* p, std::size_t) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using namespace mm;
using namespace mmtest;

TEST_CASE("the counter itself sees an allocation inside a RealtimeScope", "[realtime]") {
  const uint64_t before = gRealtimeAllocations.load();
  {
    RealtimeScope scope;
    volatile size_t n = 3;  // the compiler may not elide an allocation of unknown size
    std::vector<int> v(n);
    CHECK(v.size() == 3);
  }
  CHECK(gRealtimeAllocations.load() == before + 1);
}

TEST_CASE("processBlock allocates nothing while the worker runs the model", "[realtime]") {
  auto reg = makeStandardRegistry(64);
  LiveEngine engine(*reg);
  engine.openWithoutDevice(ModelRuntime::load(fixture("delay_44k.ts")), 44100, 128, 1, 2);
  engine.start();
  std::vector<float> in(128), out(256);
  const uint64_t before = gRealtimeAllocations.load();
  for (int k = 0; k < 700; ++k) {  // ~2 s of audio at real-time pace
    for (int i = 0; i < 128; ++i) in[i] = 0.3f * std::sin(0.05f * (k * 128 + i));
    reg->set(reg->indexOf("energy"), (k % 50) / 50.f);  // parameters moving meanwhile
    engine.processBlock(in.data(), out.data(), 128, false);
    std::this_thread::sleep_for(std::chrono::microseconds(2900));
  }
  engine.stop();
  CHECK(gRealtimeAllocations.load() == before);
  CHECK(engine.status().blocksProcessed > 100);
}

TEST_CASE("the callback allocates nothing inside a real JACK stream", "[realtime][jack]") {
  JackServer server(44100, 128);
  REQUIRE(server.ok());
  auto reg = makeStandardRegistry(64);
  LiveEngine engine(*reg);
  AudioConfig cfg;
  cfg.api = "jack";
  engine.open(ModelRuntime::load(fixture("delay_44k.ts")), cfg);
  const uint64_t before = gRealtimeAllocations.load();
  engine.start();
  engine.panic();  // a panic reload happens meanwhile, off the audio thread
  std::this_thread::sleep_for(std::chrono::seconds(3));
  engine.stop();
  CHECK(engine.status().callbacks > 500);
  CHECK(gRealtimeAllocations.load() == before);
}

TEST_CASE("a full MIDI queue keeps each control's newest value, drops the oldest, never blocks or allocates",
          "[realtime][midi]") {
  // A sender far faster than the control thread drains: 64 events fit the FIFO, then two
  // knobs (CC 7 and CC 10 on channel 1), a pitch bend and notes keep coming.
  MidiEventQueue q(64, 3);
  const uint64_t before = gRealtimeAllocations.load();
  int taken = 0, notesTaken = 0;
  {
    RealtimeScope scope;  // the RtMidi callback's side (no Catch macros in here: they allocate)
    for (int i = 0; i < 64; ++i) taken += q.push(MidiEvent::make(1.0 + i * 1e-3, 0xB0, 1, static_cast<uint8_t>(i)));
    for (int i = 0; i < 500; ++i) {
      const double t = 2.0 + i * 1e-3;
      q.push(MidiEvent::make(t, 0xB0, 7, static_cast<uint8_t>(i % 128)));
      q.push(MidiEvent::make(t, 0xB0, 10, static_cast<uint8_t>((i * 3) % 128)));
      q.push(MidiEvent::make(t, 0xE1, static_cast<uint8_t>(i & 0x7F), static_cast<uint8_t>((i >> 7) & 0x7F)));
      notesTaken += q.push(MidiEvent::make(t, 0x90, 60, 100));  // a note finds the FIFO full: lost
    }
  }
  CHECK(gRealtimeAllocations.load() == before);
  CHECK(taken == 64);
  CHECK(notesTaken == 0);
  std::vector<MidiEvent> out;
  q.drain(out);
  REQUIRE(out.size() == 64u + 3u);  // every FIFO event, then one per overflowed control
  for (int i = 0; i < 64; ++i) CHECK(out[static_cast<size_t>(i)].bytes[2] == i);  // in order
  int seen = 0;
  for (size_t i = 64; i < out.size(); ++i) {
    const MidiEvent& e = out[i];
    CHECK(e.port == 3);
    CHECK(e.time == Approx(2.499).margin(1e-5));  // when the newest value arrived
    if (e.kind() == 0xB0 && e.bytes[1] == 7) {
      seen += 1;
      CHECK(e.bytes[2] == 499 % 128);
    }
    if (e.kind() == 0xB0 && e.bytes[1] == 10) {
      seen += 2;
      CHECK(e.bytes[2] == (499 * 3) % 128);
    }
    if (e.kind() == 0xE0) {
      seen += 4;
      CHECK(e.channel() == 1);
      CHECK((e.bytes[1] | (e.bytes[2] << 7)) == 499);
    }
  }
  CHECK(seen == 7);
  CHECK(q.overflowed() == 1500u);
  CHECK(q.dropped() == 3u * 499u + 500u);  // each control's 499 older values, and the notes
  // Drained, the queue takes events in order again.
  CHECK(q.push(MidiEvent::make(3.0, 0xB0, 7, 1)));
  out.clear();
  q.drain(out);
  REQUIRE(out.size() == 1u);
  CHECK(out[0].time == 3.0);
}
