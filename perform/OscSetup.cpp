#include "ControlSetup.h"
#include "ModelSetup.h"

#include <iostream>
#include <memory>

#include "LiveMidi.h"
#include "OscServer.h"

namespace mm {

OscPart::OscPart() = default;
OscPart::~OscPart() = default;

// Control thread: carry out what the receiver thread queued, and show what it rejected.
void OscPart::tick() {
  OscRequest requests[32];
  while (const size_t n = server_->drainRequests(requests, 32)) {
    for (size_t i = 0; i < n; ++i) {
      const OscRequest& r = requests[i];
      if (r.kind == OscRequest::Navigate) {
        navigateAndSay(*app_, "OSC", r.action, r.value);
        continue;
      }
      if (r.kind == OscRequest::Model) {
        const std::string err = r.verb == "play"    ? app_->model->play(r.name)
                                : r.verb == "reset" ? app_->model->reset(r.name)
                                : r.file.empty()    ? app_->model->learnFromInput(r.name, r.seconds)
                                                    : app_->model->learnFromFile(r.name, r.file);
        if (!err.empty()) app_->post("OSC /musicmill/model/" + r.verb + ": " + err);
        continue;
      }
      const std::string target = r.param >= 0 ? app_->registry->spec(r.param).id : actionName(r.action);
      const std::string err = app_->midi ? app_->midi->live().startLearn(target)
                                         : "start with --midi-in or --mapping to learn MIDI controls";
      if (!err.empty()) app_->post("OSC learn: " + err);
    }
  }
  std::string errors[16];
  while (const size_t n = server_->drainErrors(errors, 16))
    for (size_t i = 0; i < n; ++i) app_->post(errors[i]);
}

void OscPart::stop() { server_->stop(); }

bool attachOsc(App& app) {
  const Args& args = *app.args;
  if (!args.get("osc-port")) return true;
  const int port = args.getInt("osc-port", 0);
  const std::string bind = args.get("osc-bind", "127.0.0.1");
  auto part = std::make_unique<OscPart>();
  part->app_ = &app;
  part->server_ = std::make_unique<OscServer>(*app.registry);
  part->server_->wakeOnRequest(&app.controlWake);
  if (const std::string err = part->server_->start(bind, port); !err.empty()) {
    std::cerr << "musicmill perform: " << err << "\n";
    return false;
  }
  app.post("OSC: listening on udp " + part->server_->boundAddress() + " port " + std::to_string(part->server_->port()));
  app.osc = std::move(part);
  return true;
}

}  // namespace mm
