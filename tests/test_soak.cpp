// Soak, short version for CI (issue 11, reliability): the real `musicmill perform` through a
// private JACK dummy server for about a minute with a MIDI storm (about 3,400 messages a
// second, every kind the mapping binds), random parameter changes over OSC, a preset switch
// every 2 s (two of three of them model switches across four models), and a busy loop on
// one core. The driver is tests/SoakDriver.* (shared with the 10-minute run, bench/soak.cpp).
//
// Asserted: the instrument never died and exited 0 on SIGINT; its audio callback ran on
// (almost) every graph cycle and its output was never silent for a whole second after the
// warm-up; its resident memory grew by less than kRssBoundMb after the warm-up; every preset
// switch was acknowledged, no MIDI message was lost (none failed to be written, none was
// dropped by the instrument, a fence CC after the storm reached its parameter), no OSC
// change was refused, no model block was non-finite. Xruns and late frames are reported
// (WARN), not asserted: this shared 2-core VM xruns on its own (README, "Tests").
#include <catch2/catch.hpp>

#include <cmath>
#include <iostream>

#include "SoakDriver.h"
#include "TimingCheck.h"

using namespace mmtest;

namespace {
// Resident-memory bound after the warm-up (15 s, by which time every model of the set has
// played). The instrument's RSS is about 315 MB here (LibTorch, four preloaded models); what
// may still move after the warm-up is allocator slack: glibc arenas of the MIDI/OSC/main
// threads, LibTorch scratch, the message history. Measured here: 0.0-0.1 MB over 45 s, and
// 0.3 MB over 10 minutes (bench/results/soak.txt). 32 MB is far above that noise and far
// below what a leak would reach: 3,400 MIDI messages/s x 45 s = 153,000 messages, so
// 32 MB is about 220 bytes a message; or about 2 MB per preset switch (~22 in 45 s).
[[maybe_unused]] constexpr double kRssBoundMb = 32.0;  // not judged under sanitizers
}  // namespace

TEST_CASE("soak: a minute of MIDI storm, OSC changes, preset and model switches under a CPU hog", "[soak][jack]") {
  SoakOptions o;
  o.seconds = 60;
  o.warmupSeconds = 15;
  o.progress = [](const std::string& m) { std::cerr << "soak: " << m << "\n"; };
  const SoakResult r = runSoak(o);
  INFO(r.text());
  INFO("instrument log (tail):\n" << r.log.substr(r.log.size() > 4000 ? r.log.size() - 4000 : 0));
  REQUIRE(r.started);
  std::cerr << r.text();

  // Survived, and stopped cleanly.
  CHECK(r.aliveThroughout);
  CHECK(r.exitStatus == 0);
  CHECK(r.exitedCleanly);
  REQUIRE_FALSE(r.report.empty());

  // Audio kept flowing: the callback ran on the graph's cycles, the output was never
  // silent for a whole second, no block came out non-finite.
  CHECK_TIMING(r.callbacks >= 0.95 * static_cast<double>(r.graphCycles));
  // The windows are cut from what the test's own JACK client recorded: how many there are
  // depends on the driver's scheduling (a cycle it missed records nothing), so the count
  // is reported; enough of them after the warm-up must be there for the silence check to
  // mean something.
  if (r.windowDb.size() < static_cast<size_t>(o.seconds) - 2)
    WARN("the test's recording client kept " << r.windowDb.size() << " one-second windows of " << o.seconds
                                             << " (it missed cycles of its own)");
  CHECK(r.windowDb.size() >= static_cast<size_t>(o.warmupSeconds) + 10);
  CHECK_TIMING(r.silentWindows == 0);
  CHECK(r.nonFiniteBlocks == 0);

  // Memory.
  CHECK(r.rssStartKb > 0);
#if defined(MM_SANITIZED)
  // AddressSanitizer keeps freed memory in quarantine (up to 256 MB): growth says nothing.
  WARN("resident memory grew " << r.rssGrowthKb() / 1024.0 << " MB (not judged in a sanitized build)");
#else
  CHECK(r.rssGrowthKb() / 1024.0 < kRssBoundMb);
#endif

  // Everything sent was taken: the storm rate held, no MIDI lost on either side, the
  // fence after the storm arrived, every switch was acknowledged, no OSC change refused.
  CHECK_TIMING(r.midiSent / r.playedSeconds > 2000);
  CHECK(r.midiWriteFailures == 0);
  CHECK_TIMING(r.midiDropped == 0);
  CHECK(r.fenceSeen);
  CHECK(r.presetSwitches >= static_cast<uint64_t>(o.seconds / o.switchSeconds) - 1);
  CHECK(r.navAcknowledged == r.programChanges + r.presetNotes + r.oscPrograms);
  CHECK(r.oscErrors == 0);

  // Reported, not asserted (the VM xruns on its own).
  if (r.xruns > 0 || r.lateFrames > 0)
    WARN("not the target of zero: " << r.xruns << " xruns and " << r.lateFrames << " late frames in "
                                    << r.playedSeconds << " s under the storm and the CPU hog (latency "
                                    << r.startLatencyMs << " -> " << r.latencyMs << " ms)");
}
