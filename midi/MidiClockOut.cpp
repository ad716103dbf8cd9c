#include "MidiClockOut.h"

#include <rtmidi/RtMidi.h>

#include <algorithm>
#include <cctype>
#include <chrono>

#include "MidiInputPorts.h"

namespace mm {

MidiClockOut::MidiClockOut(const ParameterRegistry& registry, int bpmIndex)
    : registry_(registry), bpmIndex_(bpmIndex) {}

MidiClockOut::~MidiClockOut() { stop(); }

std::string MidiClockOut::open(const std::string& api, const std::string& clientName, const std::string& port) {
  int apiValue = 0;
  try {
    apiValue = midiApiFromName(api);
  } catch (const std::exception& e) {
    return std::string("--clock-out: ") + e.what();
  }
  return out_.open(apiValue, clientName, port, "clock", "--clock-out");
}

void MidiClockOut::start() {
  wanted_ = true;
  startThread();
}

void MidiClockOut::stop() {
  wanted_ = false;
  stopThread();
}

void MidiClockOut::startThread() {
  if (!out_.isOpen() || thread_.joinable()) return;
  running_.store(true);
  thread_ = std::thread([this] { run(); });
}

void MidiClockOut::stopThread() {
  running_.store(false);
  if (thread_.joinable()) thread_.join();  // also a sender that ended on a port error
}

std::string MidiClockOut::reopen() {
  stopThread();
  const std::string err = out_.reopen();
  // Ticking again if the performance wants clock, even after an earlier reopen failed.
  if (err.empty() && wanted_) startThread();
  return err;
}

void MidiClockOut::run() {
  using clock = std::chrono::steady_clock;
  const unsigned char tick = 0xF8, startMsg = 0xFA, stopMsg = 0xFC;
  try {
    out_.send(&startMsg, 1);  // every send is dropped while the port's JACK server is gone
    auto due = clock::now();
    while (running_.load()) {
      out_.send(&tick, 1);
      ticks_.fetch_add(1);
      const double bpm = std::clamp(static_cast<double>(registry_.get(bpmIndex_)), 20.0, 300.0);
      due += std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(60.0 / (24.0 * bpm)));
      // After a long stall (suspend, debugger), restart the grid instead of bursting ticks.
      if (clock::now() - due > std::chrono::milliseconds(100)) due = clock::now();
      std::this_thread::sleep_until(due);
    }
    out_.send(&stopMsg, 1);
  } catch (const RtMidiError&) {
    running_.store(false);  // the port went away; the performance goes on without clock
  }
}

}  // namespace mm
