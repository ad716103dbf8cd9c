#include "MidiLearn.h"

#include <algorithm>

namespace mm {

void MidiLearnDetector::feed(const MidiEvent& e) {
  if (!e.isChannelMessage() || e.size < 2) return;
  const uint8_t kind = e.kind();
  if (!started_) {
    MidiBinding b;
    b.channel = e.channel();
    if (kind == midi::NoteOn && e.size == 3 && e.bytes[2] > 0) {
      b.source = ControlSource::Note;
      b.number = e.bytes[1];
      decided_ = true;
    } else if (kind == midi::PitchBend) {
      b.source = ControlSource::PitchBend;
      decided_ = true;
    } else if (kind == midi::ChannelPressure) {
      b.source = ControlSource::Aftertouch;
      decided_ = true;
    } else if (kind == midi::ControlChange && e.size == 3) {
      b.source = ControlSource::Cc;
      b.number = e.bytes[1];
      values_.push_back(e.bytes[2]);
    } else {
      return;  // note off, program change, poly pressure: not a control to learn
    }
    found_ = b;
    started_ = true;
    firstTime_ = e.time;
    return;
  }
  if (decided_ || kind != midi::ControlChange || e.size != 3 || e.channel() != found_.channel) return;
  if (e.bytes[1] == found_.number) values_.push_back(e.bytes[2]);
  else if (found_.number < 32 && e.bytes[1] == found_.number + 32) lsbSeen_ = true;
}

std::optional<MidiBinding> MidiLearnDetector::result(double now) const {
  if (!started_) return std::nullopt;
  if (decided_) return found_;
  if (now - firstTime_ < settle_) return std::nullopt;
  MidiBinding b = found_;
  if (lsbSeen_) {
    b.source = ControlSource::Cc14;
    return b;
  }
  bool repeats = false;
  for (size_t i = 1; i < values_.size(); ++i) repeats |= values_[i] == values_[i - 1];
  const auto within = [&](int lo, int hi) {
    return std::all_of(values_.begin(), values_.end(), [&](int v) { return v >= lo && v <= hi; });
  };
  const bool onlyEnds = std::all_of(values_.begin(), values_.end(), [](int v) { return v == 0 || v == 127; });
  // Encoders repeat one value while turning (127, 127, 127 is "down" in two's complement);
  // a button alternates 127 and 0; an absolute knob never sends the same value twice running.
  if (repeats && values_.size() >= 3) {
    const bool small = std::all_of(values_.begin(), values_.end(), [](int v) { return v <= 15 || v >= 113; });
    if (small) b.relative = RelativeMode::TwosComplement;
    else if (within(49, 79)) b.relative = RelativeMode::BinaryOffset;
  } else if (onlyEnds) {
    b.button = ButtonMode::Momentary;  // a CC button: 127 pressed, 0 released
  }
  return b;
}

MidiBinding learnedBinding(MidiBinding b, const ParameterRegistry& registry, int paramIndex) {
  const ParamSpec& spec = registry.spec(paramIndex);
  b.param = spec.id;
  b.paramIndex = paramIndex;
  b.lo = spec.min;
  b.hi = spec.max;
  b.action = MidiAction::None;
  const bool isButton = b.source == ControlSource::Note || b.button != ButtonMode::None;
  if (isButton) b.button = spec.curve == Curve::Toggle ? ButtonMode::Toggle : ButtonMode::Momentary;
  b.takeover = (b.source == ControlSource::PitchBend || b.source == ControlSource::Aftertouch) ? Takeover::Jump
                                                                                               : Takeover::Pickup;
  return b;
}

MidiBinding learnedAction(MidiBinding b, MidiAction action, int value) {
  b.action = action;
  b.actionValue = value;
  b.param.clear();
  b.paramIndex = -1;
  if (b.source == ControlSource::Cc) b.button = ButtonMode::Momentary;
  return b;
}

}  // namespace mm
