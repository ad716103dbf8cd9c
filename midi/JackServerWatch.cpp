#include "JackServerWatch.h"

#if defined(MM_HAVE_JACK)
#include <jack/jack.h>
#endif

#include <mutex>
#include <vector>

namespace mm {

void keepForever(void* object) {
  // Reachable from here to the end of the process (not a leak to LeakSanitizer): each
  // entry is a few hundred bytes, one set per JACK server crash.
  static std::mutex mutex;
  static auto* kept = new std::vector<void*>();
  std::lock_guard<std::mutex> lock(mutex);
  kept->push_back(object);
}

#if defined(MM_HAVE_JACK)

JackServerWatch::~JackServerWatch() {
  // A client of a dead server is left as it is: jack_client_close on it crashes.
  if (client_ && !lost()) jack_client_close(static_cast<jack_client_t*>(client_));
}

bool JackServerWatch::open(const std::string& clientName) {
  if (client_ && !lost()) jack_client_close(static_cast<jack_client_t*>(client_));
  client_ = nullptr;
  lost_.store(false);
  jack_status_t status;
  jack_client_t* c = jack_client_open(clientName.c_str(), JackNoStartServer, &status);
  if (!c) return false;
  jack_on_shutdown(c, &JackServerWatch::onShutdown, this);
  if (jack_activate(c) != 0) {
    jack_client_close(c);
    return false;
  }
  client_ = c;
  return true;
}

bool JackServerWatch::serverAnswers() {
  jack_status_t status;
  jack_client_t* c = jack_client_open("musicmill-probe", JackNoStartServer, &status);
  if (!c) return false;
  jack_client_close(c);
  return true;
}

void JackServerWatch::onShutdown(void* self) {
  // libjack's thread: only the flag.
  static_cast<JackServerWatch*>(self)->lost_.store(true, std::memory_order_release);
}

#else  // no JACK in this build: nothing to watch

JackServerWatch::~JackServerWatch() = default;
bool JackServerWatch::open(const std::string&) { return false; }
bool JackServerWatch::serverAnswers() { return false; }
void JackServerWatch::onShutdown(void*) {}

#endif

}  // namespace mm
