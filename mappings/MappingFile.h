// MappingFile: reads, checks and writes MIDI mapping files (TOML, `format = 2`; the format
// is documented in mappings/README.md). Every problem names the file and the line; unknown
// keys are warned about and ignored; any error rejects the whole file, so a broken edit
// never half-applies (the caller keeps the mapping it had).
//
// Threads: whichever thread loads (the main thread at startup and on reload, the CLI).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "AtomicFile.h"
#include "LoadReport.h"
#include "MidiMap.h"
#include "Parameters.h"

namespace mm {

// Reads `path` and checks it against `registry` (parameter ids and ranges). Bindings to
// latent dimensions this model lacks (dim.N beyond its size) are skipped with a warning,
// so one mapping serves models of different latent sizes.
std::optional<MidiMap> loadMappingFile(const std::string& path, const ParameterRegistry& registry,
                                       LoadReport& report);
// The same for text in memory; `fileName` is used in messages.
std::optional<MidiMap> parseMappingText(const std::string& text, const std::string& fileName,
                                        const ParameterRegistry& registry, LoadReport& report);

// " Did you mean energy, texture?" for a mistyped parameter id ("" when nothing is close):
// ids within a small edit distance, or containing what was typed.
std::string suggestParams(const ParameterRegistry& registry, const std::string& id);

// One `[[control]]` table for `b`, as learn writes it (non-default fields only).
std::string bindingToToml(const MidiBinding& b);

// Adds `b` to the mapping file at `path` (creating it when missing): an earlier binding of
// the same control is replaced, everything else in the file (comments included) is kept. The result is checked by loading it before it is written, and
// written atomically. Returns "" or a message naming the file and what went wrong.
// Whatever the same control drove before is replaced (one control, one target); `notes`
// (when given) says what was replaced and which other controls move the same target.
std::string addBindingToFile(const std::string& path, const MidiBinding& b,
                             const ParameterRegistry& registry, std::string* notes = nullptr);


}  // namespace mm
