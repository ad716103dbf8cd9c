// The line format of fuzz/corpus/model_metadata (see fuzz/fuzz_model_metadata.cpp and
// fuzz/README.md): a model file's metadata as plain values. Read by the fuzz target and by
// tests/test_fuzz_regressions.cpp, which replays the corpus in the normal build.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "ModelInterface.h"

namespace mm {

inline RawModelInterface parseModelMetadataText(const std::string& text) {
  auto toNumber = [](const std::string& s) { return std::strtod(s.c_str(), nullptr); };
  RawModelInterface raw;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream in(line);
    std::string key, word;
    in >> key;
    if (key == "get_methods") {
      raw.hasGetMethods = true;
      while (in >> word) raw.listedMethods.push_back(word);
    } else if (key == "buffers") {
      while (in >> word) raw.bufferNames.push_back(word);
    } else if (key == "compiled") {
      while (in >> word) raw.compiledMethods.push_back(word);
    } else if (key == "attr") {
      std::string name, kind;
      in >> name >> kind;
      RawValue v;
      if (kind == "int") {
        v.kind = RawValue::Kind::Int;
        in >> word;
        v.intValue = std::strtoll(word.c_str(), nullptr, 10);
      } else if (kind == "double") {
        v.kind = RawValue::Kind::Double;
        in >> word;
        v.doubleValue = toNumber(word);
      } else if (kind == "tensor") {
        v.kind = RawValue::Kind::Tensor;
        in >> v.typeName >> word;
        v.numel = std::strtoll(word.c_str(), nullptr, 10);
        // What readRawValue keeps: at most kRawTensorKeep elements, never more than numel.
        while (in >> word && static_cast<int64_t>(v.values.size()) < std::min(v.numel, kRawTensorKeep))
          v.values.push_back(toNumber(word));
      } else {
        v.kind = RawValue::Kind::Other;
        in >> v.typeName;
      }
      raw.attributes[name] = v;
    }
  }
  return raw;
}

}  // namespace mm
