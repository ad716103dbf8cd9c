#include "ControlSetup.h"

#include <iostream>
#include <memory>

#include "LiveMidi.h"
#include "OscServer.h"

namespace mm {

bool attachOsc(Session& session) {
  const Args& args = *session.args;
  if (!args.get("osc-port")) return true;
  const int port = args.getInt("osc-port", 0);
  const std::string bind = args.get("osc-bind", "127.0.0.1");
  auto server = std::make_shared<OscServer>(*session.registry);
  server->wakeOnRequest(&session.controlWake);
  if (const std::string err = server->start(bind, port); !err.empty()) {
    std::cerr << "musicmill perform: " << err << "\n";
    return false;
  }
  session.post("OSC: listening on udp " + server->boundAddress() + " port " + std::to_string(server->port()));
  // Main thread: carry out what the receiver thread queued, and show what it rejected.
  session.onTick.push_back([server, &session] {
    OscRequest requests[32];
    while (const size_t n = server->drainRequests(requests, 32)) {
      for (size_t i = 0; i < n; ++i) {
        const OscRequest& r = requests[i];
        if (r.kind == OscRequest::Navigate) {
          navigateAndSay(session, "OSC", r.action, r.value);
          continue;
        }
        LiveMidi* midi = session.midi;
        const std::string target = r.param >= 0 ? session.registry->spec(r.param).id : actionName(r.action);
        const std::string err = midi ? midi->startLearn(target) : "start with --midi-in or --mapping to learn MIDI controls";
        if (!err.empty()) session.post("OSC learn: " + err);
      }
    }
    std::string errors[16];
    while (const size_t n = server->drainErrors(errors, 16))
      for (size_t i = 0; i < n; ++i) session.post(errors[i]);
  });
  session.onStop.push_back([server] { server->stop(); });
  return true;
}

}  // namespace mm
