#include "FrameProcessor.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace mm {

int defaultFramesPerBlock(int ratio) { return std::max(1, (256 + ratio - 1) / ratio); }

FrameProcessor::FrameProcessor(ModelRuntime& model, ParameterRegistry& registry,
                               int framesPerBlock, uint64_t seed)
    : model_(&model),
      info_(model.info()),
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
      priorTemperatureIndex_(registry.indexOf("prior.temperature")),
      standard_(StandardParams::resolve(registry)) {
  const char* ids[kAudioSideParams] = {"input.gain", "gate.threshold", "mix.dry_wet", "output.gain"};
  for (int k = 0; k < kAudioSideParams; ++k) audioSideIndex_[k] = registry.indexOf(ids[k]);
  attributes_ = bindAttributes(info_);
  controls_.setMeasuredDims(info_.pitchDim, info_.loudnessDim);
  feedIn_.assign(static_cast<size_t>(blockSamples()) * info_.inChannels, 0.f);
}

FrameProcessor::~FrameProcessor() {
  delete pendingFeed_.exchange(nullptr);
  delete finishedFeed_.exchange(nullptr);
  delete activeFeed_;
  delete retiringFeed_;
}

std::vector<FrameProcessor::AttributeBinding> FrameProcessor::bindAttributes(const ModelInfo& info) const {
  std::vector<AttributeBinding> b;
  for (size_t i = 0; i < info.attributes.size(); ++i) {
    const ModelAttribute& a = info.attributes[i];
    if (!a.settable) continue;
    AttributeBinding x;
    x.attribute = static_cast<int>(i);
    x.applied = a.value;
    if (a.numeric()) {
      x.param = registry_.indexOf(attributeParamId(a.name));
      if (x.param < 0) continue;  // no parameter for it in this show: it keeps its own value
    } else if (a.type != ModelAttribute::Type::String) {
      continue;
    }
    b.push_back(x);
  }
  return b;
}

void FrameProcessor::setTextAttribute(int index, const std::string& text) {
  for (AttributeBinding& b : attributes_)
    if (b.attribute == index && b.param < 0) {
      b.text = text;
      b.textPending = true;
    }
}

void FrameProcessor::replaceModel(ModelRuntime& fresh) {
  model_ = &fresh;
  // A fresh load has the file's values: give it the performed ones again.
  for (AttributeBinding& b : attributes_) {
    b.applied = info_.attributes[static_cast<size_t>(b.attribute)].value;
    b.textPending = !b.text.empty();
  }
}

void FrameProcessor::applyAttributes(ModelRuntime& model, std::vector<AttributeBinding>& bindings, int forced, bool own) {
  for (AttributeBinding& b : bindings) {
    if (b.param < 0) {
      if (!b.textPending) continue;
      b.textPending = false;
      if (!model.setAttribute(b.attribute, 0, b.text).empty()) {
        attributeRefusals_.fetch_add(1, std::memory_order_relaxed);
        lastRefused_.store(own ? b.attribute : -1, std::memory_order_relaxed);
      }
      continue;
    }
    const double want = own && b.attribute == forced ? 1.0 : static_cast<double>(params_[static_cast<size_t>(b.param)]);
    if (want == b.applied) continue;
    b.applied = want;  // also when refused: asked once per change, not every block
    if (!model.setAttribute(b.attribute, want, std::string()).empty()) {
      attributeRefusals_.fetch_add(1, std::memory_order_relaxed);
      lastRefused_.store(own ? b.attribute : -1, std::memory_order_relaxed);
      lastRefusedValue_.store(want, std::memory_order_relaxed);
    }
  }
}

void FrameProcessor::feed(std::unique_ptr<InputFeed> f) {
  delete pendingFeed_.exchange(f.release(), std::memory_order_acq_rel);
}

std::unique_ptr<FrameProcessor::InputFeed> FrameProcessor::finishedFeed() {
  return std::unique_ptr<InputFeed>(finishedFeed_.exchange(nullptr, std::memory_order_acq_rel));
}

