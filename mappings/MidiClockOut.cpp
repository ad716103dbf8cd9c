#include "MidiClockOut.h"

#include <rtmidi/RtMidi.h>

#include <algorithm>
#include <cctype>
#include <chrono>

#include "MidiInputPorts.h"
#include "MidiOutputPort.h"

namespace mm {

MidiClockOut::MidiClockOut(const ParameterRegistry& registry, int bpmIndex)
    : registry_(registry), bpmIndex_(bpmIndex) {}

MidiClockOut::~MidiClockOut() { stop(); }

std::string MidiClockOut::open(const std::string& api, const std::string& clientName, const std::string& port) {
  try {
    out_ = std::make_unique<RtMidiOut>(static_cast<RtMidi::Api>(midiApiFromName(api)), clientName);
    portName_ = openMidiOutput(*out_, port, clientName, "clock");
    if (!portName_.empty()) return "";
    out_.reset();
    return "--clock-out '" + port + "': no MIDI output port has that in its name (`musicmill devices` lists them), "
           "or use --clock-out virtual";
  } catch (const std::exception& e) {
    out_.reset();
    return std::string("--clock-out: cannot open MIDI output: ") + e.what();
  }
}

void MidiClockOut::start() {
  if (!out_ || running_.exchange(true)) return;
  thread_ = std::thread([this] { run(); });
}

void MidiClockOut::stop() {
  if (!running_.exchange(false)) return;
  if (thread_.joinable()) thread_.join();
}

void MidiClockOut::run() {
  using clock = std::chrono::steady_clock;
  // Sender thread: the vectors are made here, once; sendMessage copies what it needs.
  std::vector<unsigned char> tick{0xF8}, startMsg{0xFA}, stopMsg{0xFC};
  try {
    out_->sendMessage(&startMsg);
    auto due = clock::now();
    while (running_.load()) {
      out_->sendMessage(&tick);
      ticks_.fetch_add(1);
      const double bpm = std::clamp(static_cast<double>(registry_.get(bpmIndex_)), 20.0, 300.0);
      due += std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(60.0 / (24.0 * bpm)));
      // After a long stall (suspend, debugger), restart the grid instead of bursting ticks.
      if (clock::now() - due > std::chrono::milliseconds(100)) due = clock::now();
      std::this_thread::sleep_until(due);
    }
    out_->sendMessage(&stopMsg);
  } catch (const RtMidiError&) {
    running_.store(false);  // the port went away; the performance goes on without clock
  }
}

}  // namespace mm
