#include "ModelSetup.h"

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "AudioFile.h"
#include "InferenceWorker.h"
#include "ModelLibrary.h"
#include "ModelRuntime.h"
#include "Realtime.h"
#include "Resampler.h"
#include "SetListSetup.h"

namespace fs = std::filesystem;

namespace mm {

namespace {

constexpr auto kResetPress = std::chrono::milliseconds(100);

std::string seconds(double s) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f s", s);
  return b;
}

std::string canonical(const std::string& path) {
  std::error_code ec;
  const fs::path p = fs::weakly_canonical(path, ec);
  return ec ? path : p.string();
}

// One library entry's facts, for the browser: its interface read from the file (no probe)
// and the compute `musicmill models` measured, if it has.
ModelView::Entry describeEntry(const LibraryEntry& e, const std::vector<ModelFigure>& figures) {
  ModelView::Entry out;
  out.name = e.name;
  out.path = e.path;
  if (!e.hiddenBy.empty()) {
    out.problem = "hidden by " + e.hiddenBy + " (same name, earlier folder)";
    return out;
  }
  try {
    ModelRuntime::Options o;
    o.probe = false;
    const auto m = ModelRuntime::load(e.path, o);
    const ModelInfo& i = m->info();
    char b[160];
    std::snprintf(b, sizeof b, "%d Hz, ratio %d (%.1f ms a frame), %d dims%s%s", i.sampleRate, i.ratio,
                  1000.0 * i.ratio / i.sampleRate, i.latentSize, i.hasPrior ? ", prior" : "",
                  i.attributes.empty() ? "" : (", " + std::to_string(i.attributes.size()) + " attributes").c_str());
    out.facts = b;
    double ms = -1;
    for (const ModelFigure& f : figures)
      if (f.path == e.path && f.bytes == e.bytes && f.modifiedNs == e.modifiedNs && f.device == "cpu") ms = f.msPerFrame;
    if (ms >= 0) {
      std::snprintf(b, sizeof b, ", %.2f ms compute a frame%s", ms,
                    ms < 1000.0 * i.ratio / i.sampleRate ? "" : " (TOO SLOW for real time here)");
      out.facts += b;
    } else {
      out.facts += ", compute not measured yet (`musicmill models` measures it)";
    }
  } catch (const std::exception& x) {
    out.problem = x.what();
  }
  return out;
}

}  // namespace

ModelPart::ModelPart(App& app) : app_(app) {}

ModelPart::~ModelPart() {
  if (fileLoad_.valid()) fileLoad_.wait();
  if (listing_.valid()) listing_.wait();
}

int ModelPart::attributeIndex(const std::string& name) const {
  const auto& attrs = app_.engine->worker()->info().attributes;
  for (size_t i = 0; i < attrs.size(); ++i)
    if (attrs[i].name == name) return static_cast<int>(i);
  return -1;
}

std::string ModelPart::checkLearnable(const std::string& attribute) const {
  const auto& attrs = app_.engine->worker()->info().attributes;
  const int i = attributeIndex(attribute);
  if (i < 0) {
    std::string names;
    for (const auto& a : attrs) names += (names.empty() ? "" : ", ") + a.name;
    return "the playing model has no attribute '" + attribute + "'" +
           (names.empty() ? std::string(" (it declares none)") : " (it has " + names + ")");
  }
  const ModelAttribute& a = attrs[static_cast<size_t>(i)];
  if (a.type != ModelAttribute::Type::Bool || !a.settable)
    return attribute + " is not an on/off attribute the model can be told (it is " + describeAttribute(a) + ")";
  if (app_.registry->indexOf(attributeParamId(attribute)) < 0)
    return attribute + " has no parameter in this show: start the show with this model (--model) to play it";
  if (!learningInput_.empty() || !learningFile_.empty())
    return "still learning " + (learningInput_.empty() ? learningFileAttr_ + " from " + learningFile_ : learningInput_) +
           "; wait for it to finish";
  return {};
}

void ModelPart::setParam(const std::string& attribute, float value) {
  app_.registry->setById(attributeParamId(attribute), value);
}

