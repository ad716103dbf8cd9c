#include "NativeNet.h"

#if defined(__APPLE__)
#include <Accelerate/Accelerate.h>
#else
#include <cblas.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <immintrin.h>
#define MM_NATIVE_AVX2 1
#endif

namespace mm {

namespace {

#if MM_NATIVE_AVX2
// A few output steps (nout <= 4) against a weight matrix: the deep layers of a streaming
// model, where one frame is one or two steps and every weight is used that often. BLAS's
// sgemm packs the whole weight matrix into its own layout on every call (for the v2-size
// model: 100 MB a frame read, written and read again); this reads each weight row once
// and keeps the steps' inputs in L1/L2. AVX2 + FMA, chosen at run time.
bool cpuHasAvx2Fma() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}

__attribute__((target("avx2,fma"))) inline float sum8(__m256 v) {
  __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  x = _mm_add_ps(x, _mm_movehl_ps(x, x));
  x = _mm_add_ss(x, _mm_shuffle_ps(x, x, 1));
  return _mm_cvtss_f32(x);
}

// Sixteen weights from j on as two vectors of floats, and one weight as a float: from
// float32, or from bfloat16 widened (a bf16 is the top half of a float32).
__attribute__((target("avx2,fma"))) inline void load16(const float* w, __m256& w0, __m256& w1) {
  w0 = _mm256_loadu_ps(w);
  w1 = _mm256_loadu_ps(w + 8);
}
__attribute__((target("avx2,fma"))) inline void load16(const uint16_t* w, __m256& w0, __m256& w1) {
  const __m256i raw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w));
  w0 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm256_castsi256_si128(raw)), 16));
  w1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm256_extracti128_si256(raw, 1)), 16));
}
inline float one(float w) { return w; }
inline float one(uint16_t w) {
  const uint32_t bits = static_cast<uint32_t>(w) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// y[t*cout + o] = beta*y[t*cout + o] + sum_j w[o*depth + j] * a[t*lda + j], t < T.
template <typename W, int T>
__attribute__((target("avx2,fma"))) void fewStepsAvx2(int cout, int depth, const W* w, const float* a, int lda,
                                                      float beta, float* y) {
  for (int o = 0; o < cout; ++o) {
    const W* wr = w + static_cast<size_t>(o) * depth;
    __m256 acc0[T], acc1[T];
    for (int t = 0; t < T; ++t) acc0[t] = acc1[t] = _mm256_setzero_ps();
    int j = 0;
    for (; j + 16 <= depth; j += 16) {
      __m256 w0, w1;
      load16(wr + j, w0, w1);
      for (int t = 0; t < T; ++t) {
        const float* at = a + static_cast<size_t>(t) * lda + j;
        acc0[t] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(at), acc0[t]);
        acc1[t] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(at + 8), acc1[t]);
      }
    }
    for (int t = 0; t < T; ++t) {
      const float* at = a + static_cast<size_t>(t) * lda;
      float s = sum8(_mm256_add_ps(acc0[t], acc1[t]));
      for (int k = j; k < depth; ++k) s += one(wr[k]) * at[k];
      float& out = y[static_cast<size_t>(t) * cout + o];
      out = beta * out + s;
    }
  }
}

template <typename W>
bool fewSteps(int nout, int cout, int depth, const W* w, const float* a, int lda, float beta, float* y) {
  // MM_NATIVE_BLAS_ONLY=1: every fp32 convolution through BLAS (bench/README.md compares both).
  static const bool blasOnly = std::getenv("MM_NATIVE_BLAS_ONLY") && std::string(std::getenv("MM_NATIVE_BLAS_ONLY")) == "1";
  if ((blasOnly && std::is_same<W, float>::value) || !cpuHasAvx2Fma()) return false;
  switch (nout) {
    case 1: fewStepsAvx2<W, 1>(cout, depth, w, a, lda, beta, y); return true;
    case 2: fewStepsAvx2<W, 2>(cout, depth, w, a, lda, beta, y); return true;
    case 3: fewStepsAvx2<W, 3>(cout, depth, w, a, lda, beta, y); return true;
    case 4: fewStepsAvx2<W, 4>(cout, depth, w, a, lda, beta, y); return true;
    default: return false;
  }
}
#else
template <typename W>
bool fewSteps(int, int, int, const W*, const float*, int, float, float*) { return false; }
#endif

// float -> bfloat16, rounded to nearest even (NaN kept a NaN).
uint16_t toBf16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  if ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu)) return static_cast<uint16_t>((bits >> 16) | 0x40u);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

void ensure(std::vector<float>& v, size_t n) {
  if (v.size() < n) v.resize(n);
}

