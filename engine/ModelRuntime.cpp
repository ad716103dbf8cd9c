#include "ModelRuntime.h"

#include "ModelInterface.h"
#include "NativeNet.h"

#include <dlfcn.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif
#include <torch/csrc/jit/api/module.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>

namespace fs = std::filesystem;

namespace mm {

const char* toString(ModelErrorKind k) {
  switch (k) {
    case ModelErrorKind::MissingFile: return "missing-file";
    case ModelErrorKind::EmptyFile: return "empty-file";
    case ModelErrorKind::NotTorchScript: return "not-torchscript";
    case ModelErrorKind::TruncatedArchive: return "truncated-archive";
    case ModelErrorKind::NewerPyTorch: return "newer-pytorch";
    case ModelErrorKind::MissingMethod: return "missing-method";
    case ModelErrorKind::BadInterface: return "bad-interface";
    case ModelErrorKind::WrongOutputShape: return "wrong-output-shape";
    case ModelErrorKind::NonFiniteOutput: return "non-finite-output";
    case ModelErrorKind::DeviceUnavailable: return "device-unavailable";
    case ModelErrorKind::LoadFailed: return "load-failed";
  }
  return "unknown";
}

namespace {

// First line of a LibTorch message, without the C++ backtrace.
std::string firstLine(const std::string& s) {
  const auto nl = s.find('\n');
  std::string line = s.substr(0, nl);
  if (line.size() > 300) line = line.substr(0, 300) + "...";
  return line;
}

bool hasMPS() {
#if defined(__APPLE__)
  return at::hasMPS();
#else
  return false;
#endif
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
  return s;
}

void setThreadsOnce(int threads) {
  static std::once_flag interop;
  std::call_once(interop, [] {
    try {
      at::set_num_interop_threads(1);
    } catch (const c10::Error&) {
      // Already started by an earlier parallel region: harmless.
    }
  });
  at::set_num_threads(std::max(1, threads));
  // at::set_num_threads does not reach OpenBLAS (Debian's LibTorch calls it for every
  // im2col convolution), whose pool defaults to one busy-waiting thread per core. Looked
  // up at run time: builds on MKL, Accelerate or another BLAS simply lack the symbol.
  using SetBlasThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetBlasThreads>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
    set(std::max(1, threads));
}

// LibTorch allocates every activation of a call and frees it at the end. glibc serves big
// blocks with mmap and trims the heap top on free, so each call page-faults its
// activations in again, zero-filled (31,000 faults, ~120 MB, per 200-frame decode of the
// v2-size model: 3x its compute time), and a fault on the worker thread is also a
// real-time hazard. Blocks up to 32 MB (glibc's limit) now come from the heap, which is
// never trimmed: the process keeps its high-water mark instead.
void retainFreedMemoryOnce() {
#if defined(__GLIBC__)
  static std::once_flag once;
  std::call_once(once, [] {
    ::mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    ::mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
  });
#endif
}


// One attribute or buffer as plain values (ModelInterface.h). Never throws: what cannot be
// read is Kind::Other, and interpretModelInterface says what is wrong with it.
RawValue readRawValue(const torch::jit::Module& m, const std::string& name) {
  RawValue v;
  try {
    if (!m.hasattr(name)) return v;
    const c10::IValue a = m.attr(name);
    if (a.isInt()) {
      v.kind = RawValue::Kind::Int;
      v.intValue = a.toInt();
    } else if (a.isDouble()) {
      v.kind = RawValue::Kind::Double;
      v.doubleValue = a.toDouble();
    } else if (a.isTensor()) {
      const at::Tensor& t = a.toTensor();
      v.kind = RawValue::Kind::Tensor;
      v.numel = t.numel();
      v.typeName = std::string(c10::toString(t.scalar_type()));
      if (v.numel > 0) {
        const auto head = t.detach().flatten().slice(0, 0, std::min<int64_t>(v.numel, kRawTensorKeep));
        const auto d = head.to(torch::kCPU).to(torch::kDouble).contiguous();
        v.values.assign(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
      }
    } else {
      v.kind = RawValue::Kind::Other;
      v.typeName = a.tagKind();
    }
  } catch (const std::exception& e) {
    v = RawValue{};
    v.kind = RawValue::Kind::Other;
    v.typeName = "unreadable value (" + firstLine(e.what()) + ")";
  }
  return v;
}

}  // namespace

// One call on two blocks against two calls on one block each, each on a fresh copy of
// the model: the largest difference of the outputs relative to their peak (0 for a
// streaming export, up to float rounding).
static double blockEdgeMismatch(const std::string& path, const ModelRuntime::Options& base, const ModelInfo& info) {
  ModelRuntime::Options o = base;
  o.probe = false;
  o.checkStreaming = false;
  auto whole = ModelRuntime::load(path, o), split = ModelRuntime::load(path, o);
  const int frames = 4, n = frames * info.ratio;
  const int inCh = info.inChannels, outCh = info.outChannels, latent = info.latentSize;
  std::vector<float> x(static_cast<size_t>(inCh) * 2 * n);
  uint32_t seed = 12345;
  for (size_t k = 0; k < x.size(); ++k) {
    seed = seed * 1664525u + 1013904223u;
    x[k] = 0.3f * static_cast<float>(std::sin(0.013 * static_cast<double>(k))) +
           0.1f * (static_cast<float>(seed >> 8) / 16777216.f - 0.5f);
  }
  std::vector<float> z(static_cast<size_t>(latent) * 2 * frames), y(static_cast<size_t>(outCh) * 2 * n);
  whole->encode(x.data(), 2 * n, z.data());
  whole->decode(z.data(), 2 * frames, y.data());
  double peak = 1e-6, worst = 0;
  for (float v : y) peak = std::max(peak, static_cast<double>(std::fabs(v)));
  std::vector<float> xh(static_cast<size_t>(inCh) * n), zh(static_cast<size_t>(latent) * frames),
      yh(static_cast<size_t>(outCh) * n);
  for (int half = 0; half < 2; ++half) {
    for (int c = 0; c < inCh; ++c)
      std::copy_n(x.begin() + static_cast<long>(c) * 2 * n + static_cast<long>(half) * n, n,
                  xh.begin() + static_cast<long>(c) * n);
    split->encode(xh.data(), n, zh.data());
    split->decode(zh.data(), frames, yh.data());
    for (int c = 0; c < outCh; ++c)
      for (int i = 0; i < n; ++i)
        worst = std::max(worst, static_cast<double>(std::fabs(yh[static_cast<size_t>(c) * n + i] -
                                                              y[static_cast<size_t>(c) * 2 * n + half * n + i])));
  }
  return worst / peak;
}

namespace {

RawModelInterface readRawInterface(const torch::jit::Module& m, const std::string& file) {
  RawModelInterface raw;
  for (const auto& method : m.get_methods()) raw.compiledMethods.push_back(method.name());
  for (const auto& b : m.named_buffers(/*recurse=*/false)) raw.bufferNames.push_back(b.name);
  raw.hasGetMethods = m.find_method("get_methods").has_value();
  if (raw.hasGetMethods) {
    try {
      auto list = m.get_method("get_methods")(std::vector<c10::IValue>{});
      for (const auto& s : list.toListRef()) raw.listedMethods.push_back(s.toStringRef());
    } catch (const std::exception& e) {
      throw ModelError(ModelErrorKind::BadInterface,
                       file + ": get_methods() failed (" + firstLine(e.what()) +
                           "). The file does not follow the RAVE export interface.");
    }
  }
  for (const char* name : {"encode_params", "decode_params", "prior_params", "sr", "sampling_rate",
                           "full_latent_size", "latent_size", "pitch_dim", "loudness_dim"})
    raw.attributes[name] = readRawValue(m, name);
  return raw;
}

// Backs the memory of the module's weights and buffers with transparent 2 MB pages:
// MADV_COLLAPSE (Linux 6.1+) rebuilds each 2 MB-aligned region they touch as one huge page,
// synchronously and independently of the system's THP policy (unless it is "never").
// Best effort: a region that cannot be collapsed (not anonymous memory, another VMA in
// it, no free huge page) stays as it was. Returns how many regions were collapsed.
int collapseWeightsToHugePages(const torch::jit::Module& m) {
#if defined(__linux__)
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
  constexpr uintptr_t kHuge = 2u << 20;
  std::vector<uintptr_t> chunks;
  auto add = [&](const at::Tensor& t) {
    if (!t.defined() || !t.device().is_cpu() || t.nbytes() == 0) return;
    const auto begin = reinterpret_cast<uintptr_t>(t.storage().data());
    const auto end = begin + t.storage().nbytes();
    for (uintptr_t c = begin & ~(kHuge - 1); c < end; c += kHuge) chunks.push_back(c);
  };
  for (const auto& p : m.parameters(/*recurse=*/true)) add(p);
  for (const auto& b : m.buffers(/*recurse=*/true)) add(b);
  std::sort(chunks.begin(), chunks.end());
  chunks.erase(std::unique(chunks.begin(), chunks.end()), chunks.end());
  int collapsed = 0;
  for (uintptr_t c : chunks)
    if (::madvise(reinterpret_cast<void*>(c), kHuge, MADV_COLLAPSE) == 0) ++collapsed;
  return collapsed;
#else
  (void)m;
  return 0;
#endif
}

// ---- the native executor: recognising the bundled family (models/mmnn.py) ----
// Reads the module tree as scripted: class names, attributes, weights and the streaming
// state. Anything unexpected throws std::invalid_argument naming the part; the caller
// keeps TorchScript and says why.
namespace native {

using Module = torch::jit::Module;

std::string typeName(const Module& m) {
  const auto q = m.type()->name();
  return q ? q->name() : std::string("?");
}

Module child(const Module& m, const std::string& name, const std::string& at) {
  if (!m.hasattr(name) || !m.attr(name).isModule())
    throw std::invalid_argument(at + " has no part '" + name + "'");
  return m.attr(name).toModule();
}

int64_t intAttr(const Module& m, const std::string& name, const std::string& at) {
  if (!m.hasattr(name) || !m.attr(name).isInt()) throw std::invalid_argument(at + " has no int '" + name + "'");
  return m.attr(name).toInt();
}

int64_t firstOfTuple(const Module& m, const std::string& name, const std::string& at) {
  if (!m.hasattr(name)) throw std::invalid_argument(at + " has no '" + name + "'");
  const c10::IValue v = m.attr(name);
  if (v.isInt()) return v.toInt();
  if (v.isTuple() && v.toTupleRef().elements().size() == 1 && v.toTupleRef().elements()[0].isInt())
    return v.toTupleRef().elements()[0].toInt();
  throw std::invalid_argument(at + "." + name + " is not one int");
}

std::vector<float> floats(const at::Tensor& t) {
  const at::Tensor c = t.detach().to(torch::kCPU).to(torch::kFloat32).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

// nn.Conv1d: weight [cout, cin, k], optional bias, no padding, one group.
NativeNet::Conv conv1d(const Module& m, const std::string& at) {
  if (typeName(m) != "Conv1d") throw std::invalid_argument(at + " is " + typeName(m) + ", not Conv1d");
  const at::Tensor w = m.attr("weight").toTensor();
  if (w.dim() != 3 || w.scalar_type() != torch::kFloat32) throw std::invalid_argument(at + ".weight is not [out, in, k] float32");
  if (firstOfTuple(m, "padding", at) != 0 || intAttr(m, "groups", at) != 1)
    throw std::invalid_argument(at + " pads or groups its input");
  NativeNet::Conv c;
  c.cout = static_cast<int>(w.size(0));
  c.cin = static_cast<int>(w.size(1));
  c.kernel = static_cast<int>(w.size(2));
  c.stride = static_cast<int>(firstOfTuple(m, "stride", at));
  c.dilation = static_cast<int>(firstOfTuple(m, "dilation", at));
  c.weight = floats(w);
  const c10::IValue b = m.attr("bias");
  if (b.isTensor()) c.bias = floats(b.toTensor());
  c.pad = (c.kernel - 1) * c.dilation + 1 - c.stride;
  if (c.pad != 0 || c.stride != 1) throw std::invalid_argument(at + " is a plain Conv1d that is not 1x1");
  return c;
}

// CachedConv1d: a Conv1d behind `pad` samples of cache ([batch, cin, pad]; slot 0 plays).
NativeNet::Conv cachedConv(const Module& m, const std::string& at) {
  if (typeName(m) != "CachedConv1d") throw std::invalid_argument(at + " is " + typeName(m) + ", not CachedConv1d");
  const Module inner = child(m, "conv", at);
  const at::Tensor w = inner.attr("weight").toTensor();
  if (w.dim() != 3) throw std::invalid_argument(at + ".conv.weight is not [out, in, k]");
  NativeNet::Conv c;
  c.cout = static_cast<int>(w.size(0));
  c.cin = static_cast<int>(w.size(1));
  c.kernel = static_cast<int>(w.size(2));
  c.stride = static_cast<int>(firstOfTuple(inner, "stride", at + ".conv"));
  c.dilation = static_cast<int>(firstOfTuple(inner, "dilation", at + ".conv"));
  if (firstOfTuple(inner, "padding", at + ".conv") != 0 || intAttr(inner, "groups", at + ".conv") != 1)
    throw std::invalid_argument(at + ".conv pads or groups its input");
  c.weight = floats(w);
  const c10::IValue b = inner.attr("bias");
  if (b.isTensor()) c.bias = floats(b.toTensor());
  c.pad = static_cast<int>(intAttr(m, "pad", at));
  if (c.pad != (c.kernel - 1) * c.dilation + 1 - c.stride) throw std::invalid_argument(at + ".pad is not causal");
  if (c.pad > 0) {
    if (!m.hasattr("streaming") || !m.attr("streaming").isBool() || !m.attr("streaming").toBool())
      throw std::invalid_argument(at + " is not in streaming mode (exported for training?)");
    const at::Tensor cache = m.attr("cache").toTensor();
    if (cache.dim() != 3 || cache.size(1) != c.cin || cache.size(2) != c.pad)
      throw std::invalid_argument(at + ".cache is not [batch, " + std::to_string(c.cin) + ", " + std::to_string(c.pad) + "]");
    c.history = floats(cache[0].transpose(0, 1));  // [pad][cin]
  }
  c.initialHistory = c.history;
  return c;
}

std::vector<NativeNet::Layer> layers(const Module& seq, const std::string& at) {
  std::vector<NativeNet::Layer> out;
  for (const auto& item : seq.named_children()) {
    const std::string here = at + "." + item.name;
    const std::string kind = typeName(item.value);
    NativeNet::Layer l;
    if (kind == "CachedConv1d") {
      l.op = NativeNet::Op::Conv;
      l.conv = cachedConv(item.value, here);
    } else if (kind == "LeakyReLU") {
      l.op = NativeNet::Op::LeakyRelu;
      if (!item.value.hasattr("negative_slope")) throw std::invalid_argument(here + " has no negative_slope");
      l.slope = static_cast<float>(item.value.attr("negative_slope").toDouble());
    } else if (kind == "ResBlock") {
      l.op = NativeNet::Op::Residual;
      l.conv = cachedConv(child(item.value, "c1", here), here + ".c1");
      l.conv2 = conv1d(child(item.value, "c2", here), here + ".c2");
    } else if (kind == "SubPixelUp") {
      l.op = NativeNet::Op::SubPixel;
      l.conv = cachedConv(child(item.value, "conv", here), here + ".conv");
      l.upStride = static_cast<int>(intAttr(item.value, "stride", here));
      if (intAttr(item.value, "cout", here) * l.upStride != l.conv.cout)
        throw std::invalid_argument(here + ": cout x stride is not its convolution's width");
    } else {
      throw std::invalid_argument(here + " is a " + kind + ", which the native executor does not run");
    }
    out.push_back(std::move(l));
  }
  return out;
}

std::unique_ptr<NativeNet> recognise(const Module& m, const ModelInfo& info) {
  if (info.inChannels != 1) throw std::invalid_argument("it takes " + std::to_string(info.inChannels) + " input channels");
  if (info.hasPrior || !info.attributes.empty())
    throw std::invalid_argument("it has a prior or attributes of its own");
  const Module enc = child(m, "encoder", "the model"), dec = child(m, "decoder", "the model");
  if (typeName(enc) != "Encoder" || typeName(dec) != "Decoder")
    throw std::invalid_argument("its encoder/decoder are " + typeName(enc) + "/" + typeName(dec) +
                                ", not the bundled family's Encoder/Decoder");
  if (intAttr(m, "full_latent_size", "the model") != info.latentSize)
    throw std::invalid_argument("its decoder adds random latents beyond the ones played");
  auto net = std::make_unique<NativeNet>();
  net->latentSize = info.latentSize;
  net->encBands = static_cast<int>(intAttr(enc, "bands", "encoder"));
  net->encoder = layers(child(enc, "net", "encoder"), "encoder.net");
  net->decBands = static_cast<int>(intAttr(dec, "bands", "decoder"));
  // Exports from before stereo models have no out_bands: one channel of `bands` bands.
  const int64_t outBands = dec.hasattr("out_bands") ? intAttr(dec, "out_bands", "decoder") : net->decBands;
  if (net->decBands < 1 || outBands % net->decBands != 0 || outBands / net->decBands != info.outChannels)
    throw std::invalid_argument("decoder.out_bands does not match the declared output channels");
  net->outChannels = info.outChannels;
  net->decoder = layers(child(dec, "net", "decoder"), "decoder.net");
  net->out = cachedConv(child(dec, "out", "decoder"), "decoder.out");
  const int64_t noise = intAttr(dec, "noise", "decoder");
  if (noise > 0) {
    const Module src = child(dec, "source", "decoder");
    if (typeName(src) != "NoiseSource" || !src.attr("streaming").toBool())
      throw std::invalid_argument("decoder.source is not a streaming NoiseSource");
    const at::Tensor table = src.attr("table").toTensor(), pos = src.attr("pos").toTensor();
    if (table.dim() != 2 || table.size(0) != noise || pos.dim() != 1 || pos.numel() < 1)
      throw std::invalid_argument("decoder.source's table or position has an unexpected shape");
    net->noise.channels = static_cast<int>(noise);
    net->noise.length = static_cast<int>(table.size(1));
    net->noise.table = floats(table);
    net->noise.pos = net->noise.initialPos = pos[0].item<int64_t>();
    net->noise.colour = cachedConv(child(dec, "colour", "decoder"), "decoder.colour");
    const NativeNet::Conv mix = conv1d(child(dec, "mix", "decoder"), "decoder.mix");
    if (!mix.bias.empty() || mix.cin != noise) throw std::invalid_argument("decoder.mix is not a bias-free 1x1 mix");
    net->noise.mix = mix.weight;
  }
  net->prepare(info.ratio, 1);
  return net;
}

// Runs the same test signal through TorchScript (advancing `m`'s streams) and the native
// net, calls of 1, 3 and 2 frames; returns the largest difference relative to each
// output's peak (latents and audio alike). The net is reset afterwards.
double compareWithTorchScript(torch::jit::Module& m, NativeNet& net, const ModelInfo& info) {
  c10::InferenceMode guard;
  auto encodeTs = m.get_method("encode");
  auto decodeTs = m.get_method("decode");
  uint32_t seed = 987654321u;
  double worst = 0;
  for (int frames : {1, 3, 2}) {
    const int n = frames * info.ratio;
    std::vector<float> x(static_cast<size_t>(n));
    for (size_t k = 0; k < x.size(); ++k) {
      seed = seed * 1664525u + 1013904223u;
      x[k] = 0.4f * static_cast<float>(std::sin(0.021 * static_cast<double>(k) + frames)) +
             0.2f * (static_cast<float>(seed >> 8) / 16777216.f - 0.5f);
    }
    const at::Tensor zt =
        encodeTs({torch::from_blob(x.data(), {1, 1, n}, torch::kFloat32)}).toTensor().slice(1, 0, info.latentSize).contiguous();
    std::vector<float> z(static_cast<size_t>(info.latentSize) * frames);
    net.encode(x.data(), n, z.data());
    const at::Tensor yt = decodeTs({zt}).toTensor().contiguous();
    std::vector<float> y(static_cast<size_t>(info.outChannels) * n);
    std::vector<float> zin(zt.data_ptr<float>(), zt.data_ptr<float>() + zt.numel());
    net.decode(zin.data(), frames, y.data());
    auto rel = [](const float* ref, const std::vector<float>& got) {
      double peak = 1.0, diff = 0;
      for (size_t i = 0; i < got.size(); ++i) {
        peak = std::max(peak, static_cast<double>(std::fabs(ref[i])));
        diff = std::max(diff, static_cast<double>(std::fabs(ref[i] - got[i])));
        if (!std::isfinite(got[i])) return 1e9;
      }
      return diff / peak;
    };
    if (zt.numel() != static_cast<int64_t>(z.size()) || yt.numel() != static_cast<int64_t>(y.size())) return 1e9;
    worst = std::max({worst, rel(zt.data_ptr<float>(), z), rel(yt.data_ptr<float>(), y)});
  }
  net.reset();
  return worst;
}

// The output level of `b`'s difference from `a` against `a`'s own, in dB, on a test
// signal through encode and decode (calls of 1, 3 and 2 frames; both reset afterwards).
double differenceDb(NativeNet& a, NativeNet& b, const ModelInfo& info) {
  uint32_t seed = 424242u;
  double err = 0, level = 0;
  for (int frames : {1, 3, 2}) {
    const int n = frames * info.ratio;
    std::vector<float> x(static_cast<size_t>(n));
    for (size_t k = 0; k < x.size(); ++k) {
      seed = seed * 1664525u + 1013904223u;
      x[k] = 0.3f * static_cast<float>(std::sin(0.017 * static_cast<double>(k))) +
             0.2f * (static_cast<float>(seed >> 8) / 16777216.f - 0.5f);
    }
    std::vector<float> za(static_cast<size_t>(info.latentSize) * frames), zb(za.size());
    std::vector<float> ya(static_cast<size_t>(info.outChannels) * n), yb(ya.size());
    a.encode(x.data(), n, za.data());
    b.encode(x.data(), n, zb.data());
    a.decode(za.data(), frames, ya.data());
    b.decode(zb.data(), frames, yb.data());
    for (size_t i = 0; i < ya.size(); ++i) {
      err += static_cast<double>(ya[i] - yb[i]) * (ya[i] - yb[i]);
      level += static_cast<double>(ya[i]) * ya[i];
    }
  }
  a.reset();
  b.reset();
  if (!std::isfinite(err)) return 1e9;
  return 10.0 * std::log10(std::max(err, 1e-30) / std::max(level, 1e-30));
}

}  // namespace native

}  // namespace

std::vector<std::string> availableDevices() {
  std::vector<std::string> d{"cpu"};
  if (torch::cuda::is_available()) d.push_back("cuda");
  if (hasMPS()) d.push_back("mps");
  return d;
}

std::string resolveDevice(const std::string& requested) {
  const auto avail = availableDevices();
  if (requested == "auto" || requested.empty()) {
    if (std::find(avail.begin(), avail.end(), "cuda") != avail.end()) return "cuda";
    if (std::find(avail.begin(), avail.end(), "mps") != avail.end()) return "mps";
    return "cpu";
  }
  if (requested != "cpu" && requested != "cuda" && requested != "mps")
    throw ModelError(ModelErrorKind::DeviceUnavailable,
                     "--device '" + requested + "' is not a device name. Use cpu, cuda, mps " +
                         "or auto. Available here: " + joined(avail) + ".");
  if (std::find(avail.begin(), avail.end(), requested) == avail.end())
    throw ModelError(ModelErrorKind::DeviceUnavailable,
                     "--device " + requested + " is not available: this LibTorch build (" +
                         std::string(TORCH_VERSION) + ") offers only " + joined(avail) +
                         ". Use --device " + avail.back() +
                         ", or build against a LibTorch with " + requested +
                         " support through CMAKE_PREFIX_PATH (see README).");
  return requested;
}

struct ModelRuntime::Impl {
  torch::jit::script::Module module;
  c10::Device device{torch::kCPU};
  std::optional<torch::jit::Method> encode, decode, prior;
  std::vector<std::optional<torch::jit::Method>> getters, setters;  // by attribute index
  std::unique_ptr<NativeNet> native;  // set: encode/decode run here, not in TorchScript
};

namespace {

ModelAttribute::Type attributeType(const c10::TypePtr& t) {
  switch (t->kind()) {
    case c10::TypeKind::BoolType: return ModelAttribute::Type::Bool;
    case c10::TypeKind::IntType: return ModelAttribute::Type::Int;
    case c10::TypeKind::FloatType: return ModelAttribute::Type::Float;
    case c10::TypeKind::StringType: return ModelAttribute::Type::String;
    default: return ModelAttribute::Type::Other;
  }
}

bool readAttributeValue(torch::jit::Method& getter, ModelAttribute::Type type, double& number, std::string& text) {
  const c10::IValue v = getter(std::vector<c10::IValue>{});
  switch (type) {
    case ModelAttribute::Type::Bool: number = v.toBool() ? 1 : 0; return true;
    case ModelAttribute::Type::Int: number = static_cast<double>(v.toInt()); return true;
    case ModelAttribute::Type::Float: number = v.toDouble(); return true;
    case ModelAttribute::Type::String: text = v.toStringRef(); return true;
    case ModelAttribute::Type::Other: break;
  }
  return false;
}

// The attributes a model declares (nn_tilde: get_attributes() -> List[str], and for each
// name get_<name>() and set_<name>(value) -> int). What does not fit is listed as it is
// (type Other, or read-only) with a warning, never a refusal: the model still plays.
void discoverAttributes(torch::jit::Module& m, const std::string& file, ModelInfo& info) {
  if (!m.find_method("get_attributes")) return;
  std::vector<std::string> names;
  try {
    const auto list = m.get_method("get_attributes")(std::vector<c10::IValue>{});
    for (const auto& n : list.toListRef()) names.push_back(n.toStringRef());
  } catch (const std::exception& e) {
    info.warnings.push_back(file + ": get_attributes() failed (" + firstLine(e.what()) +
                            "); the model's own controls are not shown.");
    return;
  }
  for (const std::string& name : names) {
    ModelAttribute a;
    a.name = name;
    const auto getter = m.find_method("get_" + name);
    const auto setter = m.find_method("set_" + name);
    if (!getter || getter->function().getSchema().returns().size() != 1) {
      a.typeName = "unknown";
      info.warnings.push_back(file + ": attribute '" + name + "' has no get_" + name + "() to read it; it is not playable.");
      info.attributes.push_back(a);
      continue;
    }
    const c10::TypePtr type = getter->function().getSchema().returns()[0].type();
    a.typeName = type->annotation_str();
    a.type = attributeType(type);
    if (setter) {
      const auto& args = setter->function().getSchema().arguments();  // self, value
      a.settable = args.size() == 2 && attributeType(args[1].type()) == a.type && a.type != ModelAttribute::Type::Other;
    }
    if (a.type != ModelAttribute::Type::Other) {
      try {
        auto g = *getter;
        readAttributeValue(g, a.type, a.value, a.text);
      } catch (const std::exception& e) {
        info.warnings.push_back(file + ": get_" + name + "() failed (" + firstLine(e.what()) + ").");
      }
    }
    if (!a.settable)
      info.warnings.push_back(file + ": attribute '" + name + "' (" + a.typeName + ") has no set_" + name +
                              " taking one " + a.typeName + "; it is shown, not playable.");
    info.attributes.push_back(a);
  }
}

}  // namespace

ModelRuntime::ModelRuntime() : impl_(std::make_unique<Impl>()) {}
ModelRuntime::~ModelRuntime() = default;

std::unique_ptr<ModelRuntime> ModelRuntime::load(const std::string& path, const Options& opt) {
  const std::string file = "Model file '" + path + "'";
  // --- cheap file checks first: clearer than any LibTorch message ---
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw ModelError(ModelErrorKind::MissingFile,
                     file + " does not exist. Check the path (relative paths start from " +
                         fs::current_path(ec).string() + "), or run `musicmill inspect` " +
                         "on the file you meant.");
  if (fs::is_directory(path, ec))
    throw ModelError(ModelErrorKind::NotTorchScript,
                     file + " is a folder, not a model file. Give the .ts file exported by " +
                         "RAVE inside it.");
  const auto size = fs::file_size(path, ec);
  if (ec)
    throw ModelError(ModelErrorKind::MissingFile,
                     file + " cannot be read (" + ec.message() + "). Check its permissions.");
  if (size == 0)
    throw ModelError(ModelErrorKind::EmptyFile,
                     file + " is empty (0 bytes): the export or the copy did not finish. " +
                         "Export the model again, or copy it again from where it came from.");
  {
    std::ifstream in(path, std::ios::binary);
    char magic[4] = {0, 0, 0, 0};
    in.read(magic, 4);
    if (!in || std::memcmp(magic, "PK\x03\x04", 4) != 0)
      throw ModelError(ModelErrorKind::NotTorchScript,
                       file + " is not a TorchScript archive (it does not start like a zip " +
                           "archive). MusicMill plays RAVE models exported with " +
                           "`rave export --streaming` (a .ts file); checkpoints (.ckpt) " +
                           "and other formats must be exported first.");
  }

  // Judged from the archive's own record before LibTorch parses it: a file from a newer
  // PyTorch gets one clear message, whatever LibTorch would have made of it.
  const ArchiveRecords records = readArchiveRecords(path);
  const int archiveVersion = records.version;
  if (archiveVersion > maxReadableArchiveVersion())
    throw ModelError(ModelErrorKind::NewerPyTorch,
                     file + " was written by a newer PyTorch than this LibTorch (" + std::string(TORCH_VERSION) +
                         ") can read (the archive records format version " + std::to_string(archiveVersion) +
                         "; this LibTorch reads up to " + std::to_string(maxReadableArchiveVersion()) +
                         "). Re-export the model with PyTorch " + std::string(TORCH_VERSION) +
                         " or older, or build MusicMill against a newer LibTorch.");

  std::unique_ptr<ModelRuntime> rt(new ModelRuntime());
  ModelInfo& info = rt->info_;
  info.path = path;
  info.archiveVersion = archiveVersion;
  info.writtenBy = archiveWriter(records);
  info.device = resolveDevice(opt.device);
  rt->impl_->device = c10::Device(info.device);
  setThreadsOnce(opt.threads);
  if (opt.retainFreedMemory) retainFreedMemoryOnce();

  try {
    rt->impl_->module = torch::jit::load(path, rt->impl_->device);
    rt->impl_->module.eval();
  } catch (const c10::Error& e) {
    const std::string msg = e.what_without_backtrace();
    if (msg.find("maximum supported version") != std::string::npos ||
        msg.find("Unknown builtin op") != std::string::npos ||
        msg.find("Unknown type name") != std::string::npos)
      throw ModelError(ModelErrorKind::NewerPyTorch,
                       file + " was written by a newer PyTorch than this LibTorch (" +
                           std::string(TORCH_VERSION) + ") can read (" + firstLine(msg) +
                           "). Re-export the model with PyTorch " +
                           std::string(TORCH_VERSION) +
                           " or older, or build MusicMill against a newer LibTorch " +
                           "(CMAKE_PREFIX_PATH, see README).");
    if (msg.find("central directory") != std::string::npos ||
        msg.find("failed reading zip") != std::string::npos ||
        msg.find("file not found") != std::string::npos ||
        msg.find("record") != std::string::npos)
      throw ModelError(ModelErrorKind::TruncatedArchive,
                       file + " is a damaged or truncated TorchScript archive (" +
                           firstLine(msg) + "). The download or copy was probably cut " +
                           "short: copy or export it again.");
    throw ModelError(ModelErrorKind::LoadFailed,
                     file + " could not be loaded by LibTorch: " + firstLine(msg) +
                         ". Check that it is a TorchScript export (torch.jit.save).");
  } catch (const std::exception& e) {
    throw ModelError(ModelErrorKind::LoadFailed,
                     file + " could not be loaded: " + firstLine(e.what()) + ".");
  }

  auto& m = rt->impl_->module;
  // --- discover the interface: read what the file says, then judge it without LibTorch ---
  const std::string device = info.device;
  info = interpretModelInterface(path, readRawInterface(m, file));
  info.device = device;
  info.archiveVersion = archiveVersion;
  info.writtenBy = archiveWriter(records);
  for (const auto& p : m.parameters()) info.parameterCount += p.numel();
  discoverAttributes(m, file, info);

  info.executor = "torchscript";
  if (opt.executor == Options::Executor::TorchScript) {
    info.executorNote = "TorchScript was asked for (--executor torchscript)";
  } else if (!rt->impl_->device.is_cpu()) {
    info.executorNote = "the native executor runs on the CPU only";
  } else {
    bool ran = false;
    try {
      auto net = native::recognise(m, info);
      ran = true;
      const double diff = native::compareWithTorchScript(m, *net, info);
      char amount[48];
      std::snprintf(amount, sizeof amount, "%.1e", diff);
      if (diff <= 1e-4) {
        rt->impl_->native = std::move(net);
        info.executor = "native";
        char cost[96];
        std::snprintf(cost, sizeof cost, "%.1f MFLOP and %.1f MB of weights a frame",
                      rt->impl_->native->flopsPerFrame() / 1e6, rt->impl_->native->weightBytes() / 1e6);
        info.executorNote = std::string("the bundled family (models/mmnn.py), ") + cost +
                            "; matches TorchScript within " + amount + " (checked at load)";
      } else {
        info.executorNote = std::string("recognised, but the native executor differs from TorchScript by ") + amount +
                            " of the peak (more than 1e-4), so TorchScript plays it";
      }
    } catch (const std::invalid_argument& e) {
      info.executorNote = std::string("not an architecture the native executor knows: ") + e.what();
    } catch (const std::exception& e) {
      info.executorNote = "the native executor could not be built (" + firstLine(e.what()) + ")";
    }
    if (ran && !rt->impl_->native) {
      // The comparison moved the module's streams on: start again from the file.
      try {
        m = torch::jit::load(path, rt->impl_->device);
        m.eval();
      } catch (const std::exception& e) {
        throw ModelError(ModelErrorKind::LoadFailed, file + " could not be loaded again: " + firstLine(e.what()) + ".");
      }
    }
  }

  if (opt.weights == Options::Weights::Bf16) {
    if (!rt->impl_->native) {
      info.warnings.push_back(file + ": bf16 weights need the native executor, which does not run this model (" +
                              info.executorNote + "); it plays in fp32.");
    } else {
      auto half = std::make_unique<NativeNet>(*rt->impl_->native);
      half->useBf16();
      const double db = native::differenceDb(*rt->impl_->native, *half, info);
      char text[160];
      if (db <= opt.bf16ToleranceDb) {
        std::snprintf(text, sizeof text, "; bf16 weights: the output differs from fp32 by %.1f dB of its level "
                      "(allowed: %.0f dB or less)", db, opt.bf16ToleranceDb);
        rt->impl_->native = std::move(half);
        info.executorNote += text;
        info.bf16Weights = true;
      } else {
        std::snprintf(text, sizeof text, "%.1f dB of its level (allowed: %.0f dB or less)", db, opt.bf16ToleranceDb);
        info.warnings.push_back(file + ": bf16 weights refused: with them the output differs from fp32 by " + text +
                                "; it plays in fp32.");
      }
    }
  }

  if (opt.graph != Options::Graph::AsLoaded && !rt->impl_->native) {
    // Interface discovery above read attributes that freezing folds away; from here on
    // only the methods are needed. freeze() works on a clone and keeps attributes that a
    // kept method mutates (the streaming caches), so the stream continues across calls.
    std::vector<std::string> keep{"encode", "decode"};
    if (info.hasPrior) keep.push_back("prior");
    for (const ModelAttribute& a : info.attributes) {
      if (m.find_method("get_" + a.name)) keep.push_back("get_" + a.name);
      if (m.find_method("set_" + a.name)) keep.push_back("set_" + a.name);
    }
    try {
      torch::jit::Module frozen = torch::jit::freeze(m, keep);
      if (opt.graph == Options::Graph::FrozenOptimized)
        frozen = torch::jit::optimize_for_inference(frozen, keep);
      rt->impl_->module = frozen;
    } catch (const c10::Error& e) {
      throw ModelError(ModelErrorKind::LoadFailed,
                       file + " could not be frozen for inference (" +
                           firstLine(e.what_without_backtrace()) +
                           "). Load it as it is (ModelRuntime::Options::Graph::AsLoaded).");
    }
  }
  auto& run = rt->impl_->module;
  if (opt.hugePageWeights && rt->impl_->device.is_cpu()) rt->hugePages_ = collapseWeightsToHugePages(run);
  rt->impl_->encode = run.get_method("encode");
  rt->impl_->decode = run.get_method("decode");
  if (info.hasPrior) rt->impl_->prior = run.get_method("prior");
  for (const ModelAttribute& a : info.attributes) {
    std::optional<torch::jit::Method> getter, setter;
    if (a.type != ModelAttribute::Type::Other)
      if (auto g = run.find_method("get_" + a.name)) getter = *g;
    if (a.settable)
      if (auto f = run.find_method("set_" + a.name)) setter = *f;
    rt->impl_->getters.push_back(getter);
    rt->impl_->setters.push_back(setter);
  }
  if (opt.probe) rt->probe();
  if (opt.checkStreaming) {
    double edge = 0;
    try {
      edge = blockEdgeMismatch(path, opt, info);
    } catch (const std::exception&) {
      edge = 0;  // the probe judged the model; this only adds a warning
    }
    info.streaming = edge > 1e-3 ? 0 : 1;
    if (edge > 1e-3) {
      char amount[32];
      std::snprintf(amount, sizeof amount, "%.1f %%", 100.0 * edge);
      info.warnings.push_back(file + " looks exported without streaming: one call on two blocks differs from two calls "
                                     "of one block each by " + amount + " of its peak, so it will click at every block "
                                     "edge when played live. Re-export it with `rave export --streaming`.");
    }
  }
  return rt;
}

std::string ModelRuntime::setAttribute(int index, double number, const std::string& text) {
  if (index < 0 || index >= static_cast<int>(info_.attributes.size())) return "no such attribute";
  const ModelAttribute& a = info_.attributes[static_cast<size_t>(index)];
  auto& setter = impl_->setters[static_cast<size_t>(index)];
  if (!setter) return a.name + " is read-only";
  c10::IValue v;
  switch (a.type) {
    case ModelAttribute::Type::Bool: v = number >= 0.5; break;
    case ModelAttribute::Type::Int: v = static_cast<int64_t>(std::llround(number)); break;
    case ModelAttribute::Type::Float: v = number; break;
    case ModelAttribute::Type::String: v = text; break;
    case ModelAttribute::Type::Other: return a.name + " has a type this instrument cannot set";
  }
  try {
    c10::InferenceMode guard;
    const c10::IValue r = (*setter)(std::vector<c10::IValue>{v});
    if (r.isInt() && r.toInt() != 0)
      return "the model refused " + a.name + " = " + formatAttributeValue(a, number, text) + " (set_" + a.name +
             " answered " + std::to_string(r.toInt()) + ")";
  } catch (const std::exception& e) {
    return "set_" + a.name + " failed: " + firstLine(e.what());
  }
  return {};
}

bool ModelRuntime::readAttribute(int index, double& number, std::string& text) {
  if (index < 0 || index >= static_cast<int>(info_.attributes.size())) return false;
  auto& getter = impl_->getters[static_cast<size_t>(index)];
  if (!getter) return false;
  try {
    c10::InferenceMode guard;
    return readAttributeValue(*getter, info_.attributes[static_cast<size_t>(index)].type, number, text);
  } catch (const std::exception&) {
    return false;
  }
}

static ModelError nonFinite(const std::string& path) {
  return ModelError(ModelErrorKind::NonFiniteOutput,
                    "Model file '" + path + "' produced NaN or infinite audio. " +
                        "The weights are damaged or the training diverged; MusicMill " +
                        "mutes such output. Use another checkpoint or export.");
}

void ModelRuntime::encode(const float* in, int n, float* z) {
  if (impl_->native) {
    impl_->native->encode(in, n, z);
    return;
  }
  c10::InferenceMode guard;
  const int frames = n / info_.ratio;
  auto x = torch::from_blob(const_cast<float*>(in), {1, info_.inChannels, n}, torch::kFloat32);
  if (impl_->device.type() != torch::kCPU) x = x.to(impl_->device);
  at::Tensor out;
  try {
    out = (*impl_->encode)({x}).toTensor();
  } catch (const c10::Error& e) {
    throw ModelError(ModelErrorKind::LoadFailed, "Model file '" + info_.path +
                                                     "': encode failed: " +
                                                     firstLine(e.what_without_backtrace()));
  }
  if (out.dim() != 3 || out.size(0) != 1 || out.size(2) != frames ||
      out.size(1) < std::min(info_.latentSize, info_.encodedLatentSize))
    throw ModelError(ModelErrorKind::WrongOutputShape,
                     "Model file '" + info_.path + "': encode of " + std::to_string(n) +
                         " samples returned shape " + c10::str(out.sizes()) + ", expected [1, " +
                         std::to_string(info_.encodedLatentSize) + ", " +
                         std::to_string(frames) +
                         "]. The model's encode_params do not match what it computes.");
  out = out.to(torch::kCPU).contiguous();
  const int dims = std::min<int>(info_.latentSize, static_cast<int>(out.size(1)));
  const float* src = out.data_ptr<float>();
  std::memcpy(z, src, sizeof(float) * dims * frames);
  if (dims < info_.latentSize)
    std::fill(z + dims * frames, z + info_.latentSize * frames, 0.f);
}

void ModelRuntime::decode(const float* z, int frames, float* out) {
  if (impl_->native) {
    impl_->native->decode(z, frames, out);
    const size_t total = static_cast<size_t>(frames) * info_.ratio * info_.outChannels;
    for (size_t i = 0; i < total; ++i)
      if (!std::isfinite(out[i])) throw nonFinite(info_.path);
    return;
  }
  c10::InferenceMode guard;
  auto t = torch::from_blob(const_cast<float*>(z), {1, info_.latentSize, frames}, torch::kFloat32);
  if (impl_->device.type() != torch::kCPU) t = t.to(impl_->device);
  at::Tensor y;
  try {
    y = (*impl_->decode)({t}).toTensor();
  } catch (const c10::Error& e) {
    throw ModelError(ModelErrorKind::LoadFailed, "Model file '" + info_.path +
                                                     "': decode failed: " +
                                                     firstLine(e.what_without_backtrace()));
  }
  const int64_t n = static_cast<int64_t>(frames) * info_.ratio;
  if (y.dim() != 3 || y.size(0) != 1 || y.size(1) != info_.outChannels || y.size(2) != n)
    throw ModelError(ModelErrorKind::WrongOutputShape,
                     "Model file '" + info_.path + "': decode of " + std::to_string(frames) +
                         " latent frames returned shape " + c10::str(y.sizes()) +
                         ", expected [1, " + std::to_string(info_.outChannels) + ", " +
                         std::to_string(n) + "] (frames x ratio " +
                         std::to_string(info_.ratio) +
                         "). The model is broken or its decode_params are wrong; it cannot " +
                         "be streamed.");
  y = y.to(torch::kCPU).contiguous();
  const float* src = y.data_ptr<float>();
  const int64_t total = n * info_.outChannels;
  for (int64_t i = 0; i < total; ++i) {
    if (!std::isfinite(src[i])) throw nonFinite(info_.path);
  }
  std::memcpy(out, src, sizeof(float) * total);
}

void ModelRuntime::prior(float temperature, int frames, float* z) {
  c10::InferenceMode guard;
  if (!impl_->prior) {
    std::fill(z, z + info_.latentSize * frames, 0.f);
    return;
  }
  // prior(temp): [1, 1, T] -> [1, latent, T * in_ratio / out_ratio].
  const int64_t n = std::max<int64_t>(1, static_cast<int64_t>(frames) * info_.priorOutRatio / info_.priorInRatio);
  at::Tensor y;
  try {
    y = (*impl_->prior)({torch::full({1, 1, n}, temperature).to(impl_->device)}).toTensor().to(torch::kCPU).contiguous();
  } catch (const c10::Error& e) {
    throw ModelError(ModelErrorKind::LoadFailed, "Model file '" + info_.path + "': prior failed: " +
                                                     firstLine(e.what_without_backtrace()));
  }
  std::fill(z, z + info_.latentSize * frames, 0.f);
  if (y.dim() != 3) return;  // dummy scalar: the model has no trained prior
  const int dims = std::min<int>(info_.latentSize, static_cast<int>(y.size(1)));
  const int f = std::min<int>(frames, static_cast<int>(y.size(2)));
  for (int d = 0; d < dims; ++d)
    for (int k = 0; k < f; ++k) z[d * frames + k] = y.data_ptr<float>()[d * y.size(2) + k];
}

void ModelRuntime::probe(int frames) {
  const int n = frames * info_.ratio;
  std::vector<float> in(static_cast<size_t>(n) * info_.inChannels, 0.f);
  std::vector<float> z(static_cast<size_t>(info_.latentSize) * frames);
  std::vector<float> out(static_cast<size_t>(n) * info_.outChannels);
  encode(in.data(), n, z.data());
  for (float v : z)
    if (!std::isfinite(v))
      throw ModelError(ModelErrorKind::NonFiniteOutput,
                       "Model file '" + info_.path + "' encodes silence to NaN or infinite " +
                           "latents. The weights are damaged; use another export.");
  decode(z.data(), frames, out.data());
}

}  // namespace mm
