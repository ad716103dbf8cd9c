#pragma once
// The native executor's loader side: recognises the bundled model family (models/mmnn.py)
// in a TorchScript module tree and checks the result against TorchScript. Used by
// ModelRuntime at load, on the loader thread; never on the audio or model threads.

#include "ModelRuntime.h"
#include "NativeNet.h"

#include <torch/script.h>

#include <memory>

namespace mm::native {

// Reads the module tree as scripted: class names, attributes, weights and the streaming
// state, and builds the layers. Anything unexpected throws std::invalid_argument naming
// the part; the caller keeps TorchScript and says why.
std::unique_ptr<NativeNet> recognise(const torch::jit::Module& m, const ModelInfo& info);

// Runs the same test signal through TorchScript (advancing `m`'s streams) and the native
// net, calls of 1, 3 and 2 frames; returns the largest difference relative to each
// output's peak (latents and audio alike). The net is reset afterwards.
double compareWithTorchScript(torch::jit::Module& m, NativeNet& net, const ModelInfo& info);

// The output level of `b`'s difference from `a` against `a`'s own, in dB, on a test
// signal through encode and decode (calls of 1, 3 and 2 frames; both reset afterwards).
double differenceDb(NativeNet& a, NativeNet& b, const ModelInfo& info);

}  // namespace mm::native
