// Reading and writing preset files (format 1, sets/README.md).
//
// Threads: any thread but the audio thread (files and allocation); normally the main or
// loader thread before the show, and the main thread for saves.
#pragma once

#include <optional>
#include <string>

#include "LoadReport.h"
#include "Preset.h"

namespace mm {

class ModelLibrary;
class ParameterRegistry;

// What a loader checks beyond the file's own rules. With a registry, parameter ids are
// checked (unknown: warning) and values must lie in each parameter's range (else the
// value is dropped with an error). Model, style-anchor and mapping files must exist.
struct PresetChecks {
  const ParameterRegistry* registry = nullptr;
  // With a library, a `model` that is no file may be a library model's short name.
  const ModelLibrary* models = nullptr;
};

// Reads a preset file. Returns nothing when the preset cannot be used (missing file,
// syntax, wrong format, missing model file, ...); smaller problems drop the offending
// value, route or slot and are reported; the rest of the preset loads.
std::optional<Preset> loadPreset(const std::string& path, LoadReport& report,
                                 const PresetChecks& checks = {});

// The TOML text of a preset, with paths written relative to `dir` (the folder of the
// file it goes into) when they are near it, else absolute.
std::string presetToToml(const Preset& preset, const std::string& dir);

// Writes atomically (temp file, fsync, rename). Returns "" or a message naming the file
// and what went wrong; the previous file is untouched on failure.
std::string savePreset(const std::string& path, const Preset& preset);

}  // namespace mm
