// NativeNet: the bundled model family (models/mmnn.py: causal cached convolutions,
// residual blocks, sub-pixel upsampling, a filtered-noise branch, polyphase bands) run
// without TorchScript. Every convolution is one BLAS call on the model's own weights,
// into buffers made once; a frame costs its arithmetic and its weight reads, not ~600
// interpreter and allocator round trips (bench/README.md, "native executor").
//
// Built by ModelRuntime from a loaded module it recognises, and checked there against
// TorchScript before it is used (outputs within 1e-4); everything else stays on
// TorchScript. Torch-free: plain floats in, plain floats out.
//
// Threads: like ModelRuntime's encode/decode, one thread at a time (the streaming state
// is inside). Buffers grow only when a call is longer than any before it.
#pragma once

#include <cstdint>
#include <vector>

namespace mm {

class NativeNet {
 public:
  // One causal convolution: weights [cout][cin][kernel] (PyTorch's layout), `pad` samples
  // of left context kept between calls ([pad][cin], time-major), stride/dilation as in
  // nn.Conv1d. pad 0 with kernel 1: a plain 1x1 convolution.
  struct Conv {
    int cin = 0, cout = 0, kernel = 1, stride = 1, dilation = 1, pad = 0;
    std::vector<float> weight, bias;  // bias empty: none
    std::vector<uint16_t> weightBf16;  // useBf16(): the same weights as bfloat16 (weight holds their values)
    std::vector<float> history;       // [pad][cin], the stream so far
    std::vector<float> initialHistory;
  };
  enum class Op { Conv, LeakyRelu, Residual, SubPixel };
  struct Layer {
    Op op = Op::Conv;
    Conv conv;          // Conv; Residual: the kernel-k convolution; SubPixel: the one before the reshape
    Conv conv2;         // Residual: the 1x1 convolution
    float slope = 0.2f;  // LeakyRelu, and both activations of a Residual
    int upStride = 1;   // SubPixel
  };
  struct Noise {  // Decoder's filtered-noise branch (channels 0: none)
    int channels = 0, length = 1;
    std::vector<float> table;  // [channels][length]
    int64_t pos = 0, initialPos = 0;
    Conv colour;
    std::vector<float> mix;  // [outBands][channels], no bias
    float ampOffset = 3.f;
  };

  // Encoder: mono in, `bands` polyphase bands, layers, `latent` of its channels out.
  int encBands = 1, latentSize = 0;
  std::vector<Layer> encoder;
  // Decoder: latentSize in, layers, then `out` to outChannels*decBands (+ noise) bands.
  int decBands = 1, outChannels = 1;
  std::vector<Layer> decoder;
  Conv out;
  Noise noise;

  // After the layers are set: checks that the shapes chain (throws std::invalid_argument
  // saying where they do not), sizes the buffers for `frames` frames of `ratio` samples.
  void prepare(int ratio, int frames);
  // `in`: n mono samples (n a multiple of ratio); `z`: latentSize planar rows of n/ratio.
  void encode(const float* in, int n, float* z);
  // `z`: latentSize planar rows of `frames`; `out`: outChannels planar rows of frames*ratio.
  void decode(const float* z, int frames, float* out);
  // Back to the state the model was loaded with.
  void reset();
  // Rounds every weight to bfloat16 (8 bits of mantissa, to nearest even) and reads the
  // layers that run a few steps a call (the deep, memory-bound ones) from 2-byte copies:
  // half the bytes a frame. The other layers compute with the same rounded values.
  void useBf16();
  bool bf16() const { return bf16_; }
  // Multiply-adds a frame makes (encode + decode), and weight bytes read per frame.
  double flopsPerFrame() const;
  double weightBytes() const;

 private:
  void run(std::vector<Layer>& layers, std::vector<float>& act, int& n, int& ch);
  void conv(Conv& c, const float* x, int n, float* y);
  void grow(int frames);
  int ratio_ = 1, frames_ = 0;
  bool bf16_ = false;
  double flops_ = 0;
  std::vector<float> act_, tmp_, tmp2_, col_, xbuf_, nz_, nzc_;
};

}  // namespace mm
