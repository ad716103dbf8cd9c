#include "MidiFilePlayer.h"

#include "MappingFile.h"

namespace mm {

MidiFilePlayer::MidiFilePlayer(ParameterRegistry& registry, std::vector<MidiMap> maps, std::vector<MidiEvent> events)
    : mapper_(registry), events_(std::move(events)) {
  mapper_.setMaps(std::move(maps));
  mapper_.onAction = [this](MidiAction, int) { ++actionsIgnored_; };
}

std::unique_ptr<MidiFilePlayer> MidiFilePlayer::load(const std::string& midiPath,
                                                     const std::vector<std::string>& mappingPaths,
                                                     ParameterRegistry& registry, std::string& error) {
  if (mappingPaths.empty()) {
    error = "--midi needs --mapping MAP.toml: the mapping says which control drives which parameter";
    return nullptr;
  }
  LoadReport report;
  std::vector<MidiMap> maps;
  for (const auto& p : mappingPaths)
    if (auto m = loadMappingFile(p, registry, report)) maps.push_back(std::move(*m));
  if (report.errorCount() > 0) {
    error = report.text();
    return nullptr;
  }
  MidiFileData data;
  try {
    data = readMidiFile(midiPath);
  } catch (const MidiFileError& e) {
    error = e.what();
    return nullptr;
  }
  auto player = std::make_unique<MidiFilePlayer>(registry, std::move(maps), std::move(data.events));
  for (const Problem& p : report.problems()) player->warnings_.push_back(p.text());  // warnings only: it loaded
  return player;
}

void MidiFilePlayer::advanceTo(double seconds) {
  while (next_ < events_.size() && events_[next_].time <= seconds) mapper_.handle(events_[next_++]);
  // A lone 14-bit MSB applies 10 ms after it, on the file's clock, exactly as live.
  mapper_.flush(seconds);
}

}  // namespace mm