void leakyRelu(float* x, size_t n, float slope) {
  for (size_t i = 0; i < n; ++i) x[i] = x[i] < 0.f ? x[i] * slope : x[i];
}

std::string where(const char* part, size_t index) {
  return std::string(part) + " layer " + std::to_string(index);
}

// Sizes one convolution over n input steps: checks its input channels, grows the shared
// buffers' high-water marks, adds its multiply-adds. Returns its output steps.
struct Sizer {
  size_t act = 0, xbuf = 0, col = 0;
  double macs = 0;
  int apply(const NativeNet::Conv& c, int n, int ch, const std::string& at) {
    if (c.cin != ch)
      throw std::invalid_argument(at + ": expects " + std::to_string(c.cin) + " channels, gets " + std::to_string(ch));
    if (c.stride < 1 || n % c.stride != 0)
      throw std::invalid_argument(at + ": " + std::to_string(n) + " steps do not divide by stride " +
                                  std::to_string(c.stride));
    if (c.pad != (c.kernel - 1) * c.dilation + 1 - c.stride)
      throw std::invalid_argument(at + ": left context " + std::to_string(c.pad) + " is not causal for its kernel");
    if (c.weight.size() != static_cast<size_t>(c.cout) * c.cin * c.kernel ||
        (!c.bias.empty() && c.bias.size() != static_cast<size_t>(c.cout)) ||
        c.history.size() != static_cast<size_t>(c.pad) * c.cin)
      throw std::invalid_argument(at + ": weight, bias or cache has the wrong size");
    const int nout = n / c.stride;
    xbuf = std::max(xbuf, static_cast<size_t>(c.pad + n) * c.cin);
    col = std::max(col, static_cast<size_t>(nout) * c.cin * c.kernel);
    act = std::max({act, static_cast<size_t>(n) * ch, static_cast<size_t>(nout) * c.cout});
    macs += static_cast<double>(nout) * c.cout * c.cin * c.kernel;
    return nout;
  }
  // Walks layers from (n, ch); returns the steps and channels after them.
  void walk(const std::vector<NativeNet::Layer>& layers, int& n, int& ch, const char* part) {
    for (size_t i = 0; i < layers.size(); ++i) {
      const NativeNet::Layer& l = layers[i];
      const std::string at = where(part, i);
      switch (l.op) {
        case NativeNet::Op::Conv:
          n = apply(l.conv, n, ch, at);
          ch = l.conv.cout;
          break;
        case NativeNet::Op::LeakyRelu: break;
        case NativeNet::Op::Residual:
          if (l.conv.stride != 1 || l.conv.cout != ch || l.conv2.kernel != 1 || l.conv2.cout != ch)
            throw std::invalid_argument(at + ": a residual block must keep its steps and channels");
          apply(l.conv, n, ch, at);
          apply(l.conv2, n, ch, at);
          break;
        case NativeNet::Op::SubPixel:
          if (l.upStride < 1 || l.conv.stride != 1 || l.conv.cout % l.upStride != 0)
            throw std::invalid_argument(at + ": sub-pixel channels do not divide by its stride");
          apply(l.conv, n, ch, at);
          n *= l.upStride;
          ch = l.conv.cout / l.upStride;
          act = std::max(act, static_cast<size_t>(n) * ch);
          break;
      }
    }
  }
};

}  // namespace

void NativeNet::grow(int frames) {
  Sizer s;
  int n = ratio_ * frames;
  if (encBands < 1 || n % encBands != 0) throw std::invalid_argument("encoder: ratio does not divide by its bands");
  s.act = static_cast<size_t>(n);
  n /= encBands;
  int ch = encBands;
  s.walk(encoder, n, ch, "encoder");
  if (n != frames || ch < latentSize)
    throw std::invalid_argument("encoder: ends with " + std::to_string(n) + " steps of " + std::to_string(ch) +
                                " channels for " + std::to_string(frames) + " frames of " +
                                std::to_string(latentSize) + " latents");
  n = frames;
  ch = latentSize;
  s.walk(decoder, n, ch, "decoder");
  const int outBands = outChannels * decBands;
  n = s.apply(out, n, ch, "decoder output");
  if (out.cout != outBands + noise.channels || n * decBands != ratio_ * frames)
    throw std::invalid_argument("decoder output: " + std::to_string(out.cout) + " channels over " + std::to_string(n) +
                                " steps do not make " + std::to_string(outChannels) + " channels of " +
                                std::to_string(ratio_) + " samples a frame");
  if (noise.channels > 0) {
    if (noise.table.size() != static_cast<size_t>(noise.channels) * noise.length || noise.length < 1 ||
        noise.mix.size() != static_cast<size_t>(outBands) * noise.channels)
      throw std::invalid_argument("decoder noise: table or mix has the wrong size");
    s.apply(noise.colour, n, noise.channels, "decoder noise filter");
    s.macs += static_cast<double>(n) * outBands * noise.channels;
    ensure(nz_, static_cast<size_t>(n) * noise.channels);
    ensure(nzc_, static_cast<size_t>(n) * noise.channels);
  }
  ensure(act_, s.act);
  ensure(tmp_, s.act);
  ensure(tmp2_, s.act);
  ensure(xbuf_, s.xbuf);
  ensure(col_, std::max<size_t>(1, s.col));
  if (frames > frames_) frames_ = frames;
  flops_ = 2.0 * s.macs / frames;
}

