// The engine's thread hand-offs under real concurrency: the SPSC FIFO, the real-time
// exchange (TripleBuffer), the wake signal, and the live engine driven from an "audio"
// thread while the control thread does everything a performer can do at once. These run in the normal
// suite and, built with -fsanitize=thread, as CI's ThreadSanitizer stage
// (scripts/reliability.sh tsan: the tests tagged [threads]), where any data race between
// the threads fails the run.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <future>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "LiveEngine.h"
#include "ModelRuntime.h"
#include "Semaphore.h"
#include "Realtime.h"
#include "SaveThread.h"
#include "SpscFifo.h"
#include "TripleBuffer.h"
#include "TestSupport.h"

using namespace mm;
using namespace mmtest;

TEST_CASE("SPSC FIFO: a producer and a consumer thread pass every sample once, in order", "[threads]") {
  SingleReaderSingleWriterFifo<float> fifo(1000);
  constexpr int kTotal = 300000;
  std::atomic<bool> consumerDone{false};
  std::thread producer([&] {
    std::mt19937 rng(1);
    std::vector<float> chunk(257);
    int next = 0;
    while (next < kTotal) {
      const int n = std::min<int>(1 + static_cast<int>(rng() % 257), kTotal - next);
      for (int i = 0; i < n; ++i) chunk[i] = static_cast<float>(next + i);
      int sent = 0;
      while (sent < n) {
        sent += static_cast<int>(fifo.push(chunk.data() + sent, static_cast<size_t>(n - sent)));
        if (sent < n) std::this_thread::yield();
      }
      next += n;
    }
  });
  std::vector<float> got(311);
  int expected = 0, outOfOrder = 0;
  std::mt19937 rng(2);
  while (expected < kTotal) {
    const size_t n = fifo.pop(got.data(), 1 + rng() % got.size());
    for (size_t i = 0; i < n; ++i) outOfOrder += got[i] != static_cast<float>(expected++);
    if (n == 0) std::this_thread::yield();
  }
  producer.join();
  consumerDone = true;
  CHECK(outOfOrder == 0);
  CHECK(expected == kTotal);
  CHECK(fifo.available() == 0);
}

namespace {
struct Counted {
  static std::atomic<int> alive;
  static thread_local bool onReader;  // set on the thread that plays the reader
  static std::atomic<int> freedByReader;
  int sequence;
  std::vector<int> payload;
  explicit Counted(int s) : sequence(s), payload(64, s) { alive.fetch_add(1); }
  ~Counted() {
    alive.fetch_sub(1);
    if (onReader) freedByReader.fetch_add(1);
  }
};
std::atomic<int> Counted::alive{0};
thread_local bool Counted::onReader = false;
std::atomic<int> Counted::freedByReader{0};
}  // namespace

TEST_CASE("TripleBuffer: whole objects cross threads in order, each freed exactly once", "[threads]") {
  {
    TripleBuffer<std::unique_ptr<Counted>> exchange;
    constexpr int kObjects = 20000;
    std::atomic<bool> done{false};
    std::thread control([&] {
      for (int i = 1; i <= kObjects; ++i) {
        exchange.write(std::make_unique<Counted>(i));
        std::this_thread::yield();  // let the taker interleave
      }
      done = true;
    });
    int last = 0, taken = 0, torn = 0, backwards = 0;
    while (!done.load() || last < kObjects) {
      if (auto o = exchange.take()) {
        ++taken;
        backwards += o->sequence <= last;
        for (int v : o->payload) torn += v != o->sequence;  // the whole object arrived
        last = o->sequence;
      }
    }
    control.join();
    CHECK(taken > 0);
    CHECK(backwards == 0);
    CHECK(torn == 0);
    CHECK(last == kObjects);  // the newest is never lost
    CHECK_FALSE(exchange.take());  // and nothing is taken twice
  }
  CHECK(Counted::alive.load() == 0);  // nothing leaked, nothing freed twice
}

TEST_CASE("TripleBuffer: the audio side reads whole objects without freeing, the writer frees what it let go of",
          "[threads]") {
  Counted::freedByReader = 0;
  {
    TripleBuffer<std::unique_ptr<Counted>> exchange;
    constexpr int kObjects = 20000;
    std::atomic<bool> done{false};
    std::thread control([&] {
      for (int i = 1; i <= kObjects; ++i) {
        exchange.write(std::make_unique<Counted>(i));
        std::this_thread::yield();
      }
      done = true;
    });
    int swaps = 0, backwards = 0, torn = 0, last = 0;
    std::thread audio([&] {
      Counted::onReader = true;
      RealtimeScope scope;
      for (bool finished = false; !finished;) {
        finished = done.load();  // one more look after the last write
        if (exchange.update()) {
          const Counted* current = exchange.front().get();
          ++swaps;
          backwards += current->sequence <= last;
          for (int v : current->payload) torn += v != current->sequence;
          last = current->sequence;
        }
      }
    });
    control.join();
    audio.join();
    CHECK(swaps > 0);
    CHECK(backwards == 0);
    CHECK(torn == 0);
    CHECK(last == kObjects);
    CHECK(Counted::alive.load() <= 3);  // at most one object per buffer is kept
    CHECK(Counted::freedByReader.load() == 0);
  }
  CHECK(Counted::alive.load() == 0);  // every object freed once, none by the reader
  CHECK(Counted::freedByReader.load() == 0);
}

