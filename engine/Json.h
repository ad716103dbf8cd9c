// JsonWriter: a small streaming JSON writer for reports (--report, inspect --json).
#pragma once

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace mm {

class JsonWriter {
 public:
  JsonWriter& beginObject() { sep(); out_ += '{'; first_.push_back(true); return *this; }
  JsonWriter& endObject() { out_ += '}'; first_.pop_back(); return *this; }
  JsonWriter& beginArray() { sep(); out_ += '['; first_.push_back(true); return *this; }
  JsonWriter& endArray() { out_ += ']'; first_.pop_back(); return *this; }
  JsonWriter& key(const std::string& k) {
    sep();
    quote(k);
    out_ += ':';
    afterKey_ = true;
    return *this;
  }
  JsonWriter& value(const std::string& s) { sep(); quote(s); return *this; }
  JsonWriter& value(const char* s) { return value(std::string(s)); }
  JsonWriter& value(bool b) { sep(); out_ += b ? "true" : "false"; return *this; }
  JsonWriter& value(int v) { sep(); out_ += std::to_string(v); return *this; }
  JsonWriter& value(long v) { sep(); out_ += std::to_string(v); return *this; }
  JsonWriter& value(unsigned long v) { sep(); out_ += std::to_string(v); return *this; }
  JsonWriter& value(unsigned long long v) { sep(); out_ += std::to_string(v); return *this; }
  JsonWriter& value(double v) {
    sep();
    if (!std::isfinite(v)) { out_ += "null"; return *this; }
    char b[64];
    std::snprintf(b, sizeof b, "%.6g", v);
    out_ += b;
    return *this;
  }
  const std::string& str() const { return out_; }

 private:
  void sep() {
    if (afterKey_) { afterKey_ = false; return; }
    if (!first_.empty()) {
      if (!first_.back()) out_ += ',';
      first_.back() = false;
    }
  }
  void quote(const std::string& s) {
    out_ += '"';
    for (char c : s) {
      switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\n': out_ += "\\n"; break;
        case '\t': out_ += "\\t"; break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            char b[8];
            std::snprintf(b, sizeof b, "\\u%04x", c);
            out_ += b;
          } else {
            out_ += c;
          }
      }
    }
    out_ += '"';
  }
  std::string out_;
  std::vector<bool> first_;
  bool afterKey_ = false;
};

}  // namespace mm
