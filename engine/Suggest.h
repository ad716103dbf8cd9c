// Suggest: "did you mean ...?" for a mistyped name (an option, a parameter id, a command).
//
// Threads: pure functions; any thread but the audio callback (they allocate).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace mm {

// Levenshtein distance (insertions, deletions, substitutions each cost 1).
size_t editDistance(const std::string& a, const std::string& b);

// The candidates close to `typed`, closest first, at most `max`: within an edit distance of
// max(2, typed.size() / 3), or (for 3 characters or more) containing what was typed.
std::vector<std::string> closeMatches(const std::string& typed, const std::vector<std::string>& candidates,
                                      size_t max = 3);

}  // namespace mm
