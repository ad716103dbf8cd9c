// ModelInterface: what a model file says about itself, and what MusicMill makes of it.
//
// ModelRuntime::load reads a loaded TorchScript module's metadata (get_methods(), the
// `*_params` buffers, `sr` / `sampling_rate`, `full_latent_size`) into a RawModelInterface:
// plain values, no LibTorch. interpretModelInterface() then checks every value and turns
// them into a ModelInfo, or throws ModelError naming the file, the value and what to do.
// The split keeps the decisions free of LibTorch, so that they are unit-tested and fuzzed
// (fuzz/fuzz_model_metadata.cpp) on their own: a model file is the user's, and whatever
// it claims must end in a message, never in a wrapped integer or a crash.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ModelRuntime.h"

namespace mm {

// One attribute or buffer of the module as read: its kind and its values.
struct RawValue {
  enum class Kind { Absent, Int, Double, Tensor, Other };
  Kind kind = Kind::Absent;
  int64_t intValue = 0;          // Kind::Int
  double doubleValue = 0;        // Kind::Double
  std::vector<double> values;    // Kind::Tensor: the first elements, flattened, as double
  int64_t numel = 0;             // Kind::Tensor: how many elements the tensor has in all
  std::string typeName;          // Kind::Other (and Tensor: its dtype), for messages
};

struct RawModelInterface {
  bool hasGetMethods = false;              // v2: a get_methods() method exists
  std::vector<std::string> listedMethods;  // what get_methods() returned (v2)
  std::vector<std::string> bufferNames;    // the module's own buffers (v1 discovery)
  std::vector<std::string> compiledMethods;  // methods the module really has
  // encode_params, decode_params, prior_params, sr, sampling_rate, full_latent_size,
  // latent_size (v1's full latent size)
  std::map<std::string, RawValue> attributes;
};

// How many elements of a tensor attribute the reader keeps (a `*_params` buffer has 4;
// anything larger is refused by its size, from `numel`).
constexpr int64_t kRawTensorKeep = 16;

// Throws ModelError (BadInterface, MissingMethod). `path` names the file in messages.
// On success every field of the result is within the ranges MusicMill plays.
ModelInfo interpretModelInterface(const std::string& path, const RawModelInterface& raw);

// The limits interpretModelInterface enforces (also the fuzzer's oracle).
namespace interface_limits {
constexpr int64_t kMaxRatio = 65536;
constexpr int64_t kMaxLatent = 4096;
constexpr int64_t kMaxChannels = 2;
constexpr int64_t kMinRate = 8000, kMaxRate = 192000;
}  // namespace interface_limits

}  // namespace mm
