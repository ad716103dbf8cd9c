// The body of a preset as TOML text, shared by the preset writer and the set-list writer
// (which writes inline presets). Private to sets/.
#pragma once

#include <sstream>
#include <string>

#include "Preset.h"

namespace mm {

void writePresetBody(std::ostringstream& out, const Preset& preset, const std::string& dir,
                     const std::string& sectionPrefix);

}  // namespace mm
