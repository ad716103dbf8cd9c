// FrameProcessor: the model path that live and offline share — one block of k latent
// frames (k * R samples at the model's rate): snapshot parameters -> modulate -> encode ->
// latent controls -> decode. The live InferenceWorker and the OfflineRenderer both call
// process(); a test of one is a test of the other.
//
// Threads: exactly one thread (worker or renderer) calls process(). Buffers are sized in
// the constructor; process() allocates only inside LibTorch.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "LatentControls.h"
#include "LatentSources.h"
#include "ModelRuntime.h"
#include "Parameters.h"

namespace mm {

// Modifies the parameter snapshot before the latent controls see it (LFOs, modulation
// matrix, MIDI-driven modulation). Called on the processing thread once per block.
class ParamModulator {
 public:
  virtual ~ParamModulator() = default;
  // `params`: the snapshot, modified in place; `frames`: latent frames in this block;
  // `frameRate`: latent frames per second.
  virtual void modulate(float* params, int count, int frames, double frameRate) = 0;
};

// Source of latents other than the voice (pattern memory, style anchors); mixes into
// the encoded voice latents before the controls. Processing thread only.
class LatentSource {
 public:
  virtual ~LatentSource() = default;
  virtual void mix(float* z, int dims, int frames, const float* params) = 0;
};

// Blocks per call used by both live and offline unless overridden: the smallest k whose
// block k*R is at least 256 samples (one frame for models of ratio >= 256).
int defaultFramesPerBlock(int ratio);

class FrameProcessor {
 public:
  FrameProcessor(ModelRuntime& model, ParameterRegistry& registry, int framesPerBlock,
                 uint64_t seed = 1);
  ~FrameProcessor();

  int framesPerBlock() const { return frames_; }
  int blockSamples() const { return frames_ * info_.ratio; }
  // A copy taken at construction: safe to read from any thread, also while a panic
  // reload replaces the model underneath (replaceModel keeps the same interface).
  const ModelInfo& info() const { return info_; }
  ModelRuntime& model() { return *model_; }
  LatentControls& controls() { return controls_; }
  // Control thread: load/capture through these (their hand-over is lock-free).
  PatternMemory& pattern() { return pattern_; }
  StyleBlender& style() { return style_; }

  // Setup only (before processing starts). Modulators run in the order added (LFOs before
  // the modulation matrix, which may use LFO outputs as sources).
  void setModulator(ParamModulator* m) { modulators_.assign(m ? 1 : 0, m); }
  void addModulator(ParamModulator* m) { if (m) modulators_.push_back(m); }
  // Processing thread only, after a panic: go on with `fresh`, a new load of the same file
  // (a fresh streaming state). Everything the performer set up here stays: modulators,
  // sources, pattern slots, style anchors, model B, and whatever the control thread is
  // handing over right now. The caller checked that `fresh` has the same interface and
  // keeps it alive while this processor uses it.
  void replaceModel(ModelRuntime& fresh);
  void addSource(LatentSource* s) { sources_.push_back(s); }

  // Multi-model blending (setup only, before processing starts). Model B runs on the same
  // thread in the same blocks: it encodes the same input, applies its own latent controls
  // (b.energy, b.texture, b.chaos, b.dim.N: everything else is shared) and decodes; the
  // output is an equal-power crossfade by `blend.output` (0 = A only, 1 = B only). When
  // both models have the same latent size and ratio, `blend.latent` also mixes B's
  // encoding into A's latents before A's controls and decoder. Needs a registry made with
  // makeStandardRegistry(dimsA, lfos, dimsB). Throws std::invalid_argument saying why B
  // cannot partner A (sample rate, input channels, or a ratio that does not divide A's block).
  void setPartner(std::unique_ptr<ModelRuntime> partner);
  bool hasPartner() const { return partner_ != nullptr; }
  bool latentBlendable() const { return partner_ && partner_->latentBlend; }
  ModelRuntime* partnerModel() { return partner_ ? partner_->model.get() : nullptr; }

  // in: inChannels planar rows of blockSamples(); out: outChannels planar rows.
  // Returns false (and writes silence) when the model produced NaN/Inf: that model is
  // muted, the caller keeps running.
  bool process(const float* in, float* out);

  // The performed latents of the last block (dims x frames planar), for UI plots.
  const std::vector<float>& lastLatents() const { return z_; }
  const std::vector<float>& lastParams() const { return params_; }
  uint64_t nonFiniteBlocks() const { return nonFinite_; }

  // Modulation of the parameters that act on audio around the model (input.gain,
  // gate.threshold, mix.dry_wet, output.gain): routes and LFOs modulate the block's
  // snapshot here, but the input and output stages run per audio block and read the
  // registry. The modulation amount of the last block (modulated - set value, in the
  // parameter's units) is published for them. Written by the processing thread, read by
  // the audio thread (relaxed atomics).
  enum AudioSideParam { kInputGain, kGateThreshold, kDryWet, kOutputGain, kAudioSideParams };
  float audioSideOffset(AudioSideParam p) const { return audioSide_[p].load(std::memory_order_relaxed); }

