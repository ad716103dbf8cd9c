// OscServer: external control over OSC/UDP (another program drives the instrument live).
// Bound to 127.0.0.1 unless told otherwise, so only programs on this machine reach it.
// The address space is documented in mappings/README.md: /musicmill/param/<id> f,
// /musicmill/norm/<id> f, /musicmill/latent f..., /musicmill/get s -> /musicmill/value s f,
// /musicmill/list, navigation (/musicmill/next ...), /musicmill/learn s, /musicmill/ping.
//
// liblo decodes the messages; the socket is our own so that it can be bound to one
// address (liblo 0.31 binds UDP servers to every interface).
//
// Threads: one receiver thread owns the socket. It applies parameter values directly
// (registry atomics, so a get that follows a set sees it), answers queries to the
// sender, and hands navigation and learn requests to the main thread through a lock-free
// FIFO (drainRequests()). A malformed message changes nothing; it is answered with
// /musicmill/error s and its description queued for the main thread (drainErrors()), so
// the receiver thread never touches anything the session owns.
#pragma once

#include <lo/lo.h>

#include <atomic>
#include <string>
#include <thread>

#include "MidiMap.h"
#include "Parameters.h"
#include "Semaphore.h"
#include "SpscFifo.h"

namespace mm {

struct OscRequest {
  enum Kind : uint8_t { Navigate, Learn, Model } kind = Navigate;
  MidiAction action = MidiAction::None;  // Navigate: what; Learn: an action to learn, or None
  int value = 0;                         // song / preset / program / bank number
  int param = -1;                        // Learn: parameter index, or -1 with `action`
  // Model: the playing model's actions (ModelPart): `verb` learn (`name` an attribute,
  // for `seconds` of the input, or from the audio file `file`), reset (`name`), play
  // (`name` a library name or a model file).
  std::string verb, name, file;
  double seconds = 0;
};

class OscServer {
 public:
  explicit OscServer(ParameterRegistry& registry);
  ~OscServer();
  OscServer(const OscServer&) = delete;
  OscServer& operator=(const OscServer&) = delete;

  // Binds UDP `bindAddress`:`port` (port 0: any free port) and starts the receiver.
  // Returns "" or what went wrong (address in use, not an address of this machine, ...).
  std::string start(const std::string& bindAddress, int port);
  void stop();
  int port() const { return port_; }
  const std::string& boundAddress() const { return bound_; }

  // Before start(): posted whenever a request or an error is queued (the control loop's).
  void wakeOnRequest(WakeSignal* wake) { wake_ = wake; }
  // Control thread: requests received since the last call (up to `max`).
  size_t drainRequests(OscRequest* out, size_t max) { return requests_.pop(out, max); }
  // Control thread: why messages were rejected since the last call, one sentence each.
  size_t drainErrors(std::string* out, size_t max) { return errors_.pop(out, max); }
  uint64_t messagesHandled() const { return handled_.load(); }

 private:
  WakeSignal* wake_ = nullptr;
  struct Sender;
  void run();
  void dispatch(char* data, size_t size, const Sender& from, int depth);
  void handle(const char* path, const char* types, lo_arg** argv, int argc, const Sender& from);
  void setParam(const std::string& id, bool normalized, const char* types, lo_arg** argv, int argc,
                const Sender& from);
  void setLatent(bool scale, const char* types, lo_arg** argv, int argc, const Sender& from);
  void reply(const Sender& to, const char* path, lo_message message);
  void reject(const Sender& to, const std::string& text);
  void request(const OscRequest& r, const Sender& from);

  ParameterRegistry& registry_;
  int socket_ = -1;
  int port_ = 0;
  std::string bound_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<uint64_t> handled_{0};
  SingleReaderSingleWriterFifo<OscRequest> requests_{256};
  SingleReaderSingleWriterFifo<std::string> errors_{64};
  void queueError(const std::string& text);
  int dimCount_ = 0;
  // Rate limit for error reports (receiver thread only): a runaway client must not flood
  // the performer's message line.
  double errorWindowStart_ = 0.0;
  int errorsInWindow_ = 0, errorsSuppressed_ = 0;
};

}  // namespace mm
