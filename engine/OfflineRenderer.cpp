#include "OfflineRenderer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>

#include "ModulationSources.h"
#include "Resampler.h"
#include "SignalStages.h"

namespace mm {

namespace {
double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5));
  return v[i];
}
}  // namespace

AudioBuffer renderBuffer(FrameProcessor& proc, ParameterRegistry& registry,
                         const AudioBuffer& input, const RenderOptions& opt, RenderStats* stats) {
  const ModelInfo& info = proc.info();
  const StandardParams sp = StandardParams::resolve(registry);
  const int fileRate = input.sampleRate;
  const long fileFrames = input.frames();
  const long pieces = (fileFrames + kPieceFrames - 1) / kPieceFrames;

  std::vector<float> mono = downmix(input);  // becomes the processed (dry) voice in place
  InputStage inStage;
  inStage.setup(fileRate);
  // Set value + what modulation added in the last model block, as the live callback reads it.
  auto modulated = [&](int index, FrameProcessor::AudioSideParam k) {
    const ParamSpec& spec = registry.spec(index);
    return std::clamp(registry.get(index) + proc.audioSideOffset(k), spec.min, spec.max);
  };
  // What the output stage of each piece will use (its values when the piece played).
  std::vector<float> pieceDryWet(static_cast<size_t>(pieces)), pieceGain(static_cast<size_t>(pieces));

  // Model side: the model-rate accumulator fed piece by piece, a block run when complete.
  const long modelFrames = std::lround(static_cast<double>(fileFrames) * info.sampleRate / fileRate);
  const int block = proc.blockSamples();
  const long blocks = (modelFrames + block - 1) / block;
  const int inCh = info.inChannels, outCh = info.outChannels;
  std::unique_ptr<Resampler> toModel;
  if (fileRate != info.sampleRate) toModel = std::make_unique<Resampler>(fileRate, info.sampleRate, 1, 1);
  std::vector<float> atModel(static_cast<size_t>(blocks) * block + 2 * kPieceFrames * 8, 0.f);
  long modelFill = 0, done = 0;  // model-rate samples received / blocks processed
  std::vector<float> inBlock(static_cast<size_t>(block) * inCh);
  std::vector<float> outBlock(static_cast<size_t>(block) * outCh);
  std::vector<float> wetModel(static_cast<size_t>(blocks) * block * outCh);  // interleaved
  std::vector<double> blockMs;
  blockMs.reserve(static_cast<size_t>(blocks));
  const auto t0 = std::chrono::steady_clock::now();
  auto runReadyBlocks = [&] {
    while (done < blocks && modelFill >= (done + 1) * block) {
      for (int c = 0; c < inCh; ++c)
        std::copy(atModel.begin() + done * block, atModel.begin() + (done + 1) * block,
                  inBlock.begin() + static_cast<long>(c) * block);
      const auto s = std::chrono::steady_clock::now();
      proc.process(inBlock.data(), outBlock.data());
      blockMs.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count());
      for (int i = 0; i < block; ++i)
        for (int c = 0; c < outCh; ++c)
          wetModel[(static_cast<size_t>(done) * block + i) * outCh + c] = outBlock[static_cast<size_t>(c) * block + i];
      ++done;
      if (opt.progress) opt.progress(static_cast<double>(done) / blocks);
    }
  };
  auto feed = [&](const float* x, long n, bool last) {
    if (!toModel) {
      const long take = std::min<long>(n, static_cast<long>(atModel.size()) - modelFill);
      std::copy(x, x + take, atModel.begin() + modelFill);
      modelFill += take;
      return;
    }
    long pos = 0;
    for (;;) {
      long used = 0;
      const long room = static_cast<long>(atModel.size()) - modelFill;
      const long got = toModel->process(x + pos, n - pos, atModel.data() + modelFill, room, &used, last);
      modelFill += got;
      pos += used;
      if ((got == 0 && used == 0) || room - got <= 0 || (pos >= n && !last)) break;
    }
  };

  for (InputAnalyzer* a : opt.analyzers) a->prepare(fileRate, kPieceFrames);
  for (long p = 0; p < pieces; ++p) {
    const long from = p * kPieceFrames;
    const int n = static_cast<int>(std::min<long>(kPieceFrames, fileFrames - from));
    if (opt.beforeBlock) opt.beforeBlock(static_cast<double>(from) / fileRate);
    inStage.process(mono.data() + from, n, modulated(sp.inputGain, FrameProcessor::kInputGain),
                    modulated(sp.gateThreshold, FrameProcessor::kGateThreshold));
    for (InputAnalyzer* a : opt.analyzers) a->analyze(mono.data() + from, n, static_cast<uint64_t>(from));
    pieceDryWet[static_cast<size_t>(p)] = modulated(sp.dryWet, FrameProcessor::kDryWet);
    pieceGain[static_cast<size_t>(p)] = modulated(sp.outputGain, FrameProcessor::kOutputGain);
    feed(mono.data() + from, n, p + 1 == pieces);
    runReadyBlocks();
  }
  // The file's end: the last block is completed with silence.
  if (modelFill < blocks * block) modelFill = blocks * block;
  runReadyBlocks();
  const double compute = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  wetModel.resize(static_cast<size_t>(modelFrames) * outCh);

  AudioBuffer out;
  out.sampleRate = fileRate;
  out.channels = outCh;
  out.samples = Resampler::convert(wetModel, outCh, info.sampleRate, fileRate);
  out.samples.resize(static_cast<size_t>(fileFrames) * outCh, 0.f);  // duration kept exactly

  OutputStage outStage;
  outStage.setup(fileRate);
  if (opt.applyOutputStage)
    for (long p = 0; p < pieces; ++p) {
      const long from = p * kPieceFrames;
      const int n = static_cast<int>(std::min<long>(kPieceFrames, fileFrames - from));
      outStage.process(out.samples.data() + static_cast<size_t>(from) * outCh, mono.data() + from, n, outCh,
                       pieceDryWet[static_cast<size_t>(p)], pieceGain[static_cast<size_t>(p)]);
    }
  if (stats) {
    stats->inputRate = fileRate;
    stats->modelRate = info.sampleRate;
    stats->outputChannels = outCh;
    stats->inputFrames = fileFrames;
    stats->blocks = blocks;
    stats->computeSeconds = compute;
    stats->audioSeconds = static_cast<double>(modelFrames) / info.sampleRate;
    stats->medianBlockMs = percentile(blockMs, 0.5);
    stats->p99BlockMs = percentile(blockMs, 0.99);
    stats->maxBlockMs = percentile(blockMs, 1.0);
    stats->limitedSamples = outStage.limitedSamples();
    stats->nonFiniteBlocks = proc.nonFiniteBlocks();
  }
  return out;
}

}  // namespace mm
