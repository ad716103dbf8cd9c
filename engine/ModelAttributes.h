// ModelAttributes: the controls a model declares itself (nn_tilde attributes, as RAVE 2.3
// exports carry them: `get_attributes()` names them, `get_<name>()` reads one and
// `set_<name>(value) -> int` sets it, 0 meaning taken). Plain values, no LibTorch: the
// runtime reads them from the file (ModelRuntime), this file judges what a performer typed
// for them and turns the playable ones into parameters of the registry.
//
// A bool, int or float attribute with a setter is playable: it becomes the parameter
// `attr.<name>` (bool 0/1, int -1000..1000 in steps, float -100..100), so MIDI, OSC, LFOs,
// presets and the UI reach it as they reach any parameter, and the model's own worker calls
// the setter when the value changes (FrameProcessor). A string attribute is set once, with
// `--attr NAME=TEXT`.
//
// Threads: pure functions; any thread but the audio callback (they allocate).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "Parameters.h"

namespace mm {

struct ModelAttribute {
  enum class Type { Bool, Int, Float, String, Other };
  std::string name;
  Type type = Type::Other;
  std::string typeName;   // as TorchScript writes the getter's type ("bool", "float", ...)
  bool settable = false;  // set_<name>(one value of the type) -> int exists
  double value = 0;       // the value when loaded (Bool: 0 or 1)
  std::string text;       // String: the value when loaded
  bool numeric() const { return type == Type::Bool || type == Type::Int || type == Type::Float; }
  bool playable() const { return settable && numeric(); }
};

const char* toString(ModelAttribute::Type type);

// "attr.<name>"
std::string attributeParamId(const std::string& name);
// The attribute's value as a performer reads it: "true", "3", "0.5", "\"text\"".
std::string formatAttributeValue(const ModelAttribute& a, double number, const std::string& text);
// "gain (float, now 1)" / "learn_target (bool, now false)"
std::string describeAttribute(const ModelAttribute& a);

// Parameters for the playable attributes of one or more models, one per name (the first
// model that declares a name gives its type and default).
std::vector<ParamSpec> attributeParamSpecs(const std::vector<std::vector<ModelAttribute>>& models);

// `--attr NAME=VALUE` against a model's attributes. On success fills `index`, `number`
// (bool 0/1, int, float) and `text` (string). On failure returns one line naming the
// argument and what is wrong: an unknown name lists the model's attributes with their
// types, a value of the wrong type says what the attribute takes.
struct AttributeAssignment {
  int index = -1;
  double number = 0;
  std::string text;
};
std::optional<std::string> parseAttributeAssignment(const std::vector<ModelAttribute>& attributes,
                                                    const std::string& argument, AttributeAssignment& out);

}  // namespace mm
