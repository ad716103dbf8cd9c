#include "OfflineRenderer.h"

#include <algorithm>
#include <chrono>
#include <cmath>

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

  // Input stage at the file's rate, exactly as the audio callback does at the device rate.
  std::vector<float> mono = downmix(input);
  InputStage inStage;
  inStage.setup(fileRate);
  inStage.process(mono.data(), static_cast<int>(mono.size()), registry.get(sp.inputGain),
                  registry.get(sp.gateThreshold));

  std::vector<float> atModel = Resampler::convert(mono, 1, fileRate, info.sampleRate);
  const long modelFrames = static_cast<long>(atModel.size());
  const int block = proc.blockSamples();
  const long blocks = (modelFrames + block - 1) / block;
  atModel.resize(static_cast<size_t>(blocks) * block, 0.f);

  const int inCh = info.inChannels, outCh = info.outChannels;
  std::vector<float> inBlock(static_cast<size_t>(block) * inCh);
  std::vector<float> outBlock(static_cast<size_t>(block) * outCh);
  std::vector<float> wetModel(static_cast<size_t>(blocks) * block * outCh);  // interleaved
  std::vector<double> blockMs;
  blockMs.reserve(blocks);
  const auto t0 = std::chrono::steady_clock::now();
  for (InputAnalyzer* a : opt.analyzers) a->prepare(fileRate, 128);
  long analyzed = 0;  // file-rate samples already analysed
  for (long b = 0; b < blocks; ++b) {
    if (opt.beforeBlock) opt.beforeBlock(static_cast<double>(b) * block / info.sampleRate);
    // As live: every input sample of this block has been through the analyzers (in
    // callback-sized pieces) before the model processes the block.
    const long until = std::min<long>(fileFrames, static_cast<long>(std::ceil((b + 1.0) * block * fileRate / info.sampleRate)));
    while (analyzed < until) {
      const int n = static_cast<int>(std::min<long>(128, until - analyzed));
      for (InputAnalyzer* a : opt.analyzers) a->analyze(mono.data() + analyzed, n, static_cast<uint64_t>(analyzed));
      analyzed += n;
    }
    for (int c = 0; c < inCh; ++c)
      std::copy(atModel.begin() + b * block, atModel.begin() + (b + 1) * block,
                inBlock.begin() + static_cast<long>(c) * block);
    const auto s = std::chrono::steady_clock::now();
    proc.process(inBlock.data(), outBlock.data());
    blockMs.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count());
    for (int i = 0; i < block; ++i)
      for (int c = 0; c < outCh; ++c)
        wetModel[(static_cast<size_t>(b) * block + i) * outCh + c] = outBlock[static_cast<size_t>(c) * block + i];
    if (opt.progress) opt.progress(static_cast<double>(b + 1) / blocks);
  }
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
    outStage.process(out.samples.data(), mono.data(), static_cast<int>(fileFrames), outCh,
                     registry.get(sp.dryWet), registry.get(sp.outputGain));
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
