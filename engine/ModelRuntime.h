// ModelRuntime: one RAVE-style TorchScript model, loaded off the audio path.
//
// Threads: load() runs on the loader (or main) thread. After that, encode/decode/prior
// are called from exactly one thread (the model's inference worker, or the offline
// renderer) because streaming exports keep cached-convolution state inside the model:
// every call continues where the previous one stopped. Never called by the audio thread.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "ModelArchive.h"
#include "ModelAttributes.h"

namespace mm {

enum class ModelErrorKind {
  MissingFile,
  EmptyFile,
  NotTorchScript,
  TruncatedArchive,
  NewerPyTorch,
  MissingMethod,
  BadInterface,
  WrongOutputShape,
  NonFiniteOutput,
  DeviceUnavailable,
  LoadFailed,
};

const char* toString(ModelErrorKind kind);

// A user-facing failure: `what()` is one paragraph naming the file, what is wrong and
// what to do. Never a LibTorch stack trace.
class ModelError : public std::runtime_error {
 public:
  ModelError(ModelErrorKind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  ModelErrorKind kind() const { return kind_; }

 private:
  ModelErrorKind kind_;
};

struct ModelInfo {
  std::string path;
  int interfaceVersion = 2;  // 1: v1 export (sampling_rate buffer), 2: v2 (sr attribute)
  int sampleRate = 44100;
  int ratio = 2048;           // R = encode_params[3]
  int latentSize = 0;         // what the performer sees: decode_params[0]
  int encodedLatentSize = 0;  // encode_params[2]
  int fullLatentSize = 0;     // v2 full_latent_size when present
  int inChannels = 1;
  int outChannels = 1;
  bool hasPrior = false;
  int priorInRatio = 1, priorOutRatio = 1;  // prior_params[1], prior_params[3]
  std::vector<std::string> methods;
  // The controls the model declares itself (get_attributes(); ModelAttributes.h).
  std::vector<ModelAttribute> attributes;
  // What is odd about the file but does not stop it playing (a broken prior, an
  // implausible full_latent_size): shown by `inspect` and when the model loads.
  std::vector<std::string> warnings;
  int64_t parameterCount = 0;
  std::string device = "cpu";
  // The TorchScript archive's own format version (its `version` record; -1: none found).
  // PyTorch writes the lowest its operators need (3..10 for PyTorch 1.6-1.13).
  int archiveVersion = -1;
  // Whether the model streams (Options::checkStreaming): 1 yes, 0 no (it would click at
  // block edges), -1 not checked.
  int streaming = -1;
  // Which PyTorch wrote the file, as far as its archive tells (archiveWriter), "" unknown.
  std::string writtenBy;
  // A pitched model's measured dimensions (int attributes `pitch_dim`, `loudness_dim`;
  // models/synthnn.py): the input's pitch and loudness, which the latent controls that
  // reshape the sound (energy, texture, chaos, style) leave alone. -1: none.
  int pitchDim = -1, loudnessDim = -1;
  bool measuredDim(int d) const { return d >= 0 && (d == pitchDim || d == loudnessDim); }
  bool stereo() const { return outChannels == 2; }
  // Which executor runs encode/decode: "native" (NativeNet.h: a recognised architecture,
  // checked against TorchScript at load) or "torchscript". executorNote says why a model
  // stays on TorchScript, or how close the native path came to it.
  std::string executor = "torchscript";
  std::string executorNote;
  bool bf16Weights = false;  // the native executor reads bfloat16 weights (Options::weights)
};


// Devices this LibTorch build can run on ("cpu" always; "cuda", "mps" when compiled in
// and present).
std::vector<std::string> availableDevices();
// Resolves "auto" to the best available device; throws ModelError(DeviceUnavailable)
// naming what is available when the request cannot be met.
std::string resolveDevice(const std::string& requested);

class ModelRuntime {
 public:
  struct Options {
    std::string device = "cpu";
    // Intra-op threads for this process: LibTorch's pool and, when LibTorch's BLAS is
    // OpenBLAS, OpenBLAS's own pool too (both settings are process-wide). OpenBLAS
    // otherwise starts one spinning thread per core next to the audio thread; on a busy
    // 2-core machine that made small convolutions ~400x slower (bench/README.md).
    int threads = 1;
    bool probe = true;
    // AsLoaded: run the module as loaded. Frozen: run a frozen clone (torch::jit::freeze:
    // weights and attributes become constants; the streaming caches, mutated in place by
    // encode/decode, stay state). FrozenOptimized: also optimize_for_inference.
    // Measured in bench/README.md.
    enum class Graph { AsLoaded, Frozen, FrozenOptimized };
    Graph graph = Graph::AsLoaded;
    // glibc: keep the memory LibTorch frees after each call in the process instead of
    // handing it back to the kernel, so the next call does not page-fault it in again
    // (process-wide, set once; a no-op elsewhere). Measured in bench/README.md.
    bool retainFreedMemory = true;
    // Linux: after loading, back the model's weights and buffers with 2 MB pages
    // (madvise MADV_COLLAPSE, best effort): a frame reads every weight, and with 4 KB
    // pages a 127 MB model spans 31,000 pages. Off: measured 1.28-1.33x slower for batch
    // calls of the v2-size model and no faster per frame (bench/README.md); kept as an
    // option for machines where the TLB matters more. Elsewhere a no-op.
    bool hugePageWeights = false;
    // Also load two more copies and compare one call on two blocks with two calls on one
    // block each: a model exported without streaming differs at the edge (it would click
    // at every block live) and gets a warning saying so. Costs two more loads.
    bool checkStreaming = false;
    // Auto: run a recognised architecture (the bundled drum family, models/mmnn.py) on the
    // native executor when it matches TorchScript within 1e-4 on a test signal at load;
    // everything else on TorchScript. TorchScript: always TorchScript (`--executor
    // torchscript`). The native executor is CPU only.
    enum class Executor { Auto, TorchScript };
    Executor executor = Executor::Auto;
    // Bf16 (`--weights bf16`): on the native executor, weights rounded to bfloat16 and the
    // memory-bound layers read from 2-byte copies (half the bytes a frame). Measured at
    // load against fp32 on a test signal: a model whose output moves by more than
    // bf16ToleranceDb (error RMS against the output's RMS) is refused and plays in fp32,
    // with a warning saying so; so is a model on TorchScript.
    enum class Weights { Fp32, Bf16 };
    Weights weights = Weights::Fp32;
    double bf16ToleranceDb = -30.0;
  };

