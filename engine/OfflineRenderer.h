// OfflineRenderer: the live processing chain fed by a file instead of a device.
// input file -> downmix -> input stage -> resample to model rate -> FrameProcessor block by
// block -> resample back to the file's rate -> output stage (dry/wet, gain, limiter) -> WAV.
// Threads: the calling thread does everything (it is "the worker" for this model).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "AudioFile.h"
#include "FrameProcessor.h"
#include "ModelRuntime.h"
#include "Parameters.h"

namespace mm {

struct RenderOptions {
  int framesPerBlock = 0;  // 0: defaultFramesPerBlock(ratio), as live
  bool applyOutputStage = true;
  // Called with progress 0..1 after each block (terminal progress bar).
  std::function<void(double)> progress;
  // Called before each block with the block's start time in seconds at the model rate
  // (MIDI-file playback and automation set parameters here, sample-accurately per block).
  std::function<void(double)> beforeBlock;
  // Voice analysis / triggers run on the processed input exactly as in the live callback
  // (at the file's rate, in 128-sample pieces, interleaved with the model blocks).
  std::vector<class InputAnalyzer*> analyzers;
};

struct RenderStats {
  int inputRate = 0, modelRate = 0, outputChannels = 1;
  long inputFrames = 0, blocks = 0;
  double computeSeconds = 0.0, audioSeconds = 0.0;
  double medianBlockMs = 0.0, p99BlockMs = 0.0, maxBlockMs = 0.0;
  unsigned long limitedSamples = 0;
  uint64_t nonFiniteBlocks = 0;
};

// Processes `input` (any rate/channels) through `processor`; returns audio at the
// input's rate with the model's output channel count.
AudioBuffer renderBuffer(FrameProcessor& processor, ParameterRegistry& registry,
                         const AudioBuffer& input, const RenderOptions& options,
                         RenderStats* stats = nullptr);

}  // namespace mm
