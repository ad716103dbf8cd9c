#include "TriggerMidiOut.h"

#include <rtmidi/RtMidi.h>

#include <cctype>
#include <chrono>


namespace mm {

TriggerMidiOut::TriggerMidiOut(TriggerAnalyzer& source) : source_(source) {
  for (int c = 0; c < kMaxTriggerClasses; ++c) notes_[c].store(36 + c);
}

TriggerMidiOut::~TriggerMidiOut() { stop(); }

void TriggerMidiOut::setNote(int cls, int note) {
  if (cls >= 0 && cls < kMaxTriggerClasses) notes_[cls].store(std::clamp(note, 0, 127));
}

std::string TriggerMidiOut::open(int api, const std::string& clientName, const std::string& port) {
  return out_.open(api, clientName, port, "triggers", "--trigger-midi-out");
}

void TriggerMidiOut::start() {
  wanted_ = true;
  startThread();
}

void TriggerMidiOut::stop() {
  wanted_ = false;
  stopThread();
}

void TriggerMidiOut::startThread() {
  if (!out_.isOpen() || thread_.joinable()) return;
  running_.store(true);
  source_.setNoteOutput(true);
  thread_ = std::thread([this] { run(); });
}

void TriggerMidiOut::stopThread() {
  source_.setNoteOutput(false);
  running_.store(false);
  source_.noteSignal().post();  // wake the sender so it sees the stop at once
  if (thread_.joinable()) thread_.join();
}

std::string TriggerMidiOut::reopen() {
  stopThread();
  const std::string err = out_.reopen();
  // Sending again if the performance wants notes, even after an earlier reopen failed.
  if (err.empty() && wanted_) startThread();
  return err;
}

void TriggerMidiOut::run() {
  using clock = std::chrono::steady_clock;
  struct Sounding {
    int note = -1;
    int channel = 0;
    clock::time_point off;
  };
  Sounding sounding[kMaxTriggerClasses];
  auto send = [this](unsigned char status, int note, int velocity) {
    const unsigned char m[3] = {status, static_cast<unsigned char>(note), static_cast<unsigned char>(velocity)};
    out_.send(m, 3);  // dropped while the port's JACK server is gone
  };
  try {
    while (running_.load()) {
      auto wait = std::chrono::microseconds(20000);
      const auto now = clock::now();
      for (const auto& s : sounding)
        if (s.note >= 0)
          wait = std::min(
              wait, std::chrono::duration_cast<std::chrono::microseconds>(s.off - now) + std::chrono::microseconds(1));
      if (wait.count() > 0) source_.noteSignal().waitFor(wait);
      TriggerHit h;
      while (source_.popNote(h)) {
        if (h.cls < 0 || h.cls >= kMaxTriggerClasses) continue;
        Sounding& s = sounding[h.cls];
        // The same sound again before its note ended: end it first, so that the receiver
        // restarts the note instead of ignoring a second note on.
        if (s.note >= 0) send(static_cast<unsigned char>(0x80 | s.channel), s.note, 0);
        s.note = notes_[h.cls].load();
        s.channel = channel_.load();
        send(static_cast<unsigned char>(0x90 | s.channel), s.note, std::clamp(h.velocity, 1, 127));
        sent_.fetch_add(1);
        s.off = clock::now() + std::chrono::microseconds(static_cast<long>(noteLengthMs_.load() * 1000.f));
      }
      const auto later = clock::now();
      for (auto& s : sounding)
        if (s.note >= 0 && s.off <= later) {
          send(static_cast<unsigned char>(0x80 | s.channel), s.note, 0);
          s.note = -1;
        }
    }
    for (auto& s : sounding)
      if (s.note >= 0) send(static_cast<unsigned char>(0x80 | s.channel), s.note, 0);
  } catch (const RtMidiError&) {
    running_.store(false);  // the port went away; the performance goes on without trigger notes
  }
}

}  // namespace mm