TEST_CASE("TripleBuffer: a null object is a value, so a classifier can be taken away", "[threads]") {
  TripleBuffer<std::unique_ptr<Counted>> exchange;
  exchange.write(std::make_unique<Counted>(1));
  REQUIRE(exchange.update());
  REQUIRE(exchange.front());
  exchange.write(nullptr);
  CHECK(exchange.update());
  CHECK(exchange.front() == nullptr);
  CHECK_FALSE(exchange.update());  // nothing new since
}

TEST_CASE("SaveThread: a slow save never holds up the thread that asks for it, and reports back in order",
          "[threads]") {
  std::vector<std::string> said;
  std::atomic<int> written{0};
  {
    SaveThread saves;
    // The first save waits for a disk that does not answer until the test lets it: the
    // asking thread must go on meanwhile (were submit to wait, this test would hang).
    std::promise<void> disk;
    std::shared_future<void> diskReady = disk.get_future().share();
    for (int i = 0; i < 3; ++i)
      saves.submit(
          [i, &written, diskReady] {
            diskReady.wait();
            written.fetch_add(1);
            return i == 1 ? std::string("disk full") : std::string();
          },
          [i, &said](const std::string& err) { said.push_back(std::to_string(i) + ":" + err); });
    saves.collect();  // nothing has finished: nothing reported, nothing waited for
    CHECK(said.empty());
    CHECK(written.load() == 0);
    disk.set_value();
    saves.flush();  // at the end of the show: everything written and reported, in order
    CHECK(written.load() == 3);
    REQUIRE(said.size() == 3);
    CHECK(said[0] == "0:");
    CHECK(said[1] == "1:disk full");
    CHECK(said[2] == "2:");
    // Queued when the thread ends: still written (the destructor waits for it).
    saves.submit([&written] { written.fetch_add(1); return std::string(); }, nullptr);
  }
  CHECK(written.load() == 4);
}

TEST_CASE("WakeSignal: every post wakes the waiting side, a wait without a post times out", "[threads]") {
  WakeSignal wake;
  std::atomic<int> woken{0};
  constexpr int kPosts = 200;
  std::thread worker([&] {
    while (woken.load() < kPosts)
      if (wake.waitFor(std::chrono::milliseconds(500))) woken.fetch_add(1);
  });
  for (int i = 0; i < kPosts; ++i) {
    wake.post();
    if (i % 10 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  worker.join();
  CHECK(woken.load() == kPosts);
  const auto t0 = std::chrono::steady_clock::now();
  CHECK_FALSE(wake.waitFor(std::chrono::milliseconds(30)));
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(25));
}

TEST_CASE("the live engine under every control at once: audio, worker, UI reads, switches, panic",
          "[threads][live]") {
  auto reg = makeStandardRegistry(8);
  reg->setById("gate.threshold", -90.f);
  LiveEngine engine(*reg);
  engine.openWithoutDevice(ModelRuntime::load(fixture("identity_44k.ts")), 44100, 128, 1, 2);
  const int second = engine.addModel(ModelRuntime::load(fixture("delay_44k.ts")));
  REQUIRE(second == 1);
  engine.start();

  // The "audio thread": the real callback body at about real-time pace.
  std::atomic<bool> stop{false};
  std::atomic<long> blocks{0}, nonFinite{0};
  std::atomic<float> peak{0.f};
  std::thread audio([&] {
    std::vector<float> in(128), out(256);
    long k = 0;
    while (!stop.load()) {
      for (int i = 0; i < 128; ++i) in[i] = 0.4f * std::sin(2 * M_PI * 330.0 * (k * 128 + i) / 44100.0);
      engine.processBlock(in.data(), out.data(), 128, k % 97 == 0);
      float p = peak.load(std::memory_order_relaxed);
      for (float v : out) {
        if (!std::isfinite(v)) nonFinite.fetch_add(1);
        p = std::max(p, std::fabs(v));
      }
      peak.store(p, std::memory_order_relaxed);
      blocks.fetch_add(1);
      ++k;
      std::this_thread::sleep_for(std::chrono::microseconds(2500));
    }
  });

  // The control and UI threads: everything they may do, interleaved, for ~4 s.
  std::vector<float> latents;
  const int energy = reg->indexOf("energy"), chaos = reg->indexOf("chaos");
  uint64_t reloadsBefore = 0;
  for (int step = 0; step < 80; ++step) {
    reg->set(energy, (step % 10) / 10.f);
    reg->set(chaos, (step % 7) / 14.f);
    const EngineStatus s = engine.status();
    (void)s;
    if (InferenceWorker* w = engine.worker()) {
      w->latestLatents(latents);
      (void)w->computeStats();
    }
    if (step % 20 == 10) engine.selectModel(engine.currentModel() == 0 ? 1 : 0, 20.0);
    if (step == 45) {
      reloadsBefore = engine.worker()->reloads();
      engine.panic();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // The panic's reload finishes while the audio thread plays on.
  for (int i = 0; i < 100 && engine.worker()->reloads() == reloadsBefore; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  stop = true;
  audio.join();
  const EngineStatus status = engine.status();
  engine.stop();
  INFO("blocks " << blocks.load() << ", processed " << status.blocksProcessed << ", peak " << peak.load());
  CHECK(nonFinite.load() == 0);
  CHECK(blocks.load() > 300);
  CHECK(status.blocksProcessed > 100);
  CHECK(engine.worker()->reloads() > reloadsBefore);
  CHECK_FALSE(latents.empty());  // the UI read a whole latent block
  CHECK(peak.load() > 0.05f);  // the sound came through
}
