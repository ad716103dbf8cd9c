#include "TriggerClassifier.h"

#include <algorithm>
#include <cmath>

namespace mm {

namespace {
constexpr int kMaxK = 16;
constexpr float kVoteSoftening = 0.05f;
}  // namespace

TriggerClassifier::TriggerClassifier(const TriggerProfile& profile)
    : classCount_(std::min(static_cast<int>(profile.classes.size()), kMaxTriggerClasses)),
      k_(std::clamp(profile.settings.k, 1, kMaxK)),
      reject_(profile.settings.rejectDistance) {
  constexpr int F = kTriggerFeatureCount;
  mean_.assign(F, 0.f);
  invStd_.assign(F, 1.f);
  std::vector<const std::vector<float>*> rows;
  for (int c = 0; c < classCount_; ++c)
    for (const auto& e : profile.classes[c].examples)
      if (e.size() == static_cast<size_t>(F)) {
        rows.push_back(&e);
        labels_.push_back(c);
      }
  if (rows.empty()) return;
  // Scale per feature over all examples. The spread has a floor (a tenth of the feature's
  // typical size, at least 1e-3) so that a feature every example happens to share does
  // not blow up the distance of the first hit that differs a little.
  for (int f = 0; f < F; ++f) {
    double m = 0, v = 0, a = 0;
    for (const auto* r : rows) m += (*r)[f];
    m /= rows.size();
    for (const auto* r : rows) {
      v += ((*r)[f] - m) * ((*r)[f] - m);
      a += std::fabs((*r)[f]);
    }
    const double sd = std::sqrt(v / rows.size());
    const double floor = std::max(1e-3, 0.1 * a / rows.size());
    mean_[f] = static_cast<float>(m);
    invStd_[f] = static_cast<float>(1.0 / std::max(sd, floor));
  }
  examples_.resize(rows.size() * F);
  for (size_t i = 0; i < rows.size(); ++i)
    for (int f = 0; f < F; ++f) examples_[i * F + f] = ((*rows[i])[f] - mean_[f]) * invStd_[f];
}

TriggerDecision TriggerClassifier::classify(const float* features) const noexcept {
  return classifyExcept(features, -1);
}

TriggerDecision TriggerClassifier::classifyExcept(const float* features, int skip) const noexcept {
  constexpr int F = kTriggerFeatureCount;
  TriggerDecision d;
  const int n = static_cast<int>(labels_.size());
  if (n == 0 || (n == 1 && skip == 0)) return d;
  float x[F];
  for (int f = 0; f < F; ++f) x[f] = (features[f] - mean_[f]) * invStd_[f];
  // The k best, kept sorted by insertion (k <= 16, a few hundred examples at most).
  float bestD[kMaxK];
  int bestL[kMaxK];
  std::fill(bestD, bestD + kMaxK, INFINITY);
  std::fill(bestL, bestL + kMaxK, 0);
  int found = 0;
  float nearestPerClass[kMaxTriggerClasses];
  std::fill(nearestPerClass, nearestPerClass + kMaxTriggerClasses, INFINITY);
  for (int i = 0; i < n; ++i) {
    if (i == skip) continue;
    const float* e = examples_.data() + static_cast<size_t>(i) * F;
    float s = 0.f;
    for (int f = 0; f < F; ++f) s += (x[f] - e[f]) * (x[f] - e[f]);
    const float dist = std::sqrt(s / F);
    nearestPerClass[labels_[i]] = std::min(nearestPerClass[labels_[i]], dist);
    if (found < k_ || dist < bestD[found - 1]) {
      int j = found < k_ ? found++ : found - 1;
      while (j > 0 && bestD[j - 1] > dist) {
        bestD[j] = bestD[j - 1];
        bestL[j] = bestL[j - 1];
        --j;
      }
      bestD[j] = dist;
      bestL[j] = labels_[i];
    }
  }
  float votes[kMaxTriggerClasses] = {};
  for (int j = 0; j < found; ++j) votes[bestL[j]] += 1.f / (bestD[j] + kVoteSoftening);
  int winner = bestL[0];
  for (int c = 0; c < classCount_; ++c)
    if (votes[c] > votes[winner]) winner = c;
  d.nearest = bestL[0];
  d.cls = winner;
  d.distance = nearestPerClass[winner];
  if (reject_ > 0.f && bestD[0] > reject_) {
    d.cls = -1;
    d.distance = bestD[0];
  }
  return d;
}

double leaveOneOutAccuracy(const TriggerProfile& profile, std::vector<std::vector<int>>* confusion) {
  for (const auto& c : profile.classes)
    if (c.examples.size() < 2) return -1;
  // Leaving one example out would also change the scaling a little; the difference is
  // small next to what this estimate is for, and one classifier serves every fold.
  const TriggerClassifier clf(profile);
  const int classes = clf.classCount();
  if (confusion) confusion->assign(classes, std::vector<int>(classes, 0));
  int correct = 0, total = 0, index = 0;
  for (int c = 0; c < classes; ++c)
    for (const auto& e : profile.classes[c].examples) {
      const TriggerDecision d = clf.classifyExcept(e.data(), index++);
      correct += d.cls == c;
      ++total;
      if (confusion && d.cls >= 0) (*confusion)[c][d.cls]++;
    }
  return total ? static_cast<double>(correct) / total : -1;
}

}  // namespace mm
