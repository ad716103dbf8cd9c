// OfflineRenderer: the live processing chain fed by a file instead of a device.
// The file is read in device-sized pieces (kPieceFrames at the file's rate) in one forward
// pass, in the order the live callback and worker run: automation for the piece's time
// (beforeBlock: MIDI performance, --set id=value@SECONDS) -> input stage (input.gain,
// gate) -> voice analysis / triggers -> the model's accumulator (resampled to its rate);
// each model block runs as soon as it is complete, with the parameters and modulation
// sources of that moment, as live. The output stage (dry/wet, output gain, limiter) runs
// per piece with the values that piece had, on the model output aligned with its input
// (offline there is no latency to wait for). So a change at 1 s changes only what follows.
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
  // Called before each piece (kPieceFrames at the file's rate) with its start time in
  // seconds: MIDI-file playback and automation set parameters here, as they would arrive
  // live during that audio block.
  std::function<void(double)> beforeBlock;
  // Voice analysis / triggers run on the processed input exactly as in the live callback
  // (at the file's rate, in 128-sample pieces, interleaved with the model blocks).
  std::vector<class InputAnalyzer*> analyzers;
};

// The audio block offline: the live default buffer.
constexpr int kPieceFrames = 128;

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
