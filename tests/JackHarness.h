// Test-only JACK plumbing: a private dummy-backend server per test, a client that plays a
// signal into the instrument's inputs and records its outputs sample-aligned, and a
// launcher for the real musicmill binary.
#pragma once

#include <jack/jack.h>
#include <jack/midiport.h>
#include <sys/types.h>

#include <atomic>
#include <string>
#include <vector>

namespace mmtest {

// Starts `jackd -n NAME -r -d dummy -r RATE -p PERIOD` and points JACK_DEFAULT_SERVER at it.
class JackServer {
 public:
  JackServer(int rate, int period);
  ~JackServer();
  bool ok() const { return ok_; }
  const std::string& name() const { return name_; }
  std::string log() const;
  // Fault injection: kill -9 the server (as a crash would), then start it again under the
  // same name, rate and period. restart() returns whether it answers again.
  void kill9();
  bool restart();

 private:
  void launch();
  pid_t pid_ = -1;
  bool ok_ = false;
  int rate_ = 0, period_ = 0;
  std::string name_, logPath_;
};

class JackTestClient {
 public:
  // With `midiOut` it also has a MIDI output port "midi_out" (see playMidi).
  JackTestClient(const std::string& name, int outPorts, int inPorts, double maxSeconds, bool midiOut = false);
  ~JackTestClient();
  bool ok() const { return client_ != nullptr; }
  int rate() const;
  int bufferSize() const;
  // Connects our output `port` to `dest` (e.g. "musicmill:inport 0"), and `src` to input `port`.
  bool connectOut(int port, const std::string& dest);
  bool connectIn(const std::string& src, int port);
  // Plays `signal` on output `port` from the next cycle and records every input from the
  // same cycle, so recorded[k] lines up with signal[k].
  void play(int port, const std::vector<float>& signal);
  // MIDI sent with the next play(), each message at its sample of the signal (sorted by
  // frame; 1-3 bytes each), written into the cycle where that sample plays.
  struct MidiAt {
    long frame;
    std::vector<unsigned char> bytes;
  };
  void setMidi(std::vector<MidiAt> events) { midi_ = std::move(events); }
  bool finished() const;  // played everything and recorded as long as asked
  void waitFinished(double timeoutSeconds) const;
  std::vector<float> recorded(int port) const;
  uint64_t cycles() const { return cycles_.load(); }
  uint64_t xruns() const { return xruns_.load(); }
  static bool portExists(const std::string& name);

 private:
  static int process(jack_nframes_t n, void* self);
  static int onXrun(void* self);
  std::atomic<uint64_t> xruns_{0};
  jack_client_t* client_ = nullptr;
  std::vector<jack_port_t*> outs_, ins_;
  jack_port_t* midiOut_ = nullptr;
  std::vector<MidiAt> midi_;
  size_t midiNext_ = 0;  // process thread's, reset by play()
  std::vector<std::vector<float>> signals_, rec_;
  std::atomic<long> recordLength_{0};
  std::atomic<long> pos_{-1};
  std::atomic<uint64_t> cycles_{0};
};

// Runs build/musicmill with `args` in the background; stop() sends SIGINT and waits.
class MusicmillProcess {
 public:
  explicit MusicmillProcess(const std::string& args);
  ~MusicmillProcess();
  // Waits until its JACK ports exist (or it exited). Returns false on timeout/exit.
  bool waitForPorts(double timeoutSeconds);
  int stop();  // exit status
  std::string output() const;

 private:
  pid_t pid_ = -1;
  std::string logPath_;
  int status_ = -1;
};

// How many xruns the current JACK server has on its own (one idle client, `seconds`
// long). A dummy server that xruns with nothing attached means the machine is too busy
// for timing assertions to say anything about the instrument.
uint64_t serverOwnXruns(double seconds);

// Reads a number from a flat JSON report ("key":number); NaN when missing.
double jsonNumber(const std::string& json, const std::string& key);
std::string readFile(const std::string& path);

}  // namespace mmtest
