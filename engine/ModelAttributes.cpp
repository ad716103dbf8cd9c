#include "ModelAttributes.h"

#include <cmath>
#include <cstdlib>
#include <set>
#include <sstream>

#include "Suggest.h"

namespace mm {

const char* toString(ModelAttribute::Type type) {
  switch (type) {
    case ModelAttribute::Type::Bool: return "bool";
    case ModelAttribute::Type::Int: return "int";
    case ModelAttribute::Type::Float: return "float";
    case ModelAttribute::Type::String: return "str";
    case ModelAttribute::Type::Other: break;
  }
  return "other";
}

std::string attributeParamId(const std::string& name) { return "attr." + name; }

std::string formatAttributeValue(const ModelAttribute& a, double number, const std::string& text) {
  switch (a.type) {
    case ModelAttribute::Type::Bool: return number >= 0.5 ? "true" : "false";
    case ModelAttribute::Type::Int: return std::to_string(static_cast<long long>(std::llround(number)));
    case ModelAttribute::Type::Float: {
      std::ostringstream s;
      s << number;
      return s.str();
    }
    case ModelAttribute::Type::String: return "\"" + text + "\"";
    case ModelAttribute::Type::Other: break;
  }
  return "?";
}

std::string describeAttribute(const ModelAttribute& a) {
  std::string d = a.name + " (" + (a.type == ModelAttribute::Type::Other ? a.typeName : std::string(toString(a.type)));
  if (a.type != ModelAttribute::Type::Other) d += ", now " + formatAttributeValue(a, a.value, a.text);
  if (!a.settable) d += ", read-only";
  return d + ")";
}

std::vector<ParamSpec> attributeParamSpecs(const std::vector<std::vector<ModelAttribute>>& models) {
  std::vector<ParamSpec> specs;
  std::set<std::string> seen;
  for (const auto& attributes : models)
    for (const ModelAttribute& a : attributes) {
      if (!a.playable() || !seen.insert(a.name).second) continue;
      ParamSpec s;
      s.id = attributeParamId(a.name);
      s.name = a.name;
      s.unit = "model attribute";
      s.smoothingMs = 0.f;  // every change is a call into the model: no ramps
      switch (a.type) {
        case ModelAttribute::Type::Bool:
          s.min = 0.f, s.max = 1.f, s.curve = Curve::Toggle;
          break;
        case ModelAttribute::Type::Int:
          s.min = -1000.f, s.max = 1000.f, s.curve = Curve::Stepped;
          break;
        default:
          s.min = -100.f, s.max = 100.f, s.curve = Curve::Linear;
          break;
      }
      s.def = static_cast<float>(std::fmin(std::fmax(a.value, s.min), s.max));
      specs.push_back(std::move(s));
    }
  return specs;
}

namespace {

std::string listAttributes(const std::vector<ModelAttribute>& attributes) {
  if (attributes.empty()) return "the model declares no attributes";
  std::string s = "its attributes: ";
  for (size_t i = 0; i < attributes.size(); ++i) s += (i ? ", " : "") + describeAttribute(attributes[i]);
  return s;
}

bool parseNumber(const std::string& text, double& out) {
  if (text.empty()) return false;
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return end && *end == '\0' && std::isfinite(out);
}

}  // namespace

std::optional<std::string> parseAttributeAssignment(const std::vector<ModelAttribute>& attributes,
                                                    const std::string& argument, AttributeAssignment& out) {
  const std::string where = "--attr '" + argument + "': ";
  const size_t eq = argument.find('=');
  if (eq == std::string::npos || eq == 0) return where + "write NAME=VALUE (" + listAttributes(attributes) + ")";
  const std::string name = argument.substr(0, eq), value = argument.substr(eq + 1);
  int index = -1;
  for (size_t i = 0; i < attributes.size(); ++i)
    if (attributes[i].name == name) index = static_cast<int>(i);
  if (index < 0) {
    std::vector<std::string> names;
    for (const auto& a : attributes) names.push_back(a.name);
    const auto close = closeMatches(name, names);
    return where + "the model has no attribute '" + name + "'" +
           (close.empty() ? std::string() : " (did you mean " + close.front() + "?)") + "; " + listAttributes(attributes);
  }
  const ModelAttribute& a = attributes[static_cast<size_t>(index)];
  if (!a.settable) return where + a.name + " is read-only: the model has no set_" + a.name + " taking one " + a.typeName;
  out = AttributeAssignment{};
  out.index = index;
  double number = 0;
  switch (a.type) {
    case ModelAttribute::Type::Bool:
      if (value == "true" || value == "on" || value == "1") out.number = 1;
      else if (value == "false" || value == "off" || value == "0") out.number = 0;
      else return where + a.name + " is a bool: write true or false (or on/off, 1/0), not '" + value + "'";
      return std::nullopt;
    case ModelAttribute::Type::Int:
      if (!parseNumber(value, number) || number != std::floor(number) || std::fabs(number) > 1000)
        return where + a.name + " is an int: write a whole number in -1000 .. 1000, not '" + value + "'";
      out.number = number;
      return std::nullopt;
    case ModelAttribute::Type::Float:
      if (!parseNumber(value, number) || std::fabs(number) > 100)
        return where + a.name + " is a float: write a number in -100 .. 100, not '" + value + "'";
      out.number = number;
      return std::nullopt;
    case ModelAttribute::Type::String:
      out.text = value;
      return std::nullopt;
    case ModelAttribute::Type::Other:
      break;
  }
  return where + a.name + " has a type this instrument cannot set (" + a.typeName + ")";
}

}  // namespace mm
