// SetList: the songs of a gig in order, each with one or more parts; each part is a preset
// (from a preset file or written inline). Plain data; the format is in sets/README.md.
//
// Threads: a plain value, built by the loader, then owned by the set-list player on the
// main thread.
#pragma once

#include <optional>
#include <string>
#include <vector>
#include <utility>

#include "LoadReport.h"
#include "Preset.h"

namespace mm {

class ModelLibrary;
class ParameterRegistry;

struct Part {
  std::string name;
  std::string notes;
  // Absolute path of the preset file this part plays; empty when the preset is written
  // inline in the set list.
  std::string presetFile;
  Preset preset;
  std::optional<int> program;    // program change (bank * 128 + program) that jumps here
  std::optional<double> rampMs;  // overrides the preset's and the set list's ramp
  int line = 0;                  // where it starts in the set list (messages; not compared)

  bool operator==(const Part& o) const {
    return name == o.name && notes == o.notes && presetFile == o.presetFile && preset == o.preset &&
           program == o.program && rampMs == o.rampMs;
  }
};

struct Song {
  int number = 0;  // as announced on stage: "jump to song N"; unique in a set list
  std::string name;
  std::string notes;
  std::optional<float> tempo;  // BPM; when set, overrides each part's bpm
  std::optional<int> program;  // program change that jumps to this song's first part
  std::vector<Part> parts;
  int line = 0;  // where it starts in the set list (messages; not compared)

  bool operator==(const Song& o) const {
    return number == o.number && name == o.name && notes == o.notes && tempo == o.tempo &&
           program == o.program && parts == o.parts;
  }
};

struct SetList {
  std::string path;  // absolute path of the file it came from ("" for a new set)
  std::string name;
  std::string notes;
  double rampMs = 50;        // parameter ramp on every switch unless a part/preset says
  double crossfadeMs = 150;  // old model's tail into the new one when the model changes
  std::vector<Song> songs;

  bool operator==(const SetList& o) const {
    return name == o.name && notes == o.notes && rampMs == o.rampMs && crossfadeMs == o.crossfadeMs &&
           songs == o.songs;
  }
  int partCount() const;
  // Every model file the set uses (blend partners too), each once, in the order the set
  // first names them.
  std::vector<std::string> models() const;
  // Every model the set plays, as (model, model_b) with model_b "" when it plays alone,
  // each once, in the order the set first plays them.
  std::vector<std::pair<std::string, std::string>> modelChoices() const;
  int songIndexByNumber(int number) const;  // -1 when there is none
};

constexpr int kSetListFormat = 1;
constexpr float kMinTempo = 40.f, kMaxTempo = 200.f;  // the bpm parameter's range
constexpr int kMaxProgram = 128 * 128 - 1;            // bank * 128 + program

// Reads a set list and every preset file it names. Returns nothing when the file cannot
// be used at all (missing, syntax, wrong format, no playable song); a broken song, part
// or preset is skipped with a message and the rest loads.
// With `models`, a preset's `model` may be a library model's short name.
std::optional<SetList> loadSetList(const std::string& path, LoadReport& report,
                                   const ParameterRegistry* registry = nullptr, const ModelLibrary* models = nullptr);

// The set list as TOML; preset files stay references, inline presets stay inline.
std::string setListToToml(const SetList& set, const std::string& dir);
// Atomic save; "" or a message. Saves only the set-list file, not the preset files.
std::string saveSetList(const std::string& path, const SetList& set);

}  // namespace mm