void NativeNet::prepare(int ratio, int frames) {
  ratio_ = ratio;
  frames_ = 0;
  grow(std::max(1, frames));
}

double NativeNet::flopsPerFrame() const { return flops_; }

double NativeNet::weightBytes() const {
  size_t n = out.weight.size() + out.bias.size() + noise.colour.weight.size() + noise.colour.bias.size() + noise.mix.size();
  for (const auto* layers : {&encoder, &decoder})
    for (const Layer& l : *layers)
      n += l.conv.weight.size() + l.conv.bias.size() + l.conv2.weight.size() + l.conv2.bias.size();
  return 4.0 * static_cast<double>(n);
}

void NativeNet::useBf16() {
  auto round = [](Conv& c) {
    c.weightBf16.resize(c.weight.size());
    for (size_t i = 0; i < c.weight.size(); ++i) {
      c.weightBf16[i] = toBf16(c.weight[i]);
      const uint32_t bits = static_cast<uint32_t>(c.weightBf16[i]) << 16;
      std::memcpy(&c.weight[i], &bits, sizeof(float));
    }
  };
  for (auto* layers : {&encoder, &decoder})
    for (Layer& l : *layers) {
      round(l.conv);
      if (l.op == Op::Residual) round(l.conv2);
    }
  round(out);
  if (noise.channels > 0) round(noise.colour);
  bf16_ = true;
}

void NativeNet::reset() {
  for (auto* layers : {&encoder, &decoder})
    for (Layer& l : *layers) {
      l.conv.history = l.conv.initialHistory;
      l.conv2.history = l.conv2.initialHistory;
    }
  out.history = out.initialHistory;
  noise.colour.history = noise.colour.initialHistory;
  noise.pos = noise.initialPos;
}

// y[t][o] = bias[o] + sum_{i,k} w[o][i][k] * x'[t*stride + k*dilation][i], where x' is the
// kept history followed by x (both time-major). One GEMM (or GEMV for a single step) on
// an im2col copy whose rows match the weights' [cin][kernel] order.
void NativeNet::conv(Conv& c, const float* x, int n, float* y) {
  const int total = c.pad + n, nout = n / c.stride, depth = c.cin * c.kernel;
  float* xb = xbuf_.data();
  if (c.pad > 0) std::memcpy(xb, c.history.data(), sizeof(float) * c.history.size());
  std::memcpy(xb + static_cast<size_t>(c.pad) * c.cin, x, sizeof(float) * static_cast<size_t>(n) * c.cin);
  const float* a = xb;
  int lda = c.stride * c.cin;
  if (c.kernel > 1) {
    float* col = col_.data();
    for (int t = 0; t < nout; ++t) {
      float* row = col + static_cast<size_t>(t) * depth;
      for (int k = 0; k < c.kernel; ++k) {
        const float* src = xb + static_cast<size_t>(t * c.stride + k * c.dilation) * c.cin;
        for (int i = 0; i < c.cin; ++i) row[i * c.kernel + k] = src[i];
      }
    }
    a = col;
    lda = depth;
  }
  float beta = 0.f;
  if (!c.bias.empty()) {
    for (int t = 0; t < nout; ++t) std::memcpy(y + static_cast<size_t>(t) * c.cout, c.bias.data(), sizeof(float) * c.cout);
    beta = 1.f;
  }
  if (!c.weightBf16.empty() && fewSteps(nout, c.cout, depth, c.weightBf16.data(), a, lda, beta, y)) {
    // done, from the 2-byte copy
  } else if (fewSteps(nout, c.cout, depth, c.weight.data(), a, lda, beta, y)) {
    // done
  } else if (nout == 1)
    cblas_sgemv(CblasRowMajor, CblasNoTrans, c.cout, depth, 1.f, c.weight.data(), depth, a, 1, beta, y, 1);
  else
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nout, c.cout, depth, 1.f, a, lda, c.weight.data(), depth,
                beta, y, c.cout);
  if (c.pad > 0)
    std::memcpy(c.history.data(), xb + static_cast<size_t>(total - c.pad) * c.cin,
                sizeof(float) * static_cast<size_t>(c.pad) * c.cin);
}

