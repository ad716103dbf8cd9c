#!/usr/bin/python3
"""Writes the bundled demo input: a beatbox-like voice (espeak-ng saying b, t, k, ts)
on a steady 8th-note grid at 110 BPM in two voices, 44.1 kHz mono 16-bit WAV.
Usage: /usr/bin/python3 models/demo/make_demo_input.py OUT.wav"""
import subprocess, sys, wave, io
import numpy as np

SR = 44100

def say(text, voice):
    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", "220", "-w", "/dev/stdout", text],
                         check=True, capture_output=True).stdout
    with wave.open(io.BytesIO(wav)) as w:
        rate = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32) / 32768
    idx = np.arange(0, len(x) * SR / rate) * rate / SR
    x = np.interp(idx, np.arange(len(x)), x)
    nz = np.nonzero(np.abs(x) > 0.02)[0]
    return x[nz[0]:nz[-1] + 1] if len(nz) else x

def main(out):
    step = 60.0 / 110 / 2
    pattern = ["b", "ts", "k", "ts", "b", "b", "k", "ts"] * 4
    voices = ["en", "en+f3"]
    total = int((len(pattern) * step + 1.0) * SR)
    y = np.zeros(total, np.float32)
    cache = {}
    for i, syl in enumerate(pattern):
        v = voices[(i // 16) % 2]
        if (syl, v) not in cache:
            cache[(syl, v)] = say(syl, v)
        s = cache[(syl, v)][: int(step * SR * 0.9)]
        start = int((0.25 + i * step) * SR)
        y[start:start + len(s)] += s
    y *= 0.7 / max(1e-6, np.max(np.abs(y)))
    with wave.open(out, "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(SR)
        w.writeframes((y * 32767).astype(np.int16).tobytes())

if __name__ == "__main__":
    main(sys.argv[1])
