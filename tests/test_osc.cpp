// The OSC server over real UDP (loopback): parameters, latent vectors, queries answered to
// the sender, navigation handed to the main thread, and malformed messages refused with a
// clear message and no change.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>

#include "MidiTestSupport.h"
#include "OscServer.h"
#include "TestSupport.h"

using namespace mm;
using namespace mmtest;

namespace {

struct OscRig {
  std::unique_ptr<ParameterRegistry> reg = makeStandardRegistry(4);
  OscServer server{*reg};
  std::unique_ptr<OscProbe> probe;
  OscRig() {
    const std::string err = server.start("127.0.0.1", 0);
    INFO(err);
    REQUIRE(err.empty());
    probe = std::make_unique<OscProbe>(server.port());
  }
  std::vector<std::string> errors() {
    std::vector<std::string> all;
    std::string buf[16];
    while (size_t n = server.drainErrors(buf, 16)) all.insert(all.end(), buf, buf + n);
    return all;
  }
  // Expects `send` to be refused: an /musicmill/error reply containing `part`, the same
  // text queued for the performer, and no parameter changed.
  void expectRefused(const std::function<void()>& send, const std::string& part) {
    std::vector<float> before(static_cast<size_t>(reg->size()));
    reg->snapshot(before.data());
    send();
    auto reply = probe->waitFor("/musicmill/error");
    REQUIRE(reply);
    REQUIRE(!reply->strings.empty());
    INFO(reply->strings[0]);
    CHECK(reply->strings[0].find(part) != std::string::npos);
    const auto errs = errors();
    REQUIRE(errs.size() == 1);
    CHECK(errs[0] == "OSC: " + reply->strings[0]);
    std::vector<float> after(before.size());
    reg->snapshot(after.data());
    CHECK(after == before);
  }
};

}  // namespace

TEST_CASE("OSC listens on 127.0.0.1 only, unless told otherwise", "[osc]") {
  auto reg = makeStandardRegistry(4);
  OscServer s(*reg);
  REQUIRE(s.start("127.0.0.1", 0).empty());
  CHECK(s.boundAddress() == "127.0.0.1");
  CHECK(s.port() > 0);
  OscServer taken(*reg);
  const std::string err = taken.start("127.0.0.1", s.port());
  CHECK(err.find("port " + std::to_string(s.port())) != std::string::npos);
  CHECK(err.find("--osc-port") != std::string::npos);
  OscServer wrong(*reg);
  CHECK(wrong.start("not-an-address.invalid", 0).find("--osc-bind") != std::string::npos);
}

TEST_CASE("OSC sets parameters and answers queries to the sender", "[osc]") {
  OscRig r;
  r.probe->sendFloat("/musicmill/param/energy", 0.7f);
  auto v = r.probe->get("energy");
  REQUIRE(v);
  CHECK(*v == Approx(0.7));
  CHECK(r.reg->getById("energy") == 0.7f);
  // Integers and doubles are numbers too; /norm/ goes along the parameter's curve.
  lo_message m = lo_message_new();
  lo_message_add_int32(m, 150);
  r.probe->send("/musicmill/param/bpm", m);
  CHECK(*r.probe->get("bpm") == 150.0);
  r.probe->sendFloat("/musicmill/norm/lfo.1.rate", 0.5f);
  CHECK(*r.probe->get("lfo.1.rate") == Approx(1.0).epsilon(1e-5));  // sqrt(0.1 * 10)
  r.probe->send("/musicmill/ping", lo_message_new());
  CHECK(r.probe->waitFor("/musicmill/pong"));
  r.probe->send("/musicmill/list", lo_message_new());
  auto end = r.probe->waitFor("/musicmill/list_end");
  REQUIRE(end);
  CHECK(end->numbers[0] == r.reg->size());
  int infos = 0;
  for (const auto& p : r.probe->pending()) infos += p.path == "/musicmill/param_info";
  CHECK(infos == r.reg->size());
  CHECK(r.errors().empty());
}

TEST_CASE("OSC sets a whole latent vector at once", "[osc]") {
  OscRig r;
  lo_message m = lo_message_new();
  for (float f : {0.5f, -1.f, 2.f, 3.f}) lo_message_add_float(m, f);
  r.probe->send("/musicmill/latent", m);
  r.probe->get("dim.0");  // round trip: the vector was handled before the query
  CHECK(r.reg->getById("dim.0") == 0.5f);
  CHECK(r.reg->getById("dim.1") == -1.f);
  CHECK(r.reg->getById("dim.2") == 2.f);
  CHECK(r.reg->getById("dim.3") == 3.f);
  lo_message s = lo_message_new();
  for (float f : {0.f, 2.f}) lo_message_add_float(s, f);
  r.probe->send("/musicmill/latent/scale", s);
  r.probe->get("dim.0");
  CHECK(r.reg->getById("dim.0.scale") == 0.f);
  CHECK(r.reg->getById("dim.1.scale") == 2.f);
  CHECK(r.reg->getById("dim.2.scale") == 1.f);  // untouched
}

TEST_CASE("OSC navigation reaches the main thread in order", "[osc]") {
  OscRig r;
  r.probe->send("/musicmill/next", lo_message_new());
  lo_message song = lo_message_new();
  lo_message_add_int32(song, 3);
  r.probe->send("/musicmill/song", song);
  r.probe->sendFloat("/musicmill/prev", 1.f);   // a control-surface button press
  r.probe->sendFloat("/musicmill/prev", 0.f);   // and its release: no second action
  lo_message learn = lo_message_new();
  lo_message_add_string(learn, "chaos");
  r.probe->send("/musicmill/learn", learn);
  r.probe->send("/musicmill/ping", lo_message_new());
  REQUIRE(r.probe->waitFor("/musicmill/pong"));
  OscRequest q[8];
  const size_t n = r.server.drainRequests(q, 8);
  REQUIRE(n == 4);
  CHECK((q[0].kind == OscRequest::Navigate && q[0].action == MidiAction::NextPart));
  CHECK((q[1].action == MidiAction::GotoSong && q[1].value == 3));
  CHECK(q[2].action == MidiAction::PrevPart);
  CHECK((q[3].kind == OscRequest::Learn && q[3].param == r.reg->indexOf("chaos")));
  CHECK(r.errors().empty());
}

