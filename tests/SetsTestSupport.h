// Helpers for the [sets] tests: writing files, finding a reported problem, and a fake
// ModelSwitcher that records what the set-list player asked of the engine.
#pragma once

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "JackHarness.h"  // readFile
#include "LoadReport.h"
#include "ModelRuntime.h"
#include "ModelSwitcher.h"
#include "ModulationRoute.h"
#include "Parameters.h"
#include "SetList.h"

// Own namespace: other test-support headers define helpers with the same names (an inline
// mmtest::writeText returning void), and inline functions of one name are merged at link.
namespace setstest {

using mmtest::readFile;

inline std::string writeText(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  return path;
}

inline bool endsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// True when `report` holds a problem of `severity` in a file whose path ends with `file`,
// at `line` (0: any line), whose message contains `text`.
inline bool hasProblem(const mm::LoadReport& report, mm::Severity severity, const std::string& file, int line,
                       const std::string& text) {
  for (const auto& p : report.problems())
    if (p.severity == severity && endsWith(p.file, file) && (line == 0 || p.line == line) &&
        p.message.find(text) != std::string::npos)
      return true;
  return false;
}

class FakeSwitcher : public mm::ModelSwitcher {
 public:
  struct Select {
    int slot;
    double crossfadeMs;
  };
  std::vector<std::string> added;
  std::vector<Select> selects;
  int current = 0;
  bool refuseSelect = false;

  // `added` records "PATH", or "PATH + PARTNER" for a blend.
  int addModel(const std::string& path, const std::string& partner = "") override {
    for (const std::string* p : {&path, &partner})
      if (p->find("broken") != std::string::npos)
        throw mm::ModelError(mm::ModelErrorKind::NotTorchScript, "'" + *p + "' is not a TorchScript model");
    added.push_back(partner.empty() ? path : path + " + " + partner);
    return static_cast<int>(added.size());  // slot 0 is the model playing at start
  }
  // Loads "in the background" at once; the result comes with the next finishedLoad().
  bool startLoad(const std::string& path, const std::string& partner = "") override {
    if (pending) return false;
    Loaded r;
    r.path = path;
    r.partner = partner;
    try {
      r.slot = addModel(path, partner);
    } catch (const std::exception& e) {
      r.error = e.what();
    }
    pending = r;
    return true;
  }
  std::optional<Loaded> finishedLoad() override {
    auto r = pending;
    pending.reset();
    return r;
  }
  std::optional<Loaded> pending;
  void selectModel(int slot, double crossfadeMs) override {
    if (refuseSelect) throw std::runtime_error("cannot switch now");
    selects.push_back({slot, crossfadeMs});
    current = slot;
  }
  int currentModel() const override { return current; }
};

// A modulation route from its --mod text (the instrument's one route type), checked
// against the standard registry of a 4-dimension model.
inline mm::ModRoute route(const std::string& text) {
  static const auto registry = mm::makeStandardRegistry(4);
  std::string error;
  auto r = mm::parseRoute(text, *registry, &error);
  if (!r) throw std::runtime_error(error);
  return *r;
}

// A set-list part playing `model` at `energy` (gate off, so a test signal passes).
inline mm::Part partOnModel(const std::string& name, const std::string& model, float energy) {
  mm::Part p;
  p.name = name;
  p.preset.name = name;
  p.preset.model = model;
  p.preset.params = {{"energy", energy}, {"gate.threshold", -90.f}};
  return p;
}

}  // namespace setstest