void NativeNet::run(std::vector<Layer>& layers, std::vector<float>& act, int& n, int& ch) {
  for (Layer& l : layers) {
    switch (l.op) {
      case Op::Conv:
        conv(l.conv, act.data(), n, tmp_.data());
        std::swap(act, tmp_);
        n /= l.conv.stride;
        ch = l.conv.cout;
        break;
      case Op::LeakyRelu: leakyRelu(act.data(), static_cast<size_t>(n) * ch, l.slope); break;
      case Op::Residual: {
        const size_t size = static_cast<size_t>(n) * ch;
        std::memcpy(tmp_.data(), act.data(), sizeof(float) * size);
        leakyRelu(tmp_.data(), size, l.slope);
        conv(l.conv, tmp_.data(), n, tmp2_.data());
        leakyRelu(tmp2_.data(), size, l.slope);
        conv(l.conv2, tmp2_.data(), n, tmp_.data());
        float* a = act.data();
        const float* r = tmp_.data();
        for (size_t i = 0; i < size; ++i) a[i] += r[i];
        break;
      }
      case Op::SubPixel: {
        conv(l.conv, act.data(), n, tmp_.data());
        const int s = l.upStride, wide = l.conv.cout, narrow = wide / s;
        float* a = act.data();
        const float* t = tmp_.data();
        for (int step = 0; step < n; ++step)
          for (int c = 0; c < narrow; ++c)
            for (int j = 0; j < s; ++j)
              a[(static_cast<size_t>(step) * s + j) * narrow + c] = t[static_cast<size_t>(step) * wide + c * s + j];
        n *= s;
        ch = narrow;
        break;
      }
    }
  }
}

void NativeNet::encode(const float* in, int n, float* z) {
  const int frames = n / ratio_;
  if (frames > frames_) grow(frames);
  // Polyphase bands of a mono signal, time-major: the samples as they are.
  std::memcpy(act_.data(), in, sizeof(float) * static_cast<size_t>(n));
  int steps = n / encBands, ch = encBands;
  run(encoder, act_, steps, ch);
  const float* a = act_.data();
  for (int d = 0; d < latentSize; ++d)
    for (int t = 0; t < frames; ++t) z[static_cast<size_t>(d) * frames + t] = a[static_cast<size_t>(t) * ch + d];
}

void NativeNet::decode(const float* z, int frames, float* y) {
  if (frames > frames_) grow(frames);
  float* a = act_.data();
  for (int t = 0; t < frames; ++t)
    for (int d = 0; d < latentSize; ++d) a[static_cast<size_t>(t) * latentSize + d] = z[static_cast<size_t>(d) * frames + t];
  int n = frames, ch = latentSize;
  run(decoder, act_, n, ch);
  conv(out, act_.data(), n, tmp_.data());
  const int outBands = outChannels * decBands, width = out.cout, nc = noise.channels;
  float* h = tmp_.data();
  if (nc > 0) {
    // amp = sigmoid(h[:, bands:] - offset); noise = colour(table at pos..pos+n) * amp;
    // bands += mix(noise).
    float* nz = nz_.data();
    for (int t = 0; t < n; ++t) {
      const int64_t p = (noise.pos + t) % noise.length;
      for (int c = 0; c < nc; ++c) nz[static_cast<size_t>(t) * nc + c] = noise.table[static_cast<size_t>(c) * noise.length + p];
    }
    noise.pos = (noise.pos + n) % noise.length;
    float* m = nzc_.data();
    conv(noise.colour, nz, n, m);
    for (int t = 0; t < n; ++t)
      for (int c = 0; c < nc; ++c) {
        const float v = h[static_cast<size_t>(t) * width + outBands + c] - noise.ampOffset;
        m[static_cast<size_t>(t) * nc + c] *= 1.f / (1.f + std::exp(-v));
      }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, outBands, nc, 1.f, m, nc, noise.mix.data(), nc, 1.f, h,
                width);
  }
  // Inverse polyphase: channel c's band j at step t is sample t*bands + j.
  const int samples = n * decBands;
  for (int c = 0; c < outChannels; ++c)
    for (int t = 0; t < n; ++t)
      for (int j = 0; j < decBands; ++j)
        y[static_cast<size_t>(c) * samples + static_cast<size_t>(t) * decBands + j] =
            h[static_cast<size_t>(t) * width + c * decBands + j];
}

}  // namespace mm
