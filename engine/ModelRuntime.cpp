#include "ModelRuntime.h"

#include "ModelInterface.h"
#include "NativeNet.h"
#include "NativeRecognise.h"

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
