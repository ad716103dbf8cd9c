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
