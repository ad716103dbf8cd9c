#include "MidiInputPorts.h"

#include <rtmidi/RtMidi.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <stdexcept>

#include "MidiEventQueue.h"
#include "Realtime.h"

namespace mm {

namespace {
constexpr size_t kFifoCapacity = 4096;  // ~1.3 s of a dense 3-byte stream at 31.25 kbaud

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

struct MidiInputPorts::Port {
  std::string name;
  uint16_t id = 0;
  std::unique_ptr<RtMidiIn> in;
  std::unique_ptr<MidiEventQueue> queue;  // made once the id is known
  std::atomic<WakeSignal*> wake{nullptr};  // the consumer's, posted after each push
};

double midiNow() noexcept {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int midiApiFromName(const std::string& name) {
  if (name.empty() || name == "auto") return RtMidi::UNSPECIFIED;
  const RtMidi::Api api = RtMidi::getCompiledApiByName(name);
  if (api != RtMidi::UNSPECIFIED) return api;
  std::vector<RtMidi::Api> apis;
  RtMidi::getCompiledApi(apis);
  std::string choices;
  for (auto a : apis) choices += " " + RtMidi::getApiName(a);
  throw std::invalid_argument("--midi-api '" + name + "' is not available; this build has:" + choices);
}

std::vector<std::string> listMidiPorts(const std::string& apiName) {
  std::vector<std::string> lines;
  try {
    const auto api = static_cast<RtMidi::Api>(midiApiFromName(apiName));
    RtMidiIn in(api, "musicmill-devices");
    RtMidiOut out(api, "musicmill-devices");
    const std::string label = RtMidi::getApiDisplayName(in.getCurrentApi());
    const unsigned ni = in.getPortCount(), no = out.getPortCount();
    for (unsigned i = 0; i < ni; ++i) lines.push_back("MIDI in  " + std::to_string(i) + ": " + in.getPortName(i));
    for (unsigned i = 0; i < no; ++i) lines.push_back("MIDI out " + std::to_string(i) + ": " + out.getPortName(i));
    if (ni + no == 0) lines.push_back("MIDI (" + label + "): no ports");
  } catch (const RtMidiError& e) {
    lines.push_back("MIDI: unavailable (" + e.getMessage() + ")");
  } catch (const std::invalid_argument& e) {
    lines.push_back(std::string("MIDI: ") + e.what());
  }
  return lines;
}

MidiInputPorts::MidiInputPorts(const std::string& api, std::string clientName, std::vector<std::string> wanted)
    : api_(midiApiFromName(api)), clientName_(std::move(clientName)) {
  for (const auto& w : wanted) {
    if (w == "all" || w.empty()) all_ = true;
    else if (w == "virtual") virtual_ = true;
    else {
      wanted_.push_back(lower(w));
      asked_.push_back(w);
    }
  }
  if (wanted_.empty() && !virtual_) all_ = true;
  if (const std::string err = openBackend(); !err.empty()) throw std::runtime_error(err);
}

bool MidiInputPorts::jack() const {
  return api_ == RtMidi::UNIX_JACK || (scanner_ && scanner_->getCurrentApi() == RtMidi::UNIX_JACK);
}

std::string MidiInputPorts::openBackend() {
  scannerError_.clear();
  if (api_ == RtMidi::UNIX_JACK) {
    // The watch first: from the moment it is open, a server going away is seen.
    auto watch = std::make_unique<JackServerWatch>();
    if (!watch->open(clientName_ + "-watch"))
      return "cannot open MIDI (no JACK server is running). Start the JACK server; MIDI connects when it is there";
    watch_ = std::move(watch);
  }
  try {
    scanner_ = std::make_unique<RtMidiIn>(static_cast<RtMidi::Api>(api_), clientName_);
    if (!watch_ && scanner_->getCurrentApi() == RtMidi::UNIX_JACK) {  // the default API is JACK here
      watch_ = std::make_unique<JackServerWatch>();
      if (!watch_->open(clientName_ + "-watch")) scannerError_ = "no JACK server is running";
    }
    // From here RtMidi reports problems to us instead of printing them (and instead of
    // throwing), so that a missing JACK server is said once, not every rescan.
    scanner_->setErrorCallback(
        [](RtMidiError::Type type, const std::string& text, void* self) {
          onScannerError(static_cast<int>(type), text, self);
        },
        this);
    scanner_->getPortCount();
  } catch (const RtMidiError& e) {
    scannerError_ = e.getMessage();
  }
  if (!scanner_ || !scannerError_.empty()) {
    abandonBackend();  // a half-open JACK client is not closed either
    return "cannot open MIDI (" + scannerError_ +
           "). Under JACK, is the server running? Elsewhere, is the ALSA sequencer (/dev/snd/seq) there?";
  }
  if (virtual_) {
    auto p = std::make_unique<Port>();
    p->wake.store(wake_, std::memory_order_relaxed);
    p->name = clientName_ + ":in";
    p->id = idFor(p->name);
    p->queue = std::make_unique<MidiEventQueue>(kFifoCapacity, p->id);
    try {
      p->in = std::make_unique<RtMidiIn>(static_cast<RtMidi::Api>(api_), clientName_);
      p->in->ignoreTypes(true, false, true);  // keep clock; drop sysex and active sensing
      p->in->setCallback(&MidiInputPorts::onMessage, p.get());
      p->in->openVirtualPort("in");
    } catch (const RtMidiError& e) {
      return "cannot open a virtual MIDI input port: " + e.getMessage();
    }
    ports_.push_back(std::move(p));
  }
  return "";
}

void MidiInputPorts::abandonBackend() {
  for (auto& p : ports_) {
    p->queue->drain(pending_);
    droppedClosed_ += p->queue->dropped();
    abandon(p->in);
    abandon(p);  // its FIFO too: the dead client's thread held a pointer to it
  }
  ports_.clear();
  abandon(scanner_);
  abandon(watch_);
}

void MidiInputPorts::onScannerError(int type, const std::string& text, void* self) {
  // Main thread: the scanner has no callback thread; only its own calls report here.
  if (type == RtMidiError::DEBUG_WARNING) return;
  static_cast<MidiInputPorts*>(self)->scannerError_ = text;
}

MidiInputPorts::~MidiInputPorts() {
  if (watch_ && watch_->lost()) {
    abandonBackend();  // closing clients of a dead JACK server crashes
    return;
  }
  for (size_t i = ports_.size(); i-- > 0;) close(i, nullptr);
}

bool MidiInputPorts::wants(const std::string& name) const {
  // Our own ports (clock out, learn, the scanner) are never inputs of ours.
  if (name.rfind("musicmill", 0) == 0) return false;
  if (all_) return true;
  const std::string l = lower(name);
  for (const auto& w : wanted_)
    if (l.find(w) != std::string::npos) return true;
  return false;
}

uint16_t MidiInputPorts::idFor(const std::string& name) {
  for (size_t i = 0; i < names_.size(); ++i)
    if (names_[i] == name) return static_cast<uint16_t>(i);
  names_.push_back(name);
  return static_cast<uint16_t>(names_.size() - 1);
}

void MidiInputPorts::close(size_t i, std::vector<MidiEvent>* keep) {
  Port& p = *ports_[i];
  p.in.reset();  // closes the port and stops its callback thread before the FIFO goes
  std::vector<MidiEvent> left;
  p.queue->drain(left);
  if (keep) keep->insert(keep->end(), left.begin(), left.end());
  droppedClosed_ += p.queue->dropped();
  ports_.erase(ports_.begin() + static_cast<long>(i));
}

std::vector<std::string> MidiInputPorts::rescan() {
  std::vector<std::string> messages;
  if (watch_ && watch_->lost()) {
    abandonBackend();
    messages.push_back("the JACK server went away; MIDI input waits for it to come back");
  }
  if (!scanner_) {  // the MIDI system went away: try to open it again
    const std::string err = openBackend();
    if (!err.empty()) {
      if (err != scannerErrorReported_) messages.push_back(err);
      scannerErrorReported_ = err;
      return messages;
    }
    scannerErrorReported_.clear();
    messages.push_back("reopened the MIDI system; reconnecting the controllers");
  }
  std::vector<std::string> present;
  scannerError_.clear();
  const unsigned n = scanner_->getPortCount();
  for (unsigned i = 0; i < n; ++i) present.push_back(scanner_->getPortName(i));
  if (!scannerError_.empty()) {
    if (scannerError_ != scannerErrorReported_) messages.push_back("cannot list MIDI ports: " + scannerError_);
    scannerErrorReported_ = scannerError_;
    return messages;
  }
  scannerErrorReported_.clear();
  // Close what vanished (the virtual port is ours and never vanishes). Under JACK a port
  // also vanishes when the whole server dies, and closing it then crashes libjack: before
  // closing, the server must still be the one the ports were opened on (the watch has no
  // shutdown notice) and must answer a new client (the notice may not have arrived yet).
  bool serverChecked = false;
  for (size_t i = ports_.size(); i-- > 0;) {
    const std::string& name = ports_[i]->name;
    if (virtual_ && name == clientName_ + ":in") continue;
    if (std::find(present.begin(), present.end(), name) != present.end()) continue;
    if (watch_ && !serverChecked) {
      if (watch_->lost() || !JackServerWatch::serverAnswers()) return messages;  // see the next rescan
      serverChecked = true;
    }
    messages.push_back("lost " + name + " (will reconnect when it comes back)");
    close(i, &pending_);
  }
  for (size_t index = 0; index < present.size(); ++index) {
    const std::string& name = present[index];
    if (!wants(name)) continue;
    const bool open = std::any_of(ports_.begin(), ports_.end(), [&](const auto& p) { return p->name == name; });
    if (open) continue;
    auto p = std::make_unique<Port>();
    p->wake.store(wake_, std::memory_order_relaxed);
    p->name = name;
    p->id = idFor(name);
    p->queue = std::make_unique<MidiEventQueue>(kFifoCapacity, p->id);
    try {
      p->in = std::make_unique<RtMidiIn>(static_cast<RtMidi::Api>(api_), clientName_);
      p->in->ignoreTypes(true, false, true);
      p->in->setCallback(&MidiInputPorts::onMessage, p.get());
      p->in->openPort(static_cast<unsigned>(index), "in");
    } catch (const RtMidiError& e) {
      messages.push_back("cannot open " + name + ": " + e.getMessage());
      continue;
    }
    if (!p->in->isPortOpen()) continue;
    messages.push_back("connected " + name);
    ports_.push_back(std::move(p));
  }
  for (size_t k = 0; k < wanted_.size(); ++k) {
    const std::string& w = wanted_[k];
    const bool found = std::any_of(ports_.begin(), ports_.end(), [&](const auto& p) {
      return lower(p->name).find(w) != std::string::npos;
    });
    const bool reported = std::find(waitingReported_.begin(), waitingReported_.end(), w) != waitingReported_.end();
    if (!found && !reported) {
      messages.push_back("no MIDI port matches '" + asked_[k] + "' yet; waiting for it");
      waitingReported_.push_back(w);
    } else if (found && reported) {
      waitingReported_.erase(std::find(waitingReported_.begin(), waitingReported_.end(), w));
    }
  }
  return messages;
}

MM_REALTIME void MidiInputPorts::onMessage(double, std::vector<unsigned char>* message, void* userData) {
  // MIDI callback thread: timestamp, copy three bytes, push. Nothing else.
  auto* port = static_cast<Port*>(userData);
  const size_t n = message->size();
  if (n == 0 || n > 3) return;  // sysex is filtered by ignoreTypes; nothing else is longer
  MidiEvent e;
  e.time = midiNow();
  for (size_t i = 0; i < n; ++i) e.bytes[i] = (*message)[i];
  e.size = static_cast<uint8_t>(n);
  e.port = port->id;
  port->queue->push(e);  // never blocks; a full queue keeps each control's newest value
  if (WakeSignal* w = port->wake.load(std::memory_order_acquire)) w->post();
}

void MidiInputPorts::wakeOnInput(WakeSignal* wake) {
  wake_ = wake;
  for (auto& p : ports_) p->wake.store(wake, std::memory_order_release);
}

void MidiInputPorts::drain(std::vector<MidiEvent>& out) {
  const size_t from = out.size();
  out.insert(out.end(), pending_.begin(), pending_.end());
  pending_.clear();
  for (auto& p : ports_) p->queue->drain(out);
  // Each port's events are in order already; merging ports needs a stable sort by time.
  std::stable_sort(out.begin() + static_cast<long>(from), out.end(),
                   [](const MidiEvent& a, const MidiEvent& b) { return a.time < b.time; });
}

std::vector<std::string> MidiInputPorts::openPorts() const {
  std::vector<std::string> names;
  for (const auto& p : ports_) names.push_back(p->name);
  return names;
}

uint64_t MidiInputPorts::dropped() const {
  uint64_t n = droppedClosed_;
  for (const auto& p : ports_) n += p->queue->dropped();
  return n;
}

}  // namespace mm
