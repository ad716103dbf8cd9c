// Fuzzes incoming OSC packets through the real receive path of mappings/OscServer.cpp:
// the server listens on 127.0.0.1 (port chosen by the system), the fuzz input is sent to
// it as one UDP datagram, and OscServer::dispatch decodes it (bundles by hand, messages
// through liblo's lo_message_deserialise) and handles it (parameters, latent vectors,
// navigation, learn, get/list replies). dispatch is private, so the packet goes the way
// a control surface's would; the fuzzer then sends a marker message
// (/musicmill/get "fuzzsync<N>") and waits for the server's error reply naming that
// marker, which proves the fuzz packet was handled and the server thread still answers.
//
// Oracle besides the sanitizers (which see the server thread too): the server answers
// within 6 seconds, every queued error message is non-empty and starts with "OSC: ".
#include <arpa/inet.h>
#include <lo/lo.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "OscServer.h"
#include "Parameters.h"

namespace {

struct Rig {
  std::unique_ptr<mm::ParameterRegistry> registry = mm::makeStandardRegistry(8);
  mm::OscServer server{*registry};
  int fd = -1;
  uint64_t sequence = 0;
  std::vector<char> buffer = std::vector<char>(65536);

  Rig() {
    if (const std::string e = server.start("127.0.0.1", 0); !e.empty()) {
      std::fprintf(stderr, "fuzz_osc: %s\n", e.c_str());
      std::abort();
    }
    fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(server.port()));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
      std::perror("fuzz_osc: socket");
      std::abort();
    }
    int big = 4 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    timeval tv{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  void drain() {
    mm::OscRequest requests[64];
    while (server.drainRequests(requests, 64) > 0) {
    }
    std::string errors[16];
    size_t n;
    while ((n = server.drainErrors(errors, 16)) > 0)
      for (size_t i = 0; i < n; ++i)
        if (errors[i].rfind("OSC: ", 0) != 0 || errors[i].size() <= 5) {
          std::fprintf(stderr, "fuzz_osc: malformed error message '%s'\n", errors[i].c_str());
          std::abort();
        }
  }

  // Sends a marker and reads replies until the server's answer to it arrives. UDP may drop
  // a datagram even on loopback (a full socket buffer after a bundle of /musicmill/list
  // requests), so a lost answer is retried with a fresh marker; three silent tries in a
  // row (6 s) mean the receiver thread hangs or died.
  bool syncOnce() {
    const std::string marker = "fuzzsync" + std::to_string(++sequence);
    lo_message m = lo_message_new();
    lo_message_add_string(m, marker.c_str());
    size_t len = 0;
    void* bytes = lo_message_serialise(m, "/musicmill/get", nullptr, &len);
    lo_message_free(m);
    if (::send(fd, bytes, len, 0) < 0) {
      std::perror("fuzz_osc: send");
      std::abort();
    }
    std::free(bytes);
    const std::string expect = "'" + marker + "'";
    for (;;) {
      const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
      if (n < 0) return false;
      // Replies are small OSC messages; the marker appears verbatim in the error text.
      if (std::string(buffer.data(), static_cast<size_t>(n)).find(expect) != std::string::npos) return true;
    }
  }
  void sync() {
    for (int attempt = 0; attempt < 3; ++attempt)
      if (syncOnce()) return;
    std::fprintf(stderr, "fuzz_osc: the server did not answer for 6 s (hung or dead receiver thread)\n");
    std::abort();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Rig* rig = new Rig();  // never destroyed: the server thread runs until exit
  if (size == 0 || size > 65507) return 0;  // the server never sees empty or oversized datagrams
  if (::send(rig->fd, data, size, 0) < 0) {
    std::perror("fuzz_osc: send");
    std::abort();
  }
  rig->sync();
  rig->drain();
  return 0;
}
