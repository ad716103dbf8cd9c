#include "MidiOutputPort.h"

#include <rtmidi/RtMidi.h>

#include <cctype>

namespace mm {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The opened port's name, or "" when no output port has `port` in its name.
std::string openByName(RtMidiOut& out, const std::string& port, const std::string& clientName,
                       const std::string& localName) {
  if (port == "virtual") {
    out.openVirtualPort(localName);
    return clientName + ":" + localName;
  }
  const unsigned n = out.getPortCount();
  for (unsigned i = 0; i < n; ++i) {
    const std::string name = out.getPortName(i);
    if (lower(name).find(lower(port)) != std::string::npos) {
      out.openPort(i, localName);
      return name;
    }
  }
  return "";
}

}  // namespace

MidiOutputPort::~MidiOutputPort() { close(); }

void MidiOutputPort::close() {
  if (watch_ && watch_->lost()) {
    abandon(out_);  // a client of a dead JACK server: never call into it again
    abandon(watch_);
  }
  out_.reset();
  watch_.reset();
}

std::string MidiOutputPort::open(int api, const std::string& clientName, const std::string& port,
                                 const std::string& localName, const std::string& option) {
  close();
  api_ = api;
  clientName_ = clientName;
  port_ = port;
  localName_ = localName;
  option_ = option;
  try {
    auto out = std::make_unique<RtMidiOut>(static_cast<RtMidi::Api>(api), clientName);
    if (out->getCurrentApi() == RtMidi::UNIX_JACK) {
      watch_ = std::make_unique<JackServerWatch>();
      if (!watch_->open(clientName + "-watch")) {
        watch_.reset();
        return option + ": cannot open a JACK MIDI output: no JACK server is running";
      }
    }
    portName_ = openByName(*out, port, clientName, localName);
    if (portName_.empty()) {
      watch_.reset();
      return option + " '" + port + "': no MIDI output port has that in its name (`musicmill devices` lists " +
             "them), or use " + option + " virtual";
    }
    out_ = std::move(out);
    return "";
  } catch (const std::exception& e) {
    watch_.reset();
    return option + ": cannot open MIDI output: " + e.what();
  }
}

std::string MidiOutputPort::reopen() {
  close();
  return open(api_, clientName_, port_, localName_, option_);
}

void MidiOutputPort::send(const unsigned char* message, size_t size) {
  if (!usable()) return;
  out_->sendMessage(message, size);
}

MidiOutputRecovery::Outcome MidiOutputRecovery::poll(bool serverLost, const std::function<std::string()>& reopen,
                                                     Clock::time_point now) {
  if (serverLost && !pending_) {
    pending_ = true;
    lastTry_ = now;  // the first try a second after the loss: a crashed server needs that to restart
    lastError_.clear();
  }
  if (!pending_ || now - lastTry_ < std::chrono::seconds(1)) return {};
  lastTry_ = now;
  if (!JackServerWatch::serverAnswers()) return {};
  Outcome o;
  const std::string err = reopen();
  if (err.empty()) {
    pending_ = false;
    o.reopened = true;
  } else if (err != lastError_) {
    lastError_ = err;
    o.error = err;
  }
  return o;
}

}  // namespace mm