  // Throws ModelError. Loads, discovers the interface and (by default) probes once.
  static std::unique_ptr<ModelRuntime> load(const std::string& path, const Options& options);
  static std::unique_ptr<ModelRuntime> load(const std::string& path) {
    return load(path, Options{});
  }
  ~ModelRuntime();

  const ModelInfo& info() const { return info_; }
  // How many 2 MB pages now back the weights (hugePageWeights), for reports and benchmarks.
  int hugePagesBackingWeights() const { return hugePages_; }

  // Worker thread only. `in` holds inChannels planar rows of n samples, n a multiple of
  // the ratio. `z` receives latentSize planar rows of n / ratio frames.
  void encode(const float* in, int n, float* z);
  // Worker thread only. `z`: latentSize planar rows of `frames`; `out`: outChannels
  // planar rows of frames * ratio samples. Throws ModelError(NonFiniteOutput) on NaN/Inf.
  void decode(const float* z, int frames, float* out);
  // Worker thread only, hasPrior() models: writes latentSize x frames latents.
  void prior(float temperature, int frames, float* z);

  // Worker thread only (or before any worker runs): calls set_<name> of attribute `index`
  // (info().attributes) with `number` (bool, int, float) or `text` (str). Returns an empty
  // string when the model took it, else why not (it answered non-zero, or threw).
  std::string setAttribute(int index, double number, const std::string& text);
  // Worker thread only (or before any worker runs): get_<name>() now. False when it fails.
  bool readAttribute(int index, double& number, std::string& text);

  // Runs encode+decode on silence and checks shapes and values (throws ModelError).
  void probe(int frames = 1);

 private:
  ModelRuntime();
  struct Impl;
  std::unique_ptr<Impl> impl_;
  ModelInfo info_;
  int hugePages_ = 0;
};

}  // namespace mm
