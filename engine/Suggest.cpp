#include "Suggest.h"

#include <algorithm>

namespace mm {

size_t editDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::vector<std::string> closeMatches(const std::string& typed, const std::vector<std::string>& candidates,
                                      size_t max) {
  const size_t limit = std::max<size_t>(2, typed.size() / 3);
  std::vector<std::pair<size_t, std::string>> found;
  for (const std::string& c : candidates) {
    const size_t d = editDistance(typed, c);
    const bool contains = typed.size() >= 3 && c.find(typed) != std::string::npos;
    if (d <= limit || contains) found.emplace_back(d, c);
  }
  std::stable_sort(found.begin(), found.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> out;
  for (size_t i = 0; i < found.size() && i < max; ++i) out.push_back(found[i].second);
  return out;
}

}  // namespace mm