  // --- the model's own controls (ModelAttributes.h) ---
  // Each playable attribute of the model (and of model B) follows its parameter
  // `attr.<name>` when the registry has one: when the block's value differs from the one
  // last given, the processing thread calls the model's setter before encoding. A string
  // attribute is given once (setTextAttribute, setup only). A model the worker reloads
  // after a panic gets every value again.
  void setTextAttribute(int index, const std::string& text);
  // Setter calls the model refused (answered non-zero or threw), and the last one: which
  // attribute (info().attributes index; model B's count too, -1 when none) and the value.
  uint64_t attributeRefusals() const { return attributeRefusals_.load(std::memory_order_relaxed); }
  int lastRefusedAttribute() const { return lastRefused_.load(std::memory_order_relaxed); }
  double lastRefusedValue() const { return lastRefusedValue_.load(std::memory_order_relaxed); }

  // Learning from a file (RAVE 2.3 style matching: "learn the target from this file"):
  // the feed's audio (mono, the model's rate) goes into the model instead of the input, one
  // block at a time in step with the stream, and the bool attribute `attribute` (an index
  // into info().attributes) is held on for exactly those blocks, then given its parameter's
  // value again. Control thread: feed() hands it over lock-free (a feed not yet started is
  // replaced); finishedFeed() takes back one that has played, to be freed there.
  struct InputFeed {
    std::vector<float> audio;
    int attribute = -1;
  };
  void feed(std::unique_ptr<InputFeed> f);
  std::unique_ptr<InputFeed> finishedFeed();
  // Seconds of the feed still to play (0: none playing); any thread.
  double feedSecondsLeft() const { return feedLeft_.load(std::memory_order_relaxed); }

  // Whether model B (the partner) was muted in the last process() for NaN/Inf output.
  bool lastPartnerMuted() const { return partner_ && partner_->lastMuted; }
  // A blend's two parts as they sounded in the last process(): the mean square of model
  // A's and of model B's output after the crossfade's gains (the two sum to the block's
  // output). Both 0 without a partner.
  float lastPowerA() const { return partner_ ? partner_->powerA : 0.f; }
  float lastPowerB() const { return partner_ ? partner_->powerB : 0.f; }

 private:
  ModelRuntime* model_;  // processing thread only (replaceModel)
  const ModelInfo info_;
  ParameterRegistry& registry_;
  int frames_;
  LatentControls controls_;
  std::vector<ParamModulator*> modulators_;
  std::vector<LatentSource*> sources_;
  PatternMemory pattern_;
  StyleBlender style_;
  std::vector<float> params_, z_, prior_, patternZ_;
  uint64_t nonFinite_ = 0;
  int priorIndex_ = -1, priorTemperatureIndex_ = -1;
  int audioSideIndex_[kAudioSideParams] = {-1, -1, -1, -1};
  float audioSideSet_[kAudioSideParams] = {};
  std::atomic<float> audioSide_[kAudioSideParams] = {};
  StandardParams standard_;

  // One attribute of one model and what it follows.
  struct AttributeBinding {
    int attribute = -1;  // index into that model's info().attributes
    int param = -1;      // registry index of attr.<name>; -1: a string attribute
    double applied = 0;  // the value the model has now
    std::string text;    // a string attribute's value to give
    bool textPending = false;
  };
  std::vector<AttributeBinding> attributes_;
  std::atomic<uint64_t> attributeRefusals_{0};
  std::atomic<int> lastRefused_{-1};
  std::atomic<double> lastRefusedValue_{0};
  std::vector<AttributeBinding> bindAttributes(const ModelInfo& info) const;
  void applyAttributes(ModelRuntime& model, std::vector<AttributeBinding>& bindings, int forced, bool own);
  std::atomic<InputFeed*> pendingFeed_{nullptr}, finishedFeed_{nullptr};
  InputFeed* activeFeed_ = nullptr;    // processing thread only
  InputFeed* retiringFeed_ = nullptr;  // processing thread only: waits for finishedFeed_ to be free
  size_t feedPos_ = 0;
  std::vector<float> feedIn_;
  std::atomic<double> feedLeft_{0};
  const float* nextInput(const float* in);

  struct Partner {
    std::unique_ptr<ModelRuntime> model;
    std::unique_ptr<ParameterRegistry> registry;  // B's own ids, for its LatentControls
    std::unique_ptr<LatentControls> controls;
    std::vector<int> fromMain;                     // B-registry index -> main index (-1: default)
    std::vector<float> defaults, params, z, out;
    int frames = 0, outputIndex = -1, latentIndex = -1;
    bool latentBlend = false;
    float lastOutput = -1.f, lastLatent = 0.f;  // -1: not yet started (no ramp)
    uint64_t nonFinite = 0;
    bool lastMuted = false;
    float powerA = 0.f, powerB = 0.f;  // the last block's, after the crossfade's gains
    std::vector<AttributeBinding> attributes;  // model B's own, following the same attr.<name>
  };
  std::unique_ptr<Partner> partner_;
  void mixPartner(float* out);
};

}  // namespace mm
