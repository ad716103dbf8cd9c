// What the soak's storm plays: the MIDI mapping every storm message is bound in, the set
// list whose every part change is a model switch, and the parameters OSC moves at random.
// Test and bench code (tests/SoakDriver.h runs it).
#pragma once

#include <string>
#include <vector>

namespace mmtest::soak {

constexpr int kParts = 4;          // parts of the one song, each on its own model
constexpr int kFirstProgram = 10;  // program change of part 1 (parts follow)

// The mapping (format 1): every storm message bound, plus dims, weights and shelf presets.
std::string mappingText();
// One song, four parts, four models (`drums` first).
std::string setListText(const std::string& drums);
// Parameters the OSC side changes at random (normalized): none of the level/gate controls,
// so that the output stays audible and the silence check means something.
const std::vector<const char*>& oscParams();

}  // namespace mmtest::soak
