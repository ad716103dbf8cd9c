#include "SoakShow.h"

#include "TestSupport.h"

namespace mmtest::soak {

// ---------------------------------------------------------------------------------------
// What the storm plays: every message is bound in the mapping below (plus a few kinds that
// no binding takes, which the mapper must ignore). Program change, bank select (CC 0/32)
// and CC 7 (the end-of-run fence) never appear in the storm.
namespace {
const char* kMapping = R"(format = 1
name = "soak storm"
channel = 1
bank_select = false

[[control]]
cc = 7
param = "mix.dry_wet"
takeover = "jump"

[[control]]
cc = 21
param = "energy"
takeover = "jump"

[[control]]
cc = 22
param = "texture"
takeover = "scale"

[[control]]
cc = 23
param = "chaos"
range = [0.0, 0.6]

[[control]]
cc = 24
param = "lfo.1.rate"
takeover = "jump"
curve = "exponential"

[[control]]
cc = 25
param = "lfo.1.depth"
takeover = "jump"

[[control]]
cc = 26
param = "source.voice"
range = [0.5, 1.0]
takeover = "jump"

[[control]]
cc = 27
param = "style.blend"
takeover = "jump"

[[control]]
cc14 = 1
param = "bpm"
range = [80.0, 160.0]
takeover = "jump"

[[control]]
cc = 16
relative = "twos_complement"
step = 0.01
param = "texture"

[[control]]
pitchbend = true
param = "dim.1"
range = [-1.5, 1.5]

[[control]]
aftertouch = true
param = "source.pattern"
range = [0.0, 0.5]

[[control]]
note = 36
mode = "toggle"
param = "source.prior"

[[control]]
note = 37
velocity = true
param = "hit.amount"
)";
}  // namespace

std::string mappingText() {
  std::string m = kMapping;
  for (int d = 0; d < 8; ++d)
    m += "\n[[control]]\ncc = " + std::to_string(70 + d) + "\nparam = \"dim." + std::to_string(d) +
         "\"\ntakeover = \"jump\"\n\n[[control]]\ncc = " + std::to_string(102 + d) + "\nparam = \"dim." +
         std::to_string(d) + ".scale\"\nrange = [0.5, 1.5]\n";
  // Shelf presets 1..4 (Calm, Balanced, Intense, Chaotic) on notes 60..63, channel 16. The
  // mapping is format 1, which counted presets from 0: its values 0..3 load as 1..4.
  for (int p = 0; p < 4; ++p)
    m += "\n[[control]]\nnote = " + std::to_string(60 + p) + "\nchannel = 16\naction = \"select_preset\"\nvalue = " +
         std::to_string(p) + "\n";
  return m;
}


// One song, four parts, four models: every move from one part to the next is a model switch.
std::string setListText(const std::string& drums) {
  const std::string models[kParts] = {drums, fixture("identity_44k.ts"), fixture("half_44k.ts"),
                                      fixture("v2_48k.ts")};
  const char* params[kParts] = {"energy = 0.6\ntexture = 0.2\n", "energy = 0.41\nchaos = 0.1\n",
                                "energy = 0.8\n\"dim.0\" = 0.5\n", "energy = 0.5\ntexture = 0.5\nchaos = 0.2\n"};
  std::string s = "format = 1\nname = \"Soak\"\nramp_ms = 50.0\ncrossfade_ms = 150.0\n\n[[song]]\nname = \"Soak\"\n";
  for (int p = 0; p < kParts; ++p)
    s += "\n  [[song.part]]\n  name = \"Part " + std::to_string(p + 1) + "\"\n  program = " +
         std::to_string(kFirstProgram + p) + "\n  [song.part.preset]\n  model = \"" + models[p] +
         "\"\n  [song.part.preset.params]\n  " + params[p] + "  \"mix.dry_wet\" = 1.0\n";
  return s;
}

const std::vector<const char*>& oscParams() {
  static const std::vector<const char*> params = {"energy",      "texture",      "chaos",       "hit.amount",  "style.amount",
                            "style.blend", "source.prior", "source.voice", "bpm",         "pattern.slot",
                            "lfo.1.rate",  "lfo.1.depth",  "lfo.1.shape", "lfo.2.rate",  "lfo.2.depth",
                            "dim.0",       "dim.3",        "dim.5",       "dim.7",       "dim.2.scale",
                            "dim.6.scale", "lfo.2.shape"};
  return params;
}

}  // namespace mmtest::soak
