#include "StandardMidiFile.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>

namespace mm {

namespace {

constexpr size_t kMaxFileBytes = 64u << 20;  // a performance is kilobytes; this is not one

struct Reader {
  const std::vector<uint8_t>& b;
  const std::string& name;
  size_t pos = 0;

  [[noreturn]] void fail(const std::string& what, size_t at) const {
    throw MidiFileError(name + ": byte " + std::to_string(at) + ": " + what +
                        ". Is this a Standard MIDI File (.mid)? Export the performance as one.");
  }
  void need(size_t n, const char* what) const {
    if (pos + n > b.size()) fail(std::string("the file ends inside ") + what + " (truncated?)", pos);
  }
  uint32_t be(int n, const char* what) {
    need(static_cast<size_t>(n), what);
    uint32_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | b[pos++];
    return v;
  }
  uint32_t varLen(size_t end) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      if (pos >= end) fail("a variable-length number runs past its track", pos);
      const uint8_t c = b[pos++];
      v = (v << 7) | (c & 0x7F);
      if (!(c & 0x80)) return v;
    }
    fail("a variable-length number is longer than 4 bytes", pos);
  }
};

struct TickEvent {
  uint64_t tick;
  int track;
  size_t order;
  bool tempo;
  uint32_t microsPerQuarter;
  MidiEvent e;
};

void readTrack(Reader& r, size_t end, int track, std::vector<TickEvent>& out) {
  uint64_t tick = 0;
  uint8_t running = 0;
  while (r.pos < end) {
    tick += r.varLen(end);
    if (r.pos >= end) r.fail("a track ends after a delta time, before its event", r.pos);
    uint8_t status = r.b[r.pos];
    if (status >= 0x80) {
      ++r.pos;
    } else {
      if (running == 0) r.fail("a data byte with no status before it (running status unset)", r.pos);
      status = running;
    }
    if (status == 0xFF) {  // meta event
      running = 0;
      if (r.pos >= end) r.fail("a meta event is cut short", r.pos);
      const uint8_t type = r.b[r.pos++];
      const uint32_t len = r.varLen(end);
      if (r.pos + len > end) r.fail("a meta event runs past its track", r.pos);
      if (type == 0x51 && len == 3) {
        const uint32_t us = (uint32_t(r.b[r.pos]) << 16) | (uint32_t(r.b[r.pos + 1]) << 8) | r.b[r.pos + 2];
        if (us == 0) r.fail("a tempo of 0 microseconds per quarter note", r.pos);
        out.push_back({tick, track, out.size(), true, us, {}});
      }
      r.pos += len;
      if (type == 0x2F) {  // end of track
        r.pos = end;
        return;
      }
      continue;
    }
    if (status == 0xF0 || status == 0xF7) {  // sysex: skipped
      running = 0;
      const uint32_t len = r.varLen(end);
      if (r.pos + len > end) r.fail("a system-exclusive event runs past its track", r.pos);
      r.pos += len;
      continue;
    }
    const int data = midiDataBytes(status);
    if (data < 0 || status >= 0xF0) r.fail("status byte " + std::to_string(status) + " is not allowed in a MIDI file", r.pos - 1);
    if (r.pos + static_cast<size_t>(data) > end) r.fail("a MIDI message is cut short", r.pos);
    running = status;
    MidiEvent e;
    e.bytes[0] = status;
    for (int i = 0; i < data; ++i) {
      if (r.b[r.pos] & 0x80) r.fail("a data byte has its top bit set", r.pos);
      e.bytes[1 + i] = r.b[r.pos++];
    }
    e.size = static_cast<uint8_t>(1 + data);
    e.port = static_cast<uint16_t>(track);
    out.push_back({tick, track, out.size(), false, 0, e});
  }
}

}  // namespace

