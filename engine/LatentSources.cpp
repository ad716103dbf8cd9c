#include "LatentSources.h"

#include <algorithm>
#include <cmath>

#include "AudioFile.h"
#include "ModelRuntime.h"
#include "Resampler.h"

namespace mm {

float LatentClip::at(int d, double pos) const {
  if (frames <= 0 || d >= dims) return 0.f;
  pos = std::fmod(pos, static_cast<double>(frames));
  if (pos < 0) pos += frames;
  const int i0 = static_cast<int>(pos);
  const int i1 = (i0 + 1) % frames;
  const float t = static_cast<float>(pos - i0);
  const float* row = z.data() + static_cast<size_t>(d) * frames;
  return row[i0] + t * (row[i1] - row[i0]);
}

void LatentClip::findSlices(double frameRate) {
  slices.clear();
  if (frames < 2) {
    slices.push_back(0);
    return;
  }
  std::vector<double> nov(frames, 0.0);
  for (int k = 1; k < frames; ++k) {
    double d2 = 0;
    for (int d = 0; d < dims; ++d) {
      const double diff = z[static_cast<size_t>(d) * frames + k] - z[static_cast<size_t>(d) * frames + k - 1];
      d2 += diff * diff;
    }
    nov[k] = std::sqrt(d2);
  }
  double mean = 0, var = 0;
  for (double v : nov) mean += v;
  mean /= frames;
  for (double v : nov) var += (v - mean) * (v - mean);
  const double thr = mean + 1.5 * std::sqrt(var / frames);
  const int minGap = std::max(1, static_cast<int>(0.05 * frameRate));
  slices.push_back(0);
  for (int k = 1; k + 1 < frames; ++k)
    if (nov[k] > thr && nov[k] >= nov[k - 1] && nov[k] >= nov[k + 1] && k - slices.back() >= minGap) slices.push_back(k);
}

LatentClip encodeFileToClip(const std::string& modelPath, const std::string& audioPath, double bpm) {
  auto model = ModelRuntime::load(modelPath);
  const ModelInfo& info = model->info();
  AudioBuffer in = readAudioFile(audioPath);
  std::vector<float> mono = Resampler::convert(downmix(in), 1, in.sampleRate, info.sampleRate);
  const int R = info.ratio;
  const int frames = static_cast<int>(mono.size() / R);
  if (frames < 1)
    throw AudioFileError("Audio file '" + audioPath + "' is shorter than one latent frame (" +
                         std::to_string(R) + " samples at " + std::to_string(info.sampleRate) + " Hz)");
  LatentClip clip;
  clip.dims = info.latentSize;
  clip.frames = frames;
  clip.bpm = bpm;
  clip.source = audioPath;
  clip.z.assign(static_cast<size_t>(clip.dims) * frames, 0.f);
  // Encode in chunks (streaming), then scatter into the planar clip.
  const int chunk = std::max(1, 256);
  std::vector<float> zc(static_cast<size_t>(clip.dims) * chunk);
  for (int f0 = 0; f0 < frames; f0 += chunk) {
    const int nf = std::min(chunk, frames - f0);
    model->encode(mono.data() + static_cast<size_t>(f0) * R, nf * R, zc.data());
    for (int d = 0; d < clip.dims; ++d)
      std::copy(zc.begin() + static_cast<long>(d) * nf, zc.begin() + static_cast<long>(d) * nf + nf,
                clip.z.begin() + static_cast<long>(d) * frames + f0);
  }
  clip.findSlices(static_cast<double>(info.sampleRate) / R);
  return clip;
}

PatternMemory::PatternMemory(int dims, double frameRate)
    : dims_(dims), frameRate_(frameRate), historyFrames_(static_cast<int>(frameRate * 16.0) + 1) {
  history_.assign(static_cast<size_t>(dims) * historyFrames_, 0.f);
}

void PatternMemory::load(int slot, std::unique_ptr<LatentClip> clip) {
  if (slot >= 0 && slot < kSlots) incoming_[slot].write(std::move(clip));
}

void PatternMemory::requestCapture(int slot, double beats) {
  captureBeats_.store(static_cast<float>(beats));
  captureSlot_.store(slot);
}

void PatternMemory::remember(const float* voice, int frames) {
  for (int k = 0; k < frames; ++k) {
    for (int d = 0; d < dims_; ++d)
      history_[static_cast<size_t>(d) * historyFrames_ + historyPos_] = voice[d * frames + k];
    historyPos_ = (historyPos_ + 1) % historyFrames_;
    historyFill_ = std::min(historyFill_ + 1, historyFrames_);
  }
}

void PatternMemory::pickUp(float bpm) {
  for (int s = 0; s < kSlots; ++s)
    if (auto c = incoming_[s].take()) slots_[s] = std::move(c);
  const int slot = captureSlot_.exchange(-1);
  if (slot < 0 || slot >= kSlots) return;
  // Capture: the last N frames of voice latents, N = beats at the current tempo.
  const int n = std::clamp(static_cast<int>(captureBeats_.load() * 60.0 / bpm * frameRate_), 1,
                           std::max(1, historyFill_));
  auto clip = std::make_unique<LatentClip>();
  clip->dims = dims_;
  clip->frames = n;
  clip->bpm = bpm;
  clip->source = "voice capture";
  clip->z.assign(static_cast<size_t>(dims_) * n, 0.f);
  for (int k = 0; k < n; ++k) {
    const int h = (historyPos_ - n + k + historyFrames_ * 2) % historyFrames_;
    for (int d = 0; d < dims_; ++d)
      clip->z[static_cast<size_t>(d) * n + k] = history_[static_cast<size_t>(d) * historyFrames_ + h];
  }
  clip->findSlices(frameRate_);
  auto shared = std::make_unique<Captured>();
  shared->slot = slot;
  shared->clip = *clip;
  captured_.write(std::move(shared));
  slots_[slot] = std::move(clip);
}

bool PatternMemory::render(float* out, int frames, int slot, float bpm) {
  slot = std::clamp(slot, 0, kSlots - 1);
  const LatentClip* c = slots_[slot].get();
  if (slot != lastSlot_) {
    pos_ = 0;  // a recalled slot starts from its first frame
    lastSlot_ = slot;
  }
  if (!c || c->frames == 0) {
    std::fill(out, out + static_cast<size_t>(dims_) * frames, 0.f);
    return false;
  }
  // Tempo by slicing (as drum-loop players do): every hit plays at its own speed, only
  // the time between hits stretches or shrinks, so attacks are never smeared or skipped.
  // Slice k starts at output time slices[k] * stretch; inside it the clip plays at 1x and
  // holds the slice's last frame (its decayed tail) if the gap outlasts it.
  const double stretch = c->bpm / std::max(1.f, bpm);
  const double loopLen = c->frames * stretch;
  const std::vector<int>& sl = c->slices;
  for (int k = 0; k < frames; ++k) {
    const double t = std::fmod(pos_, loopLen);
    // The slice playing at output time t: the last one that started at or before t.
    size_t i = 0;
    while (i + 1 < sl.size() && sl[i + 1] * stretch <= t) ++i;
    const int start = sl.empty() ? 0 : sl[i];
    const int end = (i + 1 < sl.size()) ? sl[i + 1] : c->frames;  // exclusive
    const double into = t - start * stretch;
    const double src = std::min(static_cast<double>(start) + into, static_cast<double>(end - 1));
    for (int d = 0; d < dims_; ++d) out[d * frames + k] = c->at(d, src);
    pos_ += 1.0;
    if (pos_ >= loopLen) pos_ -= loopLen;
  }
  return true;
}

void StyleBlender::pickUp() {
  for (int i = 0; i < 2; ++i)
    if (auto c = incoming_[i].take()) {
      anchors_[i] = std::move(c);
      pos_[i] = 0;
    }
}

bool StyleBlender::target(float blend, float* out) const {
  const LatentClip* a = anchors_[0].get();
  const LatentClip* b = anchors_[1].get();
  if (!a && !b) return false;
  for (int d = 0; d < dims_; ++d) {
    const float va = a ? a->at(d, pos_[0]) : b->at(d, pos_[1]);
    const float vb = b ? b->at(d, pos_[1]) : va;
    out[d] = (1.f - blend) * va + blend * vb;
  }
  return true;
}

void StyleBlender::advance() {
  for (int i = 0; i < 2; ++i)
    if (anchors_[i]) pos_[i] = std::fmod(pos_[i] + 1.0, static_cast<double>(anchors_[i]->frames));
}

}  // namespace mm
