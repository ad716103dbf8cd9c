#!/usr/bin/env python3
"""Writes the seed corpus in fuzz/corpus/ (run from anywhere; rerun after format changes).

Text seeds are copies of the project's own files (set lists, presets, mappings) plus a
few near-valid variants that each break one rule; binary seeds (OSC packets, Standard
MIDI files) are built here, byte by byte.
"""
import pathlib
import shutil
import struct

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"


def put(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def copy(target, paths):
    for p in paths:
        put(target, p.name, p.read_bytes())


# --- set lists --------------------------------------------------------------------------
copy("setlist", [ROOT / "sets/examples/demo_gig.toml"])
put("setlist", "inline_only.toml", """format = 1
name = "Inline"
ramp_ms = 10.0
crossfade_ms = 0.0

[[song]]
number = 3
name = "One"
tempo = 120.0
program = 4

  [[song.part]]
  name = "A"
  program = 5
  ramp_ms = 5.0
  [song.part.preset]
  model = "../../models/musicmill_drums.ts"
  [song.part.preset.params]
  energy = 0.5
  "dim.1" = 0.25
  [[song.part.preset.pattern]]
  slot = 0
  frames = [[0.1, 0.2], [0.3, 0.4]]
  [[song.part.preset.modulation]]
  source = "lfo.1"
  target = "energy"
  depth = 0.5
  polarity = "bipolar"
  curve = "s-curve"

  [[song.part]]
  preset = "presets/build.toml"
""")
put("setlist", "broken_rules.toml", """format = 1
[[song]]
number = 1
name = "Twice"
[[song.part]]
preset = "presets/missing.toml"
[[song]]
number = 1
name = "Twice"
tempo = "fast"
[[song.part]]
preset = 7
[[song]]
[[song.part]]
name = "no preset"
""")
put("setlist", "wrong_format.toml", "format = 2\nname = 'x'\n[[song]]\n")
put("setlist", "syntax.toml", "format = 1\n[[song]\nname = \"x\n")

# --- presets ----------------------------------------------------------------------------
copy("preset", sorted((ROOT / "sets/presets").glob("*.toml")))
copy("preset", sorted((ROOT / "sets/examples/presets").glob("*.toml")))
put("preset", "full.toml", """format = 1
name = "Full \\"quoted\\" \\u00e9"
notes = "line\\nline"
model = "../../../models/musicmill_drums.ts"
ramp_ms = 30.0
mapping = "nope.toml"

[params]
energy = 0.8
dim.0 = -1.5
lfo.1.rate = 2.0
bpm = 123.5

[style]
anchor_a = "../../../audio/a.wav"
anchor_b = "missing.wav"

[[pattern]]
slot = 1
dims = 2
frames = [[0.1, -0.4], [0.5, 0.5], [1e3, -1e3]]

[[pattern]]
slot = 1
frames = [[1, 2, 3]]

[[modulation]]
source = "voice.energy"
target = "chaos"
depth = -0.5
polarity = "unipolar"
curve = "exponential"
smoothing_ms = 20

[[modulation]]
source = ""
target = "nothing"
depth = 2
""")
put("preset", "bad_values.toml", """format = 1
ramp_ms = -1
[params]
energy = nan
chaos = inf
texture = "x"
[style]
anchor_a = 3
pattern = 1
""")

# --- MIDI mappings ----------------------------------------------------------------------
copy("mapping", sorted((ROOT / "mappings/maps").glob("*.toml")))
put("mapping", "every_key.toml", """format = 1
name = "every key"
description = "one of each"
port = "Fuzz"
channel = "any"
program_change = true
bank_select = false
program_channel = 16

[[control]]
cc = 74
param = "energy"
range = [0.2, 0.8]
invert = true
curve = "s_curve"
takeover = "pickup"

[[control]]
cc14 = 1
param = "chaos"
channel = 3

[[control]]
cc = 16
relative = "twos_complement"
step = 0.05
param = "texture"

[[control]]
note = 36
mode = "trigger"
param = "dim.0"
value = 1.0
velocity = true

[[control]]
note = 40
action = "goto_song"
value = 2

[[control]]
pitchbend = true
param = "dim.1"

[[control]]
aftertouch = true
param = "dim.40"
""")
put("mapping", "broken.toml", """format = 2
[[control]]
cc = 200
note = 3
param = "energi"
action = "explode"
[control]
""")

# --- trigger profiles -------------------------------------------------------------------
FEATURES = 12 + 9 + 6 + 2
row = ", ".join("%.3g" % (0.1 * (i % 7) - 0.2) for i in range(FEATURES))
put("trigger_profile", "profile.toml", f"""format = 1
feature_set = "mm-trigger-1"
sample_rate = 48000
feature_names = ["mfcc1"]

[settings]
listen_ms = 12
pre_ms = 2
onset_method = "specflux"
hop = 64
window = 256
onset_threshold = 0.3
silence_db = -60
min_gap_ms = 90
k = 3
reject_distance = 0
velocity_floor_db = -50
velocity_ceil_db = -6
note_length_ms = 60
midi_channel = 10

[[class]]
name = "kick"
note = 36
examples = [
  [{row}],
  [{row}],
]

[[class]]
name = "snare"
examples = []

[[class]]
name = "hihat"
note = 42
examples = [[{row}]]
""")
put("trigger_profile", "starter.toml", 'format = 1\nfeature_set = "mm-trigger-1"\n[[class]]\nname = "kick"\n'
    '[[class]]\nname = "snare"\n[[class]]\nname = "hihat"\n')
put("trigger_profile", "broken.toml", 'format = 9\nfeature_set = "old"\n[settings]\nhop = 1\nk = "x"\nwhat = 1\n'
    '[[class]]\nnote = 300\nexamples = [[1, 2]]\n[[class]]\nname = "a"\n[[class]]\nname = "a"\n')

# --- OSC packets ------------------------------------------------------------------------


def osc_str(s):
    b = s.encode() + b"\0"
    return b + b"\0" * (-len(b) % 4)


def osc(address, *args):
    tags, payload = ",", b""
    for a in args:
        if isinstance(a, bool):
            tags += "T" if a else "F"
        elif isinstance(a, int):
            tags += "i"
            payload += struct.pack(">i", a)
        elif isinstance(a, float):
            tags += "f"
            payload += struct.pack(">f", a)
        elif isinstance(a, str):
            tags += "s"
            payload += osc_str(a)
        elif isinstance(a, tuple) and a[0] == "d":
            tags += "d"
            payload += struct.pack(">d", a[1])
        elif isinstance(a, tuple) and a[0] == "h":
            tags += "h"
            payload += struct.pack(">q", a[1])
        elif isinstance(a, bytes):
            tags += "b"
            payload += struct.pack(">i", len(a)) + a + b"\0" * (-len(a) % 4)
    return osc_str(address) + osc_str(tags) + payload


def bundle(*elements):
    out = osc_str("#bundle") + struct.pack(">Q", 1)
    for e in elements:
        out += struct.pack(">i", len(e)) + e
    return out


packets = {
    "param_energy": osc("/musicmill/param/energy", 0.5),
    "param_double": osc("/musicmill/param/chaos", ("d", 0.25)),
    "param_out_of_range": osc("/musicmill/param/energy", 99.0),
    "param_unknown": osc("/musicmill/param/energi", 0.5),
    "param_string": osc("/musicmill/param/energy", "loud"),
    "norm_texture": osc("/musicmill/norm/texture", 0.75),
    "latent": osc("/musicmill/latent", 0.1, -0.2, 0.3),
    "latent_scale": osc("/musicmill/latent/scale", 1.0, 1.5),
    "latent_too_many": osc("/musicmill/latent", *([0.0] * 9)),
    "next": osc("/musicmill/next"),
    "prev_press": osc("/musicmill/prev", 1),
    "next_song_release": osc("/musicmill/next_song", False),
    "song": osc("/musicmill/song", 3),
    "preset_int64": osc("/musicmill/preset", ("h", 2)),
    "program_bad": osc("/musicmill/program", 1.5),
    "bank": osc("/musicmill/bank", 1),
    "learn_param": osc("/musicmill/learn", "energy"),
    "learn_action": osc("/musicmill/learn", "next_part"),
    "get": osc("/musicmill/get", "energy"),
    "list": osc("/musicmill/list"),
    "ping": osc("/musicmill/ping"),
    "blob": osc("/musicmill/param/energy", b"\x01\x02\x03"),
    "other_prefix": osc("/other/thing", 1),
    "bundle": bundle(osc("/musicmill/param/energy", 0.1), osc("/musicmill/next")),
    "bundle_nested": bundle(bundle(bundle(osc("/musicmill/ping"))), osc("/musicmill/latent", 0.5)),
    "bundle_truncated": bundle(osc("/musicmill/ping"))[:-3],
}
for name, data in packets.items():
    put("osc", name + ".osc", data)

# --- Standard MIDI files ----------------------------------------------------------------


def vlq(n):
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.insert(0, 0x80 | (n & 0x7F))
        n >>= 7
    return bytes(out)


def track(events):
    body = b"".join(vlq(dt) + ev for dt, ev in events)
    return b"MTrk" + struct.pack(">I", len(body)) + body


def smf(fmt, division, *tracks):
    return b"MThd" + struct.pack(">IHHH", 6, fmt, len(tracks), division) + b"".join(tracks)


EOT = (0, b"\xff\x2f\x00")
TEMPO = (0, b"\xff\x51\x03\x07\xa1\x20")  # 500000 us per quarter
put("midi_file", "format0.mid", smf(0, 96, track([TEMPO, (0, b"\x99\x24\x64"), (48, b"\x89\x24\x00"),
                                                   (0, b"\xb0\x4a\x40"), (10, b"\x4a\x50"),  # running status
                                                   (0, b"\xe0\x00\x40"), (0, b"\xc0\x05"), EOT])))
put("midi_file", "format1.mid", smf(1, 480, track([TEMPO, (960, b"\xff\x51\x03\x0f\x42\x40"), EOT]),
                                    track([(0, b"\x90\x3c\x7f"), (480, b"\x80\x3c\x00"),
                                           (0, b"\xf0\x03\x7e\x7f\xf7"), (0, b"\xff\x01\x04text"), EOT])))
put("midi_file", "smpte.mid", smf(0, 0xE728, track([(0, b"\x90\x24\x40"), (40, b"\x90\x24\x00"), EOT])))
put("midi_file", "unknown_chunk.mid", smf(2, 96, track([(0, b"\xd0\x30"), EOT]))[:14] + b"XFIH\x00\x00\x00\x02ab"
    + track([(0, b"\xa0\x30\x10"), EOT]))
put("midi_file", "truncated.mid", smf(0, 96, track([(0, b"\x90\x24\x64"), (48, b"\x80\x24\x00"), EOT]))[:-5])
print("seeds written to", CORPUS)