// The block's input: the feed's next block while one plays, else `in`.
const float* FrameProcessor::nextInput(const float* in) {
  if (retiringFeed_ && !finishedFeed_.load(std::memory_order_acquire)) {
    finishedFeed_.store(retiringFeed_, std::memory_order_release);
    retiringFeed_ = nullptr;
  }
  // A new feed replaces the playing one once that one has somewhere to go back to.
  if (!(activeFeed_ && retiringFeed_))
    if (InputFeed* f = pendingFeed_.exchange(nullptr, std::memory_order_acq_rel)) {
      if (activeFeed_) retiringFeed_ = activeFeed_;
      activeFeed_ = f;
      feedPos_ = 0;
    }
  if (!activeFeed_) return in;
  const size_t n = static_cast<size_t>(blockSamples());
  const std::vector<float>& a = activeFeed_->audio;
  if (feedPos_ >= a.size()) {
    // Played out: hand it back to the control thread (freed there, not here).
    if (!retiringFeed_) {
      retiringFeed_ = activeFeed_;
      activeFeed_ = nullptr;
    }
    feedLeft_.store(0, std::memory_order_relaxed);
    return in;
  }
  for (size_t i = 0; i < n; ++i) feedIn_[i] = feedPos_ + i < a.size() ? a[feedPos_ + i] : 0.f;
  for (int c = 1; c < info_.inChannels; ++c) std::copy(feedIn_.begin(), feedIn_.begin() + n, feedIn_.begin() + c * n);
  feedPos_ += n;
  feedLeft_.store(static_cast<double>(a.size() - std::min(a.size(), feedPos_)) / info_.sampleRate, std::memory_order_relaxed);
  return feedIn_.data();
}

void FrameProcessor::setPartner(std::unique_ptr<ModelRuntime> partner) {
  if (!partner) {
    partner_.reset();
    return;
  }
  const ModelInfo& a = info_;
  const ModelInfo& b = partner->info();
  const std::string which = "model B (" + b.path + ")";
  if (b.sampleRate != a.sampleRate)
    throw std::invalid_argument(which + " runs at " + std::to_string(b.sampleRate) + " Hz and model A at " +
                                std::to_string(a.sampleRate) + " Hz: blending needs one sample rate");
  if (b.inChannels != a.inChannels)
    throw std::invalid_argument(which + " takes " + std::to_string(b.inChannels) + " input channel(s), model A " +
                                std::to_string(a.inChannels) + ": blending needs the same input");
  if (blockSamples() % b.ratio != 0)
    throw std::invalid_argument(which + " has ratio " + std::to_string(b.ratio) + ", which does not divide model A's block of " +
                                std::to_string(blockSamples()) + " samples (choose --block so that it does)");
  const int outIdx = registry_.indexOf("blend.output"), latIdx = registry_.indexOf("blend.latent");
  if (outIdx < 0 || latIdx < 0 || registry_.indexOf("b.energy") < 0)
    throw std::invalid_argument("the parameter registry has no blend parameters (makeStandardRegistry(dims, lfos, partnerDims))");
  auto p = std::make_unique<Partner>();
  p->frames = blockSamples() / b.ratio;
  p->outputIndex = outIdx;
  p->latentIndex = latIdx;
  p->latentBlend = b.latentSize == a.latentSize && b.ratio == a.ratio;
  p->registry = makeStandardRegistry(b.latentSize);
  const ParameterRegistry& rb = *p->registry;
  for (int i = 0; i < rb.size(); ++i) {
    const std::string& id = rb.spec(i).id;
    int m = registry_.indexOf("b." + id);
    if (m < 0 && id.rfind("dim.", 0) != 0 && id != "energy" && id != "texture" && id != "chaos")
      m = registry_.indexOf(id);  // shared: tempo, sources, LFO settings, gains
    p->fromMain.push_back(m);
    p->defaults.push_back(rb.spec(i).def);
  }
  p->params = p->defaults;
  p->controls = std::make_unique<LatentControls>(rb, b.latentSize, static_cast<double>(b.sampleRate) / b.ratio, 0x5eedb);
  p->controls->setMeasuredDims(b.pitchDim, b.loudnessDim);
  p->z.assign(static_cast<size_t>(b.latentSize) * p->frames, 0.f);
  p->out.assign(static_cast<size_t>(blockSamples()) * b.outChannels, 0.f);
  p->attributes = bindAttributes(b);
  p->model = std::move(partner);
  partner_ = std::move(p);
}

