#include "OscServer.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <vector>

#include "ControlDecoding.h"
#include "MappingFile.h"

namespace mm {

struct OscServer::Sender {
  sockaddr_storage addr{};
  socklen_t len = 0;
};

namespace {
constexpr const char* kPrefix = "/musicmill/";

// One numeric OSC argument as a double: floats, doubles, ints, and True/False.
// liblo's argv points into the packet, where arguments are only 4-byte aligned (OSC pads
// to 4), so 8-byte members of the lo_arg union are read by copying, never through the
// union (a misaligned access, undefined behaviour; found by fuzz/fuzz_osc).
bool numberArg(char type, const lo_arg* a, double& out) {
  const auto read = [a](auto v) {
    std::memcpy(&v, a, sizeof v);
    return v;
  };
  switch (type) {
    case LO_FLOAT: out = read(float{}); return true;
    case LO_DOUBLE: out = read(double{}); return true;
    case LO_INT32: out = read(int32_t{}); return true;
    case LO_INT64: out = static_cast<double>(read(int64_t{})); return true;
    case LO_TRUE: out = 1.0; return true;
    case LO_FALSE: out = 0.0; return true;
    default: return false;
  }
}

// A string argument (LO_STRING or LO_SYMBOL), without going through the union either.
const char* stringArg(const lo_arg* a) { return reinterpret_cast<const char*>(a); }

std::string typeWord(char t) {
  switch (t) {
    case LO_STRING: case LO_SYMBOL: return "a string";
    case LO_BLOB: return "a blob";
    case LO_NIL: return "nil";
    case LO_INFINITUM: return "infinitum";
    default: return std::string("type '") + t + "'";
  }
}

std::string fmt(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

double seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

OscServer::OscServer(ParameterRegistry& registry) : registry_(registry) {
  while (registry_.indexOf("dim." + std::to_string(dimCount_)) >= 0) ++dimCount_;
}

OscServer::~OscServer() { stop(); }

std::string OscServer::start(const std::string& bindAddress, int port) {
  if (port < 0 || port > 65535) return "--osc-port " + std::to_string(port) + ": a UDP port is 0..65535";
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(bindAddress.c_str(), service.c_str(), &hints, &found); rc != 0)
    return "--osc-bind '" + bindAddress + "': not an address of this machine (" + ::gai_strerror(rc) +
           "). Use 127.0.0.1 (this machine only, the default) or 0.0.0.0 (every network).";
  std::string why;
  for (addrinfo* a = found; a && socket_ < 0; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0) {
      socket_ = fd;
    } else {
      why = std::strerror(errno);
      ::close(fd);
    }
  }
  ::freeaddrinfo(found);
  if (socket_ < 0)
    return "OSC: cannot listen on " + bindAddress + " port " + service + " (" + why +
           "). Another program may hold that port: choose another with --osc-port.";
  sockaddr_storage local{};
  socklen_t len = sizeof local;
  ::getsockname(socket_, reinterpret_cast<sockaddr*>(&local), &len);
  char host[NI_MAXHOST], serv[NI_MAXSERV];
  ::getnameinfo(reinterpret_cast<sockaddr*>(&local), len, host, sizeof host, serv, sizeof serv,
                NI_NUMERICHOST | NI_NUMERICSERV);
  bound_ = host;
  port_ = std::atoi(serv);
  running_.store(true);
  thread_ = std::thread([this] { run(); });
  return "";
}

void OscServer::stop() {
  if (running_.exchange(false) && thread_.joinable()) thread_.join();
  if (socket_ >= 0) ::close(socket_);
  socket_ = -1;
}

void OscServer::run() {
  // Receiver thread. The buffer holds the largest UDP datagram; made once.
  std::vector<char> buffer(65536);
  while (running_.load()) {
    pollfd p{socket_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;  // wake up regularly to notice stop()
    Sender from;
    from.len = sizeof from.addr;
    const ssize_t n = ::recvfrom(socket_, buffer.data(), buffer.size(), 0,
                                 reinterpret_cast<sockaddr*>(&from.addr), &from.len);
    if (n <= 0) continue;
    dispatch(buffer.data(), static_cast<size_t>(n), from, 0);
  }
}

void OscServer::dispatch(char* data, size_t size, const Sender& from, int depth) {
  if (size >= 16 && std::memcmp(data, "#bundle", 8) == 0) {
    // Bundle: 8-byte tag, 8-byte time tag (applied at once: a live control has no future),
    // then size-prefixed elements, which may be bundles themselves.
    if (depth > 4) return reject(from, "bundles nested deeper than 4 are refused");
    size_t pos = 16;
    while (pos + 4 <= size) {
      uint32_t len;
      std::memcpy(&len, data + pos, 4);
      len = ntohl(len);
      pos += 4;
      if (len > size - pos) return reject(from, "a bundle element runs past the end of the packet");
      dispatch(data + pos, len, from, depth + 1);
      pos += len;
    }
    return;
  }
  int result = 0;
  lo_message m = lo_message_deserialise(data, size, &result);
  if (!m) return reject(from, "a packet that is not an OSC message (liblo error " + std::to_string(result) + ")");
  handle(data, lo_message_get_types(m), lo_message_get_argv(m), lo_message_get_argc(m), from);
  lo_message_free(m);
  handled_.fetch_add(1);
}

void OscServer::handle(const char* path, const char* types, lo_arg** argv, int argc, const Sender& from) {
  const std::string p = path;
  if (p.rfind(kPrefix, 0) != 0)
    return reject(from, "unknown address " + p + ": every address starts with /musicmill/ (see mappings/README.md)");
  const std::string rest = p.substr(std::strlen(kPrefix));
  if (rest.rfind("param/", 0) == 0) return setParam(rest.substr(6), false, types, argv, argc, from);
  if (rest.rfind("norm/", 0) == 0) return setParam(rest.substr(5), true, types, argv, argc, from);
  if (rest == "latent") return setLatent(false, types, argv, argc, from);
  if (rest == "latent/scale") return setLatent(true, types, argv, argc, from);
  if (rest == "ping") {
    lo_message m = lo_message_new();
    return reply(from, "/musicmill/pong", m);
  }
  if (rest == "get") {
    if (argc != 1 || (types[0] != LO_STRING && types[0] != LO_SYMBOL))
      return reject(from, "/musicmill/get takes one string, the parameter id (e.g. /musicmill/get energy)");
    const std::string id = stringArg(argv[0]);
    const int i = registry_.indexOf(id);
    if (i < 0) return reject(from, "/musicmill/get: there is no parameter '" + id + "' (/musicmill/list lists them)");
    lo_message m = lo_message_new();
    lo_message_add_string(m, id.c_str());
    lo_message_add_float(m, registry_.get(i));
    return reply(from, "/musicmill/value", m);
  }
  if (rest == "list") {
    for (int i = 0; i < registry_.size(); ++i) {
      const ParamSpec& s = registry_.spec(i);
      lo_message m = lo_message_new();
      lo_message_add_string(m, s.id.c_str());
      lo_message_add_float(m, s.min);
      lo_message_add_float(m, s.max);
      lo_message_add_float(m, s.def);
      lo_message_add_float(m, registry_.get(i));
      reply(from, "/musicmill/param_info", m);
    }
    lo_message m = lo_message_new();
    lo_message_add_int32(m, registry_.size());
    return reply(from, "/musicmill/list_end", m);
  }
  if (rest == "learn") {
    if (argc != 1 || (types[0] != LO_STRING && types[0] != LO_SYMBOL))
      return reject(from, "/musicmill/learn takes one string: a parameter id or an action such as next_part");
    const std::string target = stringArg(argv[0]);
    OscRequest r;
    r.kind = OscRequest::Learn;
    r.param = registry_.indexOf(target);
    if (r.param < 0 && (!parseAction(target.c_str(), r.action) || r.action == MidiAction::GotoSong ||
                        r.action == MidiAction::SelectPreset || r.action == MidiAction::ProgramChange ||
                        r.action == MidiAction::BankSelect))
      return reject(from, "/musicmill/learn: '" + target + "' is not a parameter id nor one of next_part, "
                          "prev_part, next_song, prev_song");
    return request(r, from);
  }
  if (rest == "model/learn" || rest == "model/reset" || rest == "model/play") {
    OscRequest r;
    r.kind = OscRequest::Model;
    r.verb = rest.substr(6);
    const bool text0 = argc >= 1 && (types[0] == LO_STRING || types[0] == LO_SYMBOL);
    if (r.verb == "learn") {
      double v = 0;
      if (argc == 2 && text0 && (types[1] == LO_STRING || types[1] == LO_SYMBOL)) {
        r.file = stringArg(argv[1]);
      } else if (argc == 2 && text0 && numberArg(types[1], argv[1], v) && std::isfinite(v) && v > 0 && v <= 60) {
        r.seconds = v;
      } else {
        return reject(from, "/musicmill/model/learn takes an attribute and seconds (0..60) of the input, or an "
                            "attribute and an audio file (e.g. /musicmill/model/learn learn_target 4)");
      }
    } else if (argc != 1 || !text0) {
      return reject(from, p + " takes one string: " +
                              (r.verb == "reset" ? "the attribute to press (e.g. reset_target)" : "a model name or file"));
    }
    r.name = stringArg(argv[0]);
    return request(r, from);
  }
  struct Nav {
    const char* name;
    MidiAction action;
    bool numbered;
  };
  static const Nav navs[] = {{"next", MidiAction::NextPart, false},       {"prev", MidiAction::PrevPart, false},
                             {"next_song", MidiAction::NextSong, false},  {"prev_song", MidiAction::PrevSong, false},
                             {"song", MidiAction::GotoSong, true},        {"preset", MidiAction::SelectPreset, true},
                             {"program", MidiAction::ProgramChange, true}, {"bank", MidiAction::BankSelect, true}};
  for (const Nav& n : navs) {
    if (rest != n.name) continue;
    double v = 0.0;
    if (n.numbered) {
      if (argc != 1 || !numberArg(types[0], argv[0], v) || !std::isfinite(v) || v != std::floor(v) || v < 0 ||
          v > 1e6)
        return reject(from, p + " takes one whole number (e.g. " + p + " 3)");
      return request({OscRequest::Navigate, n.action, static_cast<int>(v), -1, {}, {}, {}, 0}, from);
    }
    // Buttons on control surfaces send 1 on press and 0 on release: act on the press.
    if (argc == 0) return request({OscRequest::Navigate, n.action, 0, -1, {}, {}, {}, 0}, from);
    if (argc == 1 && numberArg(types[0], argv[0], v) && std::isfinite(v)) {
      if (v != 0.0) request({OscRequest::Navigate, n.action, 0, -1, {}, {}, {}, 0}, from);
      return;
    }
    return reject(from, p + " takes no argument (or one number: non-zero acts, 0 is a button release)");
  }
  reject(from, "unknown address " + p + " (see mappings/README.md for the address space)");
}

void OscServer::setParam(const std::string& id, bool normalized, const char* types, lo_arg** argv, int argc,
                         const Sender& from) {
  const std::string addr = std::string(kPrefix) + (normalized ? "norm/" : "param/") + id;
  const int i = registry_.indexOf(id);
  if (i < 0) {
    return reject(from, addr + ": there is no parameter '" + id + "'." + suggestParams(registry_, id) +
                            " /musicmill/list lists every id.");
  }
  double v = 0.0;
  if (argc != 1) return reject(from, addr + " takes one number, got " + std::to_string(argc) + " arguments");
  if (!numberArg(types[0], argv[0], v)) return reject(from, addr + " takes a number, not " + typeWord(types[0]));
  if (!std::isfinite(v)) return reject(from, addr + ": " + fmt(v) + " is not a value; nothing changed");
  const ParamSpec& s = registry_.spec(i);
  if (normalized) {
    if (v < 0.0 || v > 1.0) return reject(from, addr + " takes 0..1 (along the parameter's curve), got " + fmt(v));
    registry_.set(i, registry_.fromNormalized(i, static_cast<float>(v)));
    return;
  }
  if (v < s.min || v > s.max)
    return reject(from, addr + ": " + fmt(v) + " is outside " + fmt(s.min) + " .. " + fmt(s.max) +
                            (s.unit.empty() ? "" : " " + s.unit) + "; /musicmill/norm/" + id + " takes 0..1");
  registry_.set(i, static_cast<float>(v));
}

void OscServer::setLatent(bool scale, const char* types, lo_arg** argv, int argc, const Sender& from) {
  const std::string addr = scale ? "/musicmill/latent/scale" : "/musicmill/latent";
  if (argc == 0 || argc > dimCount_)
    return reject(from, addr + " takes 1.." + std::to_string(dimCount_) + " numbers (this model has " +
                            std::to_string(dimCount_) + " latent dimensions), got " + std::to_string(argc));
  // Check everything first: a vector is applied whole or not at all.
  float values[512];
  if (argc > 512) return reject(from, addr + ": too many values");
  for (int k = 0; k < argc; ++k) {
    double v = 0.0;
    if (!numberArg(types[k], argv[k], v))
      return reject(from, addr + ": value " + std::to_string(k + 1) + " is " + typeWord(types[k]) + ", not a number");
    const int i = registry_.indexOf("dim." + std::to_string(k) + (scale ? ".scale" : ""));
    const ParamSpec& s = registry_.spec(i);
    if (!std::isfinite(v) || v < s.min || v > s.max)
      return reject(from, addr + ": value " + std::to_string(k + 1) + " (" + fmt(v) + ") is outside " + fmt(s.min) +
                              " .. " + fmt(s.max) + "; nothing changed");
    values[k] = static_cast<float>(v);
  }
  for (int k = 0; k < argc; ++k) registry_.set(registry_.indexOf("dim." + std::to_string(k) + (scale ? ".scale" : "")), values[k]);
}

void OscServer::request(const OscRequest& r, const Sender& from) {
  if (requests_.push(&r, 1) == 0) reject(from, "too many navigation requests at once; this one was dropped");
  if (wake_) wake_->post();
}

void OscServer::reply(const Sender& to, const char* path, lo_message m) {
  size_t len = 0;
  void* data = lo_message_serialise(m, path, nullptr, &len);
  if (data) {
    ::sendto(socket_, data, len, 0, reinterpret_cast<const sockaddr*>(&to.addr), to.len);
    std::free(data);
  }
  lo_message_free(m);
}

void OscServer::reject(const Sender& to, const std::string& text) {
  // Queued for the performer before the sender hears back, so that whoever reacts to the
  // reply finds the message already there.
  const double now = seconds();
  if (now - errorWindowStart_ > 1.0) {
    if (errorsSuppressed_ > 0) queueError(std::to_string(errorsSuppressed_) + " more bad messages in the last second");
    errorWindowStart_ = now;
    errorsInWindow_ = errorsSuppressed_ = 0;
  }
  if (++errorsInWindow_ <= 10) queueError(text);
  else ++errorsSuppressed_;
  lo_message m = lo_message_new();
  lo_message_add_string(m, text.c_str());
  reply(to, "/musicmill/error", m);
}

void OscServer::queueError(const std::string& text) {
  const std::string line = "OSC: " + text;
  errors_.push(&line, 1);  // when the control thread is that far behind, dropping is fine
  if (wake_) wake_->post();
}

}  // namespace mm
