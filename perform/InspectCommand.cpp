#include <cstdio>
#include <iostream>
#include <sstream>

#include "Commands.h"
#include "Json.h"
#include "ModelRuntime.h"
#include "Parameters.h"

namespace mm {

void modelInfoJson(JsonWriter& j, const ModelInfo& i) {
  j.key("interface").value(i.interfaceVersion)
      .key("sample_rate").value(i.sampleRate)
      .key("ratio").value(i.ratio)
      .key("frame_ms").value(1000.0 * i.ratio / i.sampleRate)
      .key("latent_size").value(i.latentSize)
      .key("encoded_latent_size").value(i.encodedLatentSize)
      .key("full_latent_size").value(i.fullLatentSize)
      .key("pitch_dim").value(i.pitchDim)
      .key("loudness_dim").value(i.loudnessDim)
      .key("in_channels").value(i.inChannels)
      .key("out_channels").value(i.outChannels)
      .key("stereo").value(i.stereo())
      .key("prior").value(i.hasPrior)
      .key("parameters").value(static_cast<double>(i.parameterCount))
      .key("archive_version").value(i.archiveVersion)
      .key("written_by").value(i.writtenBy)
      .key("executor").value(i.executor)
      .key("executor_note").value(i.executorNote)
      .key("bf16_weights").value(i.bf16Weights)
      .key("streaming").value(i.streaming < 0 ? std::string("not checked") : i.streaming ? "yes" : "no")
      .key("device").value(i.device)
      .key("methods").beginArray();
  for (const auto& m : i.methods) j.value(m);
  j.endArray().key("warnings").beginArray();
  for (const auto& w : i.warnings) j.value(w);
  j.endArray().key("attributes").beginArray();
  for (const ModelAttribute& a : i.attributes) {
    j.beginObject().key("name").value(a.name).key("type").value(a.typeName).key("settable").value(a.settable);
    if (a.type == ModelAttribute::Type::String) j.key("value").value(a.text);
    else if (a.type == ModelAttribute::Type::Bool) j.key("value").value(a.value >= 0.5);
    else if (a.numeric()) j.key("value").value(a.value);
    if (a.playable()) j.key("parameter").value(attributeParamId(a.name));
    j.endObject();
  }
  j.endArray();
}

int runInspect(const Args& args, const char* argv0) {
  const std::string path = args.positional.empty() ? args.get("model", bundledModelPath(argv0))
                                                   : args.positional[0];
  ModelRuntime::Options opt;
  opt.device = args.get("device", "cpu");
  opt.executor = executorOption(args);
  opt.weights = weightsOption(args);
  opt.checkStreaming = true;
  std::unique_ptr<ModelRuntime> model;
  try {
    model = ModelRuntime::load(path, opt);
  } catch (const ModelError& e) {
    if (args.has("json")) {
      JsonWriter j;
      j.beginObject().key("ok").value(false).key("file").value(path).key("error").value(
          toString(e.kind())).key("message").value(e.what()).endObject();
      std::cout << j.str() << "\n";
    } else {
      std::cerr << "musicmill inspect: " << e.what() << "\n";
    }
    return 2;
  }
  const ModelInfo& i = model->info();
  const double frameMs = 1000.0 * i.ratio / i.sampleRate;
  if (args.has("json")) {
    JsonWriter j;
    j.beginObject().key("ok").value(true).key("file").value(i.path);
    modelInfoJson(j, i);
    j.endObject();
    std::cout << j.str() << "\n";
    return 0;
  }
  std::printf("model        %s\n", i.path.c_str());
  std::printf("interface    RAVE v%d export\n", i.interfaceVersion);
  std::printf("sample rate  %d Hz\n", i.sampleRate);
  std::printf("ratio        %d samples per latent frame (%.2f ms)\n", i.ratio, frameMs);
  std::printf("latent size  %d (encode gives %d, full %d)\n", i.latentSize, i.encodedLatentSize,
              i.fullLatentSize);
  if (i.pitchDim >= 0 || i.loudnessDim >= 0)
    std::printf("pitched      the input's pitch in dim %d, its loudness in dim %d (energy, texture, chaos and "
                "style leave them alone)\n", i.pitchDim, i.loudnessDim);
  std::printf("channels     in %d, out %d%s\n", i.inChannels, i.outChannels,
              i.stereo() ? " (stereo decode)" : "");
  std::printf("prior        %s\n", i.hasPrior ? "yes" : "no");
  std::string methods;
  for (const auto& m : i.methods) methods += (methods.empty() ? "" : ", ") + m;
  std::printf("methods      %s\n", methods.c_str());
  std::printf("parameters   %lld\n", static_cast<long long>(i.parameterCount));
  std::printf("archive      format %d (this LibTorch reads up to %d), written by %s\n", i.archiveVersion,
              maxReadableArchiveVersion(), i.writtenBy.empty() ? "an unknown writer" : i.writtenBy.c_str());
  std::printf("device       %s\n", i.device.c_str());
  std::printf("executor     %s: %s\n", i.executor.c_str(), i.executorNote.c_str());
  if (i.attributes.empty()) std::printf("attributes   none\n");
  for (const ModelAttribute& a : i.attributes)
    std::printf("attribute    %s%s\n", describeAttribute(a).c_str(),
                a.playable() ? ("  -> parameter " + attributeParamId(a.name) + ", --attr " + a.name + "=VALUE").c_str()
                             : a.settable ? ("  -> --attr " + a.name + "=VALUE").c_str() : "");
  std::printf("probe        passed (encode/decode of silence, shapes and values checked)\n");
  for (const auto& w : i.warnings) std::printf("warning      %s\n", w.c_str());
  return 0;
}

int runParams(const Args& args, const char* argv0) {
  std::unique_ptr<ParameterRegistry> reg;
  ModelRuntime::Options opt;
  opt.probe = false;
  if (auto m = args.get("model")) {
    try {
      reg = makeShowRegistry(*ModelRuntime::load(*m, opt));
    } catch (const ModelError& e) {
      std::cerr << "musicmill params: " << e.what() << "\n";
      return 2;
    }
  } else {
    try {
      reg = makeShowRegistry(*ModelRuntime::load(bundledModelPath(argv0), opt));
    } catch (const ModelError&) {
      reg = makeStandardRegistry(8);
    }
  }
  std::printf("%-18s %-22s %10s %10s %10s  %s\n", "id", "name", "min", "max", "default", "unit");
  for (int k = 0; k < reg->size(); ++k) {
    const ParamSpec& s = reg->spec(k);
    std::printf("%-18s %-22s %10g %10g %10g  %s\n", s.id.c_str(), s.name.c_str(), s.min, s.max,
                s.def, s.unit.c_str());
  }
  return 0;
}

}  // namespace mm
