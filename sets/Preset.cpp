#include "Preset.h"

namespace mm {

const char* toString(Polarity p) { return p == Polarity::Bipolar ? "bipolar" : "unipolar"; }

const char* toString(RouteCurve c) {
  switch (c) {
    case RouteCurve::Exponential: return "exponential";
    case RouteCurve::Logarithmic: return "logarithmic";
    case RouteCurve::SCurve: return "s-curve";
    default: return "linear";
  }
}

std::optional<Polarity> polarityFromString(const std::string& s) {
  if (s == "unipolar") return Polarity::Unipolar;
  if (s == "bipolar") return Polarity::Bipolar;
  return std::nullopt;
}

std::optional<RouteCurve> routeCurveFromString(const std::string& s) {
  for (RouteCurve c : {RouteCurve::Linear, RouteCurve::Exponential, RouteCurve::Logarithmic, RouteCurve::SCurve})
    if (s == toString(c)) return c;
  return std::nullopt;
}

}  // namespace mm