std::string ModelPart::learnFromInput(const std::string& attribute, double secs) {
  if (std::string why = checkLearnable(attribute); !why.empty()) return why;
  if (!(secs > 0) || secs > kMaxLearnSeconds) return "learn for 0.1 .. 60 seconds, not " + seconds(secs);
  setParam(attribute, 1.f);
  learningInput_ = attribute;
  learnUntil_ = Clock::now() + std::chrono::microseconds(static_cast<int64_t>(secs * 1e6));
  app_.post("model: " + attribute + " from the input for " + seconds(secs) + ": play the sound to learn now");
  return {};
}

std::string ModelPart::learnFromFile(const std::string& attribute, const std::string& path) {
  if (std::string why = checkLearnable(attribute); !why.empty()) return why;
  const int index = attributeIndex(attribute);
  const ModelInfo info = app_.engine->worker()->info();
  learningFile_ = path;
  learningFileAttr_ = attribute;
  fileLoad_ = std::async(std::launch::async, [path, index, info] {
    lowerThisThreadsPriority(10);
    AudioBuffer a = readAudioFile(path);  // AudioFileError names the file and what is wrong
    const size_t frames = a.samples.size() / static_cast<size_t>(std::max(1, a.channels));
    const size_t keep = std::min(frames, static_cast<size_t>(kMaxLearnSeconds * a.sampleRate));
    std::vector<float> mono(keep, 0.f);
    for (size_t f = 0; f < keep; ++f) {
      float s = 0;
      for (int c = 0; c < a.channels; ++c) s += a.samples[f * static_cast<size_t>(a.channels) + static_cast<size_t>(c)];
      mono[f] = s / static_cast<float>(a.channels);
    }
    auto feed = std::make_unique<FrameProcessor::InputFeed>();
    feed->audio = a.sampleRate == info.sampleRate ? std::move(mono)
                                                  : Resampler::convert(mono, 1, a.sampleRate, info.sampleRate);
    feed->attribute = index;
    return feed;
  });
  app_.post("model: reading " + path + " to learn " + attribute + " from it");
  return {};
}

std::string ModelPart::reset(const std::string& attribute) {
  const int i = attributeIndex(attribute);
  if (i < 0 || app_.engine->worker()->info().attributes[static_cast<size_t>(i)].type != ModelAttribute::Type::Bool ||
      app_.registry->indexOf(attributeParamId(attribute)) < 0)
    return "the playing model has no on/off attribute '" + attribute + "' to press";
  setParam(attribute, 1.f);
  resets_.emplace_back(attribute, Clock::now() + kResetPress);
  return {};
}

void ModelPart::learnOnPreset(const LearnAction& action, const std::string& modelPath) {
  presetLearn_ = action;
  presetLearnModel_ = modelPath;
}

void ModelPart::listLibrary() {
  if (listing_.valid()) return;  // one listing at a time
  const ModelLibrary library = app_.library;
  listing_ = std::async(std::launch::async, [library] {
    lowerThisThreadsPriority(10);
    const std::vector<ModelFigure> figures = readModelFigures();
    std::vector<ModelView::Entry> out;
    for (const LibraryEntry& e : library.list()) out.push_back(describeEntry(e, figures));
    return out;
  });
}

std::string ModelPart::play(const std::string& pathOrName) {
  std::string why;
  const std::string path = app_.library.resolve(pathOrName, "", &why);
  if (path.empty()) return why;
  if (!app_.setList) return "no set-list player to switch models with";
  std::error_code ec;
  app_.setList->player().playModel(path, 50.0, fs::exists(pathOrName, ec) ? app_.library.nameOf(path) : pathOrName);
  return {};
}

