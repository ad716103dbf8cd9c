#include "FrameProcessor.h"

#include <algorithm>

namespace mm {

int defaultFramesPerBlock(int ratio) { return std::max(1, (256 + ratio - 1) / ratio); }

FrameProcessor::FrameProcessor(ModelRuntime& model, ParameterRegistry& registry,
                               int framesPerBlock, uint64_t seed)
    : model_(model),
      registry_(registry),
      frames_(std::max(1, framesPerBlock)),
      controls_(registry, model.info().latentSize,
                static_cast<double>(model.info().sampleRate) / model.info().ratio, seed),
      pattern_(model.info().latentSize, static_cast<double>(model.info().sampleRate) / model.info().ratio),
      style_(model.info().latentSize),
      params_(registry.size(), 0.f),
      z_(static_cast<size_t>(model.info().latentSize) * frames_, 0.f),
      prior_(static_cast<size_t>(model.info().latentSize) * frames_, 0.f),
      patternZ_(static_cast<size_t>(model.info().latentSize) * frames_, 0.f),
      priorIndex_(registry.indexOf("source.prior")),
      standard_(StandardParams::resolve(registry)) {}

void FrameProcessor::adoptStateFrom(FrameProcessor& old) {
  modulators_ = old.modulators_;
  sources_ = old.sources_;
  pattern_.adoptClipsFrom(old.pattern_);
  style_.adoptFrom(old.style_);
}

bool FrameProcessor::process(const float* in, float* out) {
  const ModelInfo& info = model_.info();
  registry_.snapshot(params_.data());
  for (ParamModulator* m : modulators_)
    m->modulate(params_.data(), static_cast<int>(params_.size()), frames_, controls_.frameRate());
  model_.encode(in, blockSamples(), z_.data());
  for (LatentSource* s : sources_) s->mix(z_.data(), info.latentSize, frames_, params_.data());
  const StandardParams& sp = standard_;
  pattern_.remember(z_.data(), frames_);
  pattern_.pickUp(params_[sp.bpm]);
  style_.pickUp();
  const bool havePattern = params_[sp.sourcePattern] > 0.f &&
                           pattern_.render(patternZ_.data(), frames_, static_cast<int>(params_[sp.patternSlot]), params_[sp.bpm]);
  const float* prior = nullptr;
  if (info.hasPrior && priorIndex_ >= 0 && params_[priorIndex_] > 0.f) {
    model_.prior(1.f, frames_, prior_.data());
    prior = prior_.data();
  }
  controls_.process(z_.data(), frames_, params_.data(), prior, havePattern ? patternZ_.data() : nullptr, &style_);
  try {
    model_.decode(z_.data(), frames_, out);
  } catch (const ModelError& e) {
    if (e.kind() != ModelErrorKind::NonFiniteOutput) throw;
    std::fill(out, out + static_cast<size_t>(blockSamples()) * info.outChannels, 0.f);
    ++nonFinite_;
    return false;
  }
  return true;
}

}  // namespace mm
