// Reading a preset from a parsed TOML table: a whole preset file, or a preset written
// inline in a set-list part. Private to sets/ (exposes toml++).
#pragma once

#include <optional>
#include <string>

#include "PresetFile.h"
#include "TomlRead.h"

namespace mm {

// `where` names the preset in messages ("preset", "song 2 part 1 preset");
// `formatRequired`: a preset file must say format = 1, an inline one inherits its set
// list's. Returns nothing (after reporting) when the preset is unusable.
std::optional<Preset> readPresetTable(const toml::table& t, const TomlSource& src,
                                      const PresetChecks& checks, const std::string& where,
                                      const std::string& defaultName, bool formatRequired);

}  // namespace mm
