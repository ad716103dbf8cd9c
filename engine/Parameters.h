// ParameterRegistry: the one list of every performable parameter (DESIGN.md "Parameters").
// The UI, MIDI mappings, modulation, presets, set lists, OSC and `--set id=value` all
// address parameters by their stable string id.
//
// Threads: the registry's shape (ids, ranges) is fixed before any stream starts
// (build with makeStandardRegistry, then never add). Values are atomics: any thread may
// set() and get() at any time without locking. Consumers (the inference worker, the
// audio callback) read one snapshot per model frame / audio block and smooth it.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mm {

enum class Curve { Linear, Exponential, Stepped, Toggle };

struct ParamSpec {
  std::string id;
  std::string name;
  float min = 0.f;
  float max = 1.f;
  float def = 0.f;
  std::string unit;
  Curve curve = Curve::Linear;
  float smoothingMs = 20.f;  // one-pole time constant used by consumers
};

class ParameterRegistry {
 public:
  ParameterRegistry() = default;
  ParameterRegistry(const ParameterRegistry&) = delete;
  ParameterRegistry& operator=(const ParameterRegistry&) = delete;

  // Setup only (before streams run). Returns the index.
  int add(ParamSpec spec);
  // Setup only: allocates the value storage once all params are added.
  void finalize();

  int size() const { return static_cast<int>(specs_.size()); }
  const ParamSpec& spec(int index) const { return specs_[index]; }
  int indexOf(const std::string& id) const;  // -1 when unknown

  // Any thread, lock-free. Values are clamped to the range (and rounded when stepped).
  void set(int index, float value) noexcept;
  float get(int index) const noexcept {
    return values_[index].load(std::memory_order_relaxed);
  }
  // Convenience by id (setup/UI threads; does a lookup).
  bool setById(const std::string& id, float value);
  float getById(const std::string& id) const;
  void resetToDefaults();

  // Normalised 0..1 position of a value along its curve (for MIDI knobs and UI sliders).
  float toNormalized(int index, float value) const noexcept;
  float fromNormalized(int index, float normalized) const noexcept;

  // Copies every value into `out` (pre-sized to size()); any thread, no allocation.
  void snapshot(float* out) const noexcept;

  // Parses "id=value" (the --set syntax). On failure returns a message naming the
  // argument and what is wrong (unknown id lists near matches; bad number; range).
  std::optional<std::string> applyAssignment(const std::string& assignment);

  // Increments whenever a value changes; UI and report writers poll it.
  uint64_t version() const { return version_.load(std::memory_order_relaxed); }

 private:
  std::vector<ParamSpec> specs_;
  std::unique_ptr<std::atomic<float>[]> values_;
  std::atomic<uint64_t> version_{0};
};

// Builds the registry every engine uses: macros, mix, gains, gate, sources, style,
// LFOs, and dim.i / dim.i.scale for each of the model's latent dimensions.
// `partnerDims` > 0: a second model (latent size partnerDims) blends with the first
// (FrameProcessor::setPartner): adds blend.output, blend.latent and model B's own
// b.energy, b.texture, b.chaos, b.dim.N and b.dim.N.scale.
// `extra`: parameters a model declares itself (its attributes, ModelAttributes.h), added last.
std::unique_ptr<ParameterRegistry> makeStandardRegistry(int latentDims, int lfoCount = 2, int partnerDims = 0,
                                                        const std::vector<ParamSpec>& extra = {});

// Indices of the standard parameters, resolved once after makeStandardRegistry.
// The unit of a parameter whose value is another parameter's registry index
// (lfo.N.target); presets store those by the target's id.
inline constexpr const char* kParamIndexUnit = "param index";

struct StandardParams {
  int energy, texture, chaos, bpm, styleBlend, styleAmount, dryWet, inputGain, outputGain,
      gateThreshold, sourceVoice, sourcePattern, sourcePrior, patternSlot, hitAmount;
  std::vector<int> dimOffset, dimScale;
  struct Lfo {
    int rate, depth, shape, sync, target;
  };
  std::vector<Lfo> lfo;
  static StandardParams resolve(const ParameterRegistry& registry);
};

// energy 0..1 -> latent magnitude factor 0.3 .. 2.0 (DESIGN.md latent controls).
inline float energyToScale(float energy) { return 0.3f + 1.7f * energy; }
constexpr float kNeutralEnergy = 0.7f / 1.7f;  // scale exactly 1.0

}  // namespace mm
