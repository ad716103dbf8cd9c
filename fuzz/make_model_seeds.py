#!/usr/bin/python3
"""Writes fuzz/corpus/model_metadata/: the metadata of real model files, in the line format
fuzz/fuzz_model_metadata.cpp reads (the same values engine/ModelRuntime.cpp
readRawInterface takes from a loaded module), plus variants that each break one rule.

    /usr/bin/python3 fuzz/make_model_seeds.py [MODEL.ts ...]

Without arguments: the bundled model and the test fixtures in build/fixtures/ (built by
the test build). Needs Debian's python3-torch (the interpreter at /usr/bin/python3).
"""
import pathlib
import sys

import torch

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "fuzz" / "corpus" / "model_metadata"
ATTRS = ["encode_params", "decode_params", "prior_params", "sr", "sampling_rate", "full_latent_size"]
KEEP = 16  # kRawTensorKeep in engine/ModelInterface.h


def value_line(name, v):
    if isinstance(v, bool):
        return f"attr {name} other bool"
    if isinstance(v, int):
        return f"attr {name} int {v}"
    if isinstance(v, float):
        return f"attr {name} double {v!r}"
    if isinstance(v, torch.Tensor):
        # c10's names, as readRawValue records them
        names = {torch.int64: "Long", torch.int32: "Int", torch.float32: "Float", torch.float64: "Double",
                 torch.bool: "Bool", torch.float16: "Half"}
        dtype = names.get(v.dtype, str(v.dtype).replace("torch.", ""))
        vals = " ".join(repr(float(x)) for x in v.flatten()[:KEEP].double().tolist())
        return f"attr {name} tensor {dtype} {v.numel()} {vals}".rstrip()
    return f"attr {name} other {type(v).__name__}"


def describe(path):
    m = torch.jit.load(str(path))
    lines = []
    compiled = list(m._c._method_names())
    if m._c._has_method("get_methods"):
        lines.append("get_methods " + " ".join(m.get_methods()))
    lines.append("buffers " + " ".join(n for n, _ in m.named_buffers(recurse=False)))
    lines.append("compiled " + " ".join(compiled))
    for a in ATTRS:
        if hasattr(m, a):
            lines.append(value_line(a, getattr(m, a)))
    return "\n".join(lines) + "\n"


def put(name, text):
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / name).write_text(text)


def main():
    paths = [pathlib.Path(p) for p in sys.argv[1:]]
    if not paths:
        paths = [ROOT / "models" / "musicmill_drums.ts"] + sorted((ROOT / "build" / "fixtures").glob("*.ts"))
    good = None
    for p in paths:
        try:
            text = describe(p)
        except Exception as e:  # a deliberately broken fixture: not a seed
            print(f"skipped {p.name}: {str(e).splitlines()[0]}")
            continue
        put(p.stem + ".txt", text)
        if good is None and "get_methods" in text:
            good = text
    if good:
        # Variants that each break one rule (the interpreter must refuse or ignore them).
        def swap(old, new):
            return "\n".join(new if line.startswith(old) else line for line in good.splitlines()) + "\n"
        put("ratio_wraps_int.txt", swap("attr encode_params", "attr encode_params tensor Long 4 1.0 1.0 8.0 4294967552.0"))
        put("rate_nan.txt", swap("attr sr", "attr sr double nan"))
        put("rate_huge.txt", swap("attr sr", "attr sr double 1e300"))
        put("params_float.txt", swap("attr decode_params", "attr decode_params tensor Float 4 8.0 256.5 1.0 1.0"))
        put("params_short.txt", swap("attr decode_params", "attr decode_params tensor Long 3 8.0 256.0 1.0"))
        put("prior_broken.txt", good + "attr prior_params tensor Long 4 1.0 -1.0 8.0 1e12\n")
        put("no_get_methods.txt", "\n".join(l for l in good.splitlines() if not l.startswith("get_methods")) + "\n")
    print("model metadata seeds written to", OUT)


if __name__ == "__main__":
    main()
