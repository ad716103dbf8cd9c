// TriggerClassifier: k-nearest-neighbour classification of one hit's features against
// the examples of a TriggerProfile. Simple and inspectable: every feature is scaled to
// zero mean and unit spread over all examples (so no feature dominates by its units),
// and the distance is the RMS difference per feature (1.0 = one standard deviation on
// average). The k nearest examples vote, each with weight 1 / (distance + 0.05); ties go
// to the class of the single nearest example.
//
// Threads: built on the control thread (allocates) and then immutable; classify() is
// MM_REALTIME and may run on the audio thread while another thread builds a successor.
#pragma once

#include <string>
#include <vector>

#include "Realtime.h"
#include "TriggerProfile.h"

namespace mm {

struct TriggerDecision {
  int cls = -1;          // class index, -1: no examples, or rejected (too far from all)
  int nearest = -1;      // class of the single nearest example
  float distance = 0.f;  // to the nearest example of `cls` (or of `nearest` when rejected)
};

class TriggerClassifier {
 public:
  explicit TriggerClassifier(const TriggerProfile& profile);

  MM_REALTIME TriggerDecision classify(const float* features) const noexcept;
  // Same, leaving out example `skip` (index over all examples in class order): for
  // leave-one-out estimates.
  MM_REALTIME TriggerDecision classifyExcept(const float* features, int skip) const noexcept;

  int classCount() const { return classCount_; }
  int exampleCount() const { return static_cast<int>(labels_.size()); }
  bool ready() const { return !labels_.empty(); }

 private:
  int classCount_ = 0, k_ = 3;
  float reject_ = 0.f;
  std::vector<float> mean_, invStd_;
  std::vector<float> examples_;  // normalised, exampleCount x kTriggerFeatureCount
  std::vector<int> labels_;
};

// Leave-one-out accuracy of the profile's own examples (0..1; -1 when a class has fewer
// than two examples): a quick check after learning that the sounds are told apart.
double leaveOneOutAccuracy(const TriggerProfile& profile, std::vector<std::vector<int>>* confusion = nullptr);

}  // namespace mm
