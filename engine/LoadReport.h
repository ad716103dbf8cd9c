// LoadReport: the problems found while reading a file the performer wrote — a preset, a
// set list, a MIDI mapping or a trigger profile — each naming the file and line, so the
// performer can fix them before the show.
//
// Threads: a plain value, filled by whichever thread loads (main or loader) and read after.
#pragma once

#include <string>
#include <vector>

namespace mm {

enum class Severity { Warning, Error };

struct Problem {
  Severity severity = Severity::Error;
  std::string file;
  int line = 0;  // 1-based; 0 when the problem concerns the whole file
  std::string message;
  // "FILE:LINE: error: MESSAGE" (or "warning"), the form compilers use, so that editors
  // can jump to the place.
  std::string text() const;
};

class LoadReport {
 public:
  void error(const std::string& file, int line, const std::string& message);
  void warn(const std::string& file, int line, const std::string& message);
  void add(const Problem& p) { problems_.push_back(p); }
  void append(const LoadReport& other);

  const std::vector<Problem>& problems() const { return problems_; }
  int errorCount() const;
  int warningCount() const;
  bool empty() const { return problems_.empty(); }
  // Every problem, one per line.
  std::string text() const;

 private:
  std::vector<Problem> problems_;
};

}  // namespace mm
