// MidiFilePlayer: applies a recorded MIDI performance to an offline render through the
// same MidiMapper the live instrument uses. The renderer calls advanceTo(blockStart)
// before every model block; every event at or before that time is applied then, so each
// event takes effect at the first block that starts at or after it — the resolution at
// which the model reads parameters live, too. Set-list actions have no meaning offline
// and are counted, not carried out.
//
// Threads: the rendering thread only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "MidiMapper.h"
#include "StandardMidiFile.h"

namespace mm {

class MidiFilePlayer {
 public:
  // Reads the MIDI file and the mapping files. Returns nullptr with `error` set (every
  // problem, file:line for mappings, byte offset for the MIDI file) when either is bad.
  static std::unique_ptr<MidiFilePlayer> load(const std::string& midiPath,
                                              const std::vector<std::string>& mappingPaths,
                                              ParameterRegistry& registry, std::string& error);

  MidiFilePlayer(ParameterRegistry& registry, std::vector<MidiMap> maps, std::vector<MidiEvent> events);

  // Every CC of the performance also drives the `ccN` modulation sources here.
  void publishControlsTo(ModulationSources* sources) { mapper_.publishControlsTo(sources); }
  void advanceTo(double seconds);
  size_t applied() const { return next_; }
  size_t eventCount() const { return events_.size(); }
  size_t actionsIgnored() const { return actionsIgnored_; }
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  MidiMapper mapper_;
  std::vector<MidiEvent> events_;
  size_t next_ = 0;
  size_t actionsIgnored_ = 0;
  std::vector<std::string> warnings_;
};

}  // namespace mm
