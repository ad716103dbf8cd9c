// JackServerWatch: whether the JACK server our JACK MIDI ports live in is still there.
//
// RtMidi's JACK clients do not notice their server dying, and every later call into such a
// client (closing a port, closing the client) crashes inside libjack; a full output buffer
// makes RtMidi's sendMessage spin for ever. So each owner of JACK MIDI ports keeps one of
// these beside them: a tiny client with no ports whose shutdown callback (libjack's
// thread) sets a flag. Once lost() is true, the owner abandons its RtMidi objects
// (never destroys them: a small leak per server crash instead of a crash) and opens
// fresh ones when a server is back. A server that stopped and started again between two
// looks is still seen: the flag stays set until the owner opens a new watch.
//
// Threads: open/close on the owner's thread; lost() from any thread. Without JACK
// support in this build it does nothing and lost() is always false.
#pragma once

#include <atomic>
#include <memory>
#include <string>

namespace mm {

class JackServerWatch {
 public:
  JackServerWatch() = default;
  ~JackServerWatch();
  JackServerWatch(const JackServerWatch&) = delete;
  JackServerWatch& operator=(const JackServerWatch&) = delete;

  // Connects to the running server (never starts one). False when there is none.
  bool open(const std::string& clientName);
  bool isOpen() const { return client_ != nullptr; }
  // The server went away (stopped, crashed or killed) since open().
  bool lost() const { return lost_.load(std::memory_order_acquire); }
  // A JACK server answers a new client now (a probe client, opened and closed: a few ms).
  static bool serverAnswers();

 private:
  static void onShutdown(void* self);
  void* client_ = nullptr;  // jack_client_t*
  std::atomic<bool> lost_{false};
};

// Keeps an RtMidi object of a dead JACK server (or anything that must not be destroyed)
// for the rest of the process instead of destroying it. Any thread; not the audio thread.
void keepForever(void* object);
template <typename T>
void abandon(std::unique_ptr<T>& p) {
  if (p) keepForever(p.release());
}

}  // namespace mm