TEST_CASE("malformed OSC messages give a clear message and change nothing", "[osc]") {
  OscRig r;
  r.reg->setById("energy", 0.25f);
  SECTION("unknown parameter") {
    r.expectRefused([&] { r.probe->sendFloat("/musicmill/param/enrgy", 0.5f); },
                    "/musicmill/param/enrgy: there is no parameter 'enrgy'. Did you mean energy?");
  }
  SECTION("NaN") {
    r.expectRefused([&] { r.probe->sendFloat("/musicmill/param/energy", std::nanf("")); }, "is not a value");
  }
  SECTION("a string where a number belongs") {
    r.expectRefused([&] {
      lo_message m = lo_message_new();
      lo_message_add_string(m, "loud");
      r.probe->send("/musicmill/param/energy", m);
    }, "takes a number, not a string");
  }
  SECTION("no argument") {
    r.expectRefused([&] { r.probe->send("/musicmill/param/energy", lo_message_new()); }, "takes one number, got 0");
  }
  SECTION("out of range") {
    r.expectRefused([&] { r.probe->sendFloat("/musicmill/param/bpm", 0.5f); },
                    "0.5 is outside 40 .. 200 BPM; /musicmill/norm/bpm takes 0..1");
  }
  SECTION("a latent vector with one bad value is applied not at all") {
    r.expectRefused([&] {
      lo_message m = lo_message_new();
      for (float f : {1.f, 2.f, 9.f}) lo_message_add_float(m, f);
      r.probe->send("/musicmill/latent", m);
    }, "value 3 (9) is outside -3 .. 3; nothing changed");
  }
  SECTION("a latent vector longer than the model's") {
    r.expectRefused([&] {
      lo_message m = lo_message_new();
      for (int i = 0; i < 6; ++i) lo_message_add_float(m, 0.f);
      r.probe->send("/musicmill/latent", m);
    }, "takes 1..4 numbers (this model has 4 latent dimensions), got 6");
  }
  SECTION("unknown address") {
    r.expectRefused([&] { r.probe->send("/musicmill/jump", lo_message_new()); }, "unknown address /musicmill/jump");
  }
  SECTION("song without a number") {
    r.expectRefused([&] { r.probe->sendFloat("/musicmill/song", 2.5f); }, "/musicmill/song takes one whole number");
  }
  SECTION("get of an unknown id") {
    r.expectRefused([&] {
      lo_message m = lo_message_new();
      lo_message_add_string(m, "nothing");
      r.probe->send("/musicmill/get", m);
    }, "there is no parameter 'nothing'");
  }
  SECTION("a packet that is not OSC") {
    r.expectRefused([&] { r.probe->sendRaw("hello world", 11); }, "not an OSC message");
  }
  OscRequest q[4];
  CHECK(r.server.drainRequests(q, 4) == 0);
  CHECK(r.reg->getById("energy") == 0.25f);
}

TEST_CASE("OSC bundles are unpacked and a flood of bad messages is rate-limited", "[osc]") {
  OscRig r;
  lo_bundle b = lo_bundle_new(LO_TT_IMMEDIATE);
  lo_message a = lo_message_new();
  lo_message_add_float(a, 0.9f);
  lo_message c = lo_message_new();
  lo_message_add_float(c, 0.1f);
  lo_bundle_add_message(b, "/musicmill/param/chaos", a);
  lo_bundle_add_message(b, "/musicmill/param/texture", c);
  size_t len = 0;
  void* data = lo_bundle_serialise(b, nullptr, &len);
  r.probe->sendRaw(data, len);
  std::free(data);
  lo_bundle_free_recursive(b);
  r.probe->waitValue("texture", 0.1, 1e-6);
  CHECK(r.reg->getById("chaos") == 0.9f);
  CHECK(r.reg->getById("texture") == 0.1f);
  for (int i = 0; i < 30; ++i) r.probe->sendFloat("/musicmill/param/nope", 1.f);
  r.probe->send("/musicmill/ping", lo_message_new());
  REQUIRE(r.probe->waitFor("/musicmill/pong"));
  CHECK(r.errors().size() == 10);  // the performer sees ten, not thirty
}

TEST_CASE("the README's oscsend examples reach the instrument (liblo-tools from the set-up)", "[osc]") {
  OscRig r;
  const std::string port = std::to_string(r.server.port());
  auto res = runCommand("oscsend localhost " + port + " /musicmill/param/energy f 0.8");
  INFO(res.output);
  REQUIRE(res.status == 0);  // scripts/setup.sh installs liblo-tools
  REQUIRE(runCommand("oscsend localhost " + port + " /musicmill/preset i 3").status == 0);
  OscRequest q[4];
  size_t n = 0;
  for (int i = 0; i < 200 && (n == 0 || std::fabs(r.reg->get(r.reg->indexOf("energy")) - 0.8f) > 1e-6f); ++i) {
    n += r.server.drainRequests(q + n, 4 - n);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(r.reg->get(r.reg->indexOf("energy")) == Approx(0.8f));
  REQUIRE(n == 1);
  CHECK((q[0].action == MidiAction::SelectPreset && q[0].value == 3));  // preset 3, as on the screen
}
