// AtomicFile: every save in the project goes through here (presets, set lists, mappings,
// trigger profiles, reports), so a crash or a full disk never
// leaves half a file: the text goes to a uniquely named temporary file beside the target,
// is flushed to disk (fsync), then renamed over the target, and the folder is synced so
// the rename itself survives a power cut.
//
// Threads: any thread but the audio thread (blocking file I/O).
#pragma once

#include <string>

namespace mm {

// Returns "" on success, else a message naming the file and the reason; on failure the
// previous file at `path` is untouched and no temporary file is left behind.
std::string writeTextAtomically(const std::string& path, const std::string& text);

}  // namespace mm