void FrameProcessor::mixPartner(float* out) {
  Partner& p = *partner_;
  const ModelInfo& b = p.model->info();
  for (size_t i = 0; i < p.fromMain.size(); ++i)
    p.params[i] = p.fromMain[i] >= 0 ? params_[static_cast<size_t>(p.fromMain[i])] : p.defaults[i];
  p.controls->process(p.z.data(), p.frames, p.params.data());
  bool ok = true;
  try {
    p.model->decode(p.z.data(), p.frames, p.out.data());
  } catch (const ModelError& e) {
    if (e.kind() != ModelErrorKind::NonFiniteOutput) throw;
    ok = false;  // B is muted for this block; A plays on
    ++p.nonFinite;
  }
  p.lastMuted = !ok;
  if (!ok) std::fill(p.out.begin(), p.out.end(), 0.f);
  // Equal-power crossfade, ramped across the block so that a jump of the control never clicks.
  const int n = blockSamples();
  const float target = params_[static_cast<size_t>(p.outputIndex)];
  const float from = p.lastOutput < 0.f ? target : p.lastOutput;
  p.lastOutput = target;
  const int chA = info_.outChannels, chB = b.outChannels;
  constexpr float kHalfPi = 1.5707963f;
  double ea = 0, eb = 0;
  for (int i = 0; i < n; ++i) {
    const float x = from + (target - from) * static_cast<float>(i + 1) / static_cast<float>(n);
    const float ga = std::cos(kHalfPi * x), gb = std::sin(kHalfPi * x);
    for (int c = 0; c < chA; ++c) {
      float& o = out[static_cast<size_t>(c) * n + i];
      const float a = ga * o, bpart = gb * p.out[static_cast<size_t>(std::min(c, chB - 1)) * n + i];
      ea += static_cast<double>(a) * a;
      eb += static_cast<double>(bpart) * bpart;
      o = a + bpart;
    }
  }
  p.powerA = static_cast<float>(ea / (static_cast<double>(n) * chA));
  p.powerB = static_cast<float>(eb / (static_cast<double>(n) * chA));
}

bool FrameProcessor::process(const float* blockIn, float* out) {
  const ModelInfo& info = info_;
  const float* in = nextInput(blockIn);
  const int forced = activeFeed_ && in != blockIn ? activeFeed_->attribute : -1;
  registry_.snapshot(params_.data());
  for (int k = 0; k < kAudioSideParams; ++k)
    if (audioSideIndex_[k] >= 0) audioSideSet_[k] = params_[static_cast<size_t>(audioSideIndex_[k])];
  for (ParamModulator* m : modulators_)
    m->modulate(params_.data(), static_cast<int>(params_.size()), frames_, controls_.frameRate());
  for (int k = 0; k < kAudioSideParams; ++k)
    if (audioSideIndex_[k] >= 0)
      audioSide_[k].store(params_[static_cast<size_t>(audioSideIndex_[k])] - audioSideSet_[k], std::memory_order_relaxed);
  applyAttributes(*model_, attributes_, forced, true);
  if (partner_) applyAttributes(*partner_->model, partner_->attributes, -1, false);
  model_->encode(in, blockSamples(), z_.data());
  if (partner_) partner_->model->encode(in, blockSamples(), partner_->z.data());
  for (LatentSource* s : sources_) s->mix(z_.data(), info.latentSize, frames_, params_.data());
  if (partner_ && partner_->latentBlend) {
    // Latent-level blend: B's reading of the voice mixed into A's latents, per frame ramped.
    Partner& p = *partner_;
    const float target = params_[static_cast<size_t>(p.latentIndex)];
    const float from = p.lastLatent;
    p.lastLatent = target;
    if (target > 0.f || from > 0.f)
      for (int f = 0; f < frames_; ++f) {
        const float w = from + (target - from) * static_cast<float>(f + 1) / static_cast<float>(frames_);
        for (int d = 0; d < info.latentSize; ++d) {
          const size_t k = static_cast<size_t>(d) * frames_ + f;
          z_[k] = (1.f - w) * z_[k] + w * p.z[k];
        }
      }
  }
  const StandardParams& sp = standard_;
  pattern_.remember(z_.data(), frames_);
  pattern_.pickUp(params_[sp.bpm]);
  style_.pickUp();
  const bool havePattern = params_[sp.sourcePattern] > 0.f &&
                           pattern_.render(patternZ_.data(), frames_, static_cast<int>(params_[sp.patternSlot]), params_[sp.bpm]);
  const float* prior = nullptr;
  if (info.hasPrior && priorIndex_ >= 0 && params_[priorIndex_] > 0.f) {
    model_->prior(priorTemperatureIndex_ >= 0 ? params_[priorTemperatureIndex_] : 1.f, frames_, prior_.data());
    prior = prior_.data();
  }
  controls_.process(z_.data(), frames_, params_.data(), prior, havePattern ? patternZ_.data() : nullptr, &style_);
  bool finite = true;
  try {
    model_->decode(z_.data(), frames_, out);
  } catch (const ModelError& e) {
    if (e.kind() != ModelErrorKind::NonFiniteOutput) throw;
    std::fill(out, out + static_cast<size_t>(blockSamples()) * info.outChannels, 0.f);
    ++nonFinite_;
    finite = false;
  }
  if (partner_) mixPartner(out);  // B still sounds when A is muted
  return finite;
}

}  // namespace mm