MidiFileData parseMidiFile(const std::vector<uint8_t>& bytes, const std::string& name) {
  Reader r{bytes, name};
  if (bytes.size() < 14 || std::string(bytes.begin(), bytes.begin() + 4) != "MThd")
    r.fail("it does not start with a MIDI header (\"MThd\")", 0);
  r.pos = 4;
  const uint32_t headerLen = r.be(4, "the header");
  if (headerLen < 6) r.fail("the header is shorter than 6 bytes", 4);
  MidiFileData out;
  out.format = static_cast<int>(r.be(2, "the header"));
  const int declaredTracks = static_cast<int>(r.be(2, "the header"));
  out.division = static_cast<int>(r.be(2, "the header"));
  if (out.format > 2) r.fail("format " + std::to_string(out.format) + " is not a MIDI file format (0, 1 or 2)", 8);
  if (out.division == 0) r.fail("a time division of 0 ticks", 12);
  r.pos = 8 + headerLen;

  std::vector<TickEvent> all;
  while (r.pos + 8 <= bytes.size()) {
    const size_t chunkAt = r.pos;
    const std::string id(bytes.begin() + static_cast<long>(r.pos), bytes.begin() + static_cast<long>(r.pos) + 4);
    r.pos += 4;
    const uint32_t len = r.be(4, "a chunk header");
    if (r.pos + len > bytes.size()) r.fail("chunk \"" + id + "\" runs past the end of the file (truncated?)", chunkAt);
    const size_t end = r.pos + len;
    if (id == "MTrk") readTrack(r, end, out.tracks++, all);
    r.pos = end;  // unknown chunks are skipped, as the standard says
  }
  if (out.tracks == 0) r.fail("no track (\"MTrk\") in the file", 14);
  (void)declaredTracks;  // some writers get this wrong; the chunks are what counts

  // Ticks -> seconds through the tempo map. Format 2 tracks are independent sequences;
  // playing them together is the best a performance can mean, so all share the map.
  std::stable_sort(all.begin(), all.end(), [](const TickEvent& a, const TickEvent& b) {
    if (a.tick != b.tick) return a.tick < b.tick;
    if (a.tempo != b.tempo) return a.tempo;  // a tempo change applies from its own tick
    return a.track != b.track ? a.track < b.track : a.order < b.order;
  });
  const bool smpte = out.division & 0x8000;
  double secondsPerTick = 0.5 / out.division;  // 120 BPM until a tempo event says otherwise
  if (smpte) {
    const int fps = -static_cast<int8_t>(out.division >> 8);
    const int perFrame = out.division & 0xFF;
    if (fps <= 0 || perFrame == 0) r.fail("an invalid SMPTE time division", 12);
    secondsPerTick = 1.0 / ((fps == 29 ? 29.97 : fps) * perFrame);
  }
  uint64_t lastTick = 0;
  double seconds = 0.0;
  for (const TickEvent& t : all) {
    seconds += static_cast<double>(t.tick - lastTick) * secondsPerTick;
    lastTick = t.tick;
    if (t.tempo) {
      if (!smpte) secondsPerTick = t.microsPerQuarter * 1e-6 / out.division;
      continue;
    }
    MidiEvent e = t.e;
    e.time = seconds;
    out.events.push_back(e);
  }
  out.duration = seconds;
  return out;
}

MidiFileData readMidiFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw MidiFileError(path + ": cannot open the MIDI file (missing, or no permission)");
  f.seekg(0, std::ios::end);
  const auto size = f.tellg();
  if (size < 0 || static_cast<size_t>(size) > kMaxFileBytes)
    throw MidiFileError(path + ": larger than 64 MiB; not a recorded performance");
  f.seekg(0);
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  f.read(reinterpret_cast<char*>(bytes.data()), size);
  return parseMidiFile(bytes, path);
}

std::vector<uint8_t> midiFileBytes(std::vector<MidiEvent> events) {
  constexpr int kPpq = 960;
  constexpr double kTicksPerSecond = kPpq * 2.0;  // 120 BPM: two beats a second
  std::stable_sort(events.begin(), events.end(), [](const MidiEvent& a, const MidiEvent& b) { return a.time < b.time; });
  std::vector<uint8_t> track;
  auto varLen = [&](uint32_t v) {
    uint8_t buf[5];
    int n = 0;
    buf[n++] = v & 0x7F;
    while (v >>= 7) buf[n++] = static_cast<uint8_t>((v & 0x7F) | 0x80);
    while (n) track.push_back(buf[--n]);
  };
  varLen(0);
  for (uint8_t b : {0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20}) track.push_back(b);  // 500000 us a beat
  uint32_t last = 0;
  for (const MidiEvent& e : events) {
    if (!e.isChannelMessage() || e.size < 2) continue;
    const uint32_t tick = static_cast<uint32_t>(std::llround(std::max(0.0, e.time) * kTicksPerSecond));
    varLen(tick - std::min(tick, last));
    last = std::max(tick, last);
    track.insert(track.end(), e.bytes, e.bytes + e.size);
  }
  varLen(0);
  for (uint8_t b : {0xFF, 0x2F, 0x00}) track.push_back(b);
  std::vector<uint8_t> f = {'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 0, 0, 1, kPpq >> 8, kPpq & 0xFF, 'M', 'T', 'r', 'k'};
  const uint32_t n = static_cast<uint32_t>(track.size());
  for (int shift : {24, 16, 8, 0}) f.push_back(static_cast<uint8_t>(n >> shift));
  f.insert(f.end(), track.begin(), track.end());
  return f;
}

}  // namespace mm