void ModelPart::tick() {
  const auto now = Clock::now();
  if (!learningInput_.empty() && now >= learnUntil_) {
    setParam(learningInput_, 0.f);
    app_.post("model: " + learningInput_ + " learned from the input");
    learningInput_.clear();
  }
  for (auto it = resets_.begin(); it != resets_.end();) {
    if (now < it->second) {
      ++it;
      continue;
    }
    setParam(it->first, 0.f);
    app_.post("model: " + it->first + " pressed");
    it = resets_.erase(it);
  }
  if (fileLoad_.valid() && fileLoad_.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
    try {
      auto feed = fileLoad_.get();
      const double secs = static_cast<double>(feed->audio.size()) / app_.engine->worker()->info().sampleRate;
      feeding_ = &app_.engine->worker()->processor();
      feedStarted_ = false;
      feeding_->feed(std::move(feed));
      app_.post("model: learning " + learningFileAttr_ + " from " + learningFile_ + " (" + seconds(secs) +
                "); you hear it through the model meanwhile");
    } catch (const std::exception& e) {
      app_.post("model: cannot learn from " + learningFile_ + ": " + e.what());
      learningFile_.clear();
    }
  }
  if (feeding_) {
    if (auto done = feeding_->finishedFeed()) {
      app_.post("model: " + learningFileAttr_ + " learned from " + learningFile_);
      feeding_ = nullptr;
      learningFile_.clear();
    }
  }
  // Values the model refused, once each.
  const FrameProcessor& proc = app_.engine->worker()->processor();
  if (&proc != refusalsOf_) {
    refusalsOf_ = &proc;
    refusalsSaid_ = proc.attributeRefusals();
  } else if (const uint64_t n = proc.attributeRefusals(); n > refusalsSaid_) {
    refusalsSaid_ = n;
    const int i = proc.lastRefusedAttribute();
    const auto& attrs = proc.info().attributes;
    if (i >= 0 && i < static_cast<int>(attrs.size())) {
      const ModelAttribute& a = attrs[static_cast<size_t>(i)];
      app_.post("model: it refused " + a.name + " = " + formatAttributeValue(a, proc.lastRefusedValue(), "") +
                " and keeps its last value");
    } else {
      app_.post("model: a model refused a value of one of its attributes");
    }
  }
  // A preset's learning, once its model plays and nothing else is learning.
  if (presetLearn_ && learningInput_.empty() && learningFile_.empty() &&
      (presetLearnModel_.empty() || canonical(presetLearnModel_) == canonical(app_.engine->worker()->info().path))) {
    const LearnAction a = *presetLearn_;
    presetLearn_.reset();
    std::string why;
    if (!a.reset.empty()) why = reset(a.reset);
    if (why.empty()) why = a.file.empty() ? learnFromInput(a.attribute, a.seconds) : learnFromFile(a.attribute, a.file);
    if (!why.empty()) app_.post("model: the preset's [learn]: " + why);
  }
  if (listing_.valid() && listing_.wait_for(std::chrono::seconds(0)) == std::future_status::ready) library_ = listing_.get();
}

void ModelPart::fillView(ModelView& v) const {
  InferenceWorker* w = app_.engine->worker();
  const ModelInfo& info = w->info();
  v.path = info.path;
  v.name = fs::path(info.path).stem().string();
  const std::string playing = canonical(info.path);
  v.attributes.clear();
  for (const ModelAttribute& a : info.attributes) {
    ModelView::Attribute x;
    x.name = a.name;
    x.type = a.type == ModelAttribute::Type::Other ? a.typeName : toString(a.type);
    x.param = app_.registry->indexOf(attributeParamId(a.name));
    x.learn = a.type == ModelAttribute::Type::Bool && a.name.rfind("learn_", 0) == 0;
    if (x.learn)
      for (const ModelAttribute& r : info.attributes)
        if (r.name == "reset_" + a.name.substr(6) && r.type == ModelAttribute::Type::Bool) x.reset = r.name;
    v.attributes.push_back(std::move(x));
  }
  v.learning.clear();
  if (!learningInput_.empty()) {
    const double left = std::chrono::duration<double>(learnUntil_ - Clock::now()).count();
    v.learning = learningInput_ + " from the input: " + seconds(std::max(0.0, left)) + " left";
  } else if (!learningFile_.empty()) {
    v.learning = learningFileAttr_ + " from " + fs::path(learningFile_).filename().string() +
                 (feeding_ ? ": " + seconds(feeding_->feedSecondsLeft()) + " left" : ": reading the file");
  }
  v.listing = listing_.valid();
  v.library = library_;
  for (auto& e : v.library) {
    e.playing = canonical(e.path) == playing;
    if (e.playing) v.name = e.name;
  }
  v.loading = app_.setList ? app_.setList->player().modelLoading() : std::string();
}

bool attachModel(App& app) {
  app.model = std::make_unique<ModelPart>(app);
  return true;
}

}  // namespace mm
