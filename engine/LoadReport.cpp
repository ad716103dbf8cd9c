#include "LoadReport.h"

namespace mm {

std::string Problem::text() const {
  std::string s = file;
  if (line > 0) s += ":" + std::to_string(line);
  s += severity == Severity::Error ? ": error: " : ": warning: ";
  s += message;
  return s;
}

void LoadReport::error(const std::string& file, int line, const std::string& message) {
  problems_.push_back({Severity::Error, file, line, message});
}

void LoadReport::warn(const std::string& file, int line, const std::string& message) {
  problems_.push_back({Severity::Warning, file, line, message});
}

void LoadReport::append(const LoadReport& other) {
  problems_.insert(problems_.end(), other.problems_.begin(), other.problems_.end());
}

int LoadReport::errorCount() const {
  int n = 0;
  for (const auto& p : problems_) n += p.severity == Severity::Error;
  return n;
}

int LoadReport::warningCount() const {
  return static_cast<int>(problems_.size()) - errorCount();
}

std::string LoadReport::text() const {
  std::string s;
  for (const auto& p : problems_) s += p.text() + "\n";
  return s;
}

}  // namespace mm
