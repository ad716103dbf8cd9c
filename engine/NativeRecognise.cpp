#include "NativeRecognise.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace mm::native {

namespace {

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

}  // namespace

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

}  // namespace mm::native
