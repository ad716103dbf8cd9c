#include "MidiMapper.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "ControlDecoding.h"

namespace mm {

namespace {
std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

void MidiMapper::setPortNames(const std::vector<std::string>& names) {
  portNames_.clear();
  for (const auto& n : names) portNames_.push_back(lower(n));
}

void MidiMapper::setMaps(std::vector<MidiMap> maps) {
  maps_ = std::move(maps);
  slots_.clear();
  mapPorts_.clear();
  for (const auto& m : maps_) mapPorts_.push_back(lower(m.port));
  for (size_t m = 0; m < maps_.size(); ++m) {
    for (const MidiBinding& b : maps_[m].bindings) {
      if (b.action == MidiAction::None && (b.paramIndex < 0 || b.paramIndex >= registry_.size()))
        continue;
      Slot s;
      s.map = m;
      s.binding = b;
      // Spring-loaded and button controls have no position to pick up.
      const bool absolute = b.button == ButtonMode::None && b.relative == RelativeMode::Absolute;
      s.pickup = PickupFilter(absolute ? b.takeover : Takeover::Jump);
      if (b.paramIndex >= 0) {
        s.nlo = registry_.toNormalized(b.paramIndex, b.lo);
        s.nhi = registry_.toNormalized(b.paramIndex, b.hi);
      }
      slots_.push_back(std::move(s));
    }
  }
}

void MidiMapper::rearmPickup() {
  for (Slot& s : slots_) s.pickup.arm();
}

bool MidiMapper::waitingForPickup(int paramIndex) const {
  for (const Slot& s : slots_)
    if (s.binding.paramIndex == paramIndex && !s.pickup.engaged()) return true;
  return false;
}

bool MidiMapper::mapHears(const MidiMap& m, const MidiEvent& e) const {
  const std::string& port = mapPorts_[static_cast<size_t>(&m - maps_.data())];
  if (port.empty() || portNames_.empty()) return true;
  return e.port < portNames_.size() && portNames_[e.port].find(port) != std::string::npos;
}

void MidiMapper::handle(const MidiEvent& e) {
  if (!e.isChannelMessage() || e.size < 2) return;
  const uint8_t kind = e.kind();
  if (kind == midi::ControlChange && e.size == 3) return handleCc(e);
  if (kind == midi::ProgramChange) return handleProgram(e);
  for (Slot& s : slots_) {
    if (!channelMatches(s, e) || !mapHears(maps_[s.map], e)) continue;
    const MidiBinding& b = s.binding;
    if ((kind == midi::NoteOn || kind == midi::NoteOff) && e.size == 3 &&
        b.source == ControlSource::Note && b.number == e.bytes[1]) {
      const bool on = kind == midi::NoteOn && e.bytes[2] > 0;
      button(s, on, e.bytes[2]);
    } else if (kind == midi::PitchBend && e.size == 3 && b.source == ControlSource::PitchBend) {
      absolute(s, position14(combine14(e.bytes[2], e.bytes[1])), 0.5f / 16383.f);
    } else if (kind == midi::ChannelPressure && b.source == ControlSource::Aftertouch) {
      absolute(s, position7(e.bytes[1]), 0.5f / 127.f);
    }
  }
}

void MidiMapper::handleCc(const MidiEvent& e) {
  const int cc = e.bytes[1] & 127, value = e.bytes[2];
  if (sources_) sources_->midiControl[cc].store(static_cast<float>(value & 127) / 127.f, std::memory_order_relaxed);
  for (Slot& s : slots_) {
    if (!channelMatches(s, e) || !mapHears(maps_[s.map], e)) continue;
    const MidiBinding& b = s.binding;
    if (b.source == ControlSource::Cc && b.number == cc) {
      if (b.relative != RelativeMode::Absolute)
        relative(s, decodeRelative(b.relative, value));
      else if (b.button != ButtonMode::None || b.action != MidiAction::None)
        button(s, value >= 64, 127);
      else
        absolute(s, position7(value), 0.5f / 127.f);
    } else if (b.source == ControlSource::Cc14 && b.number == cc) {
      // Controllers send MSB then LSB; applying the MSB alone would jump by up to 1/128
      // and back, so it waits for its LSB (flush() applies it alone after 10 ms).
      s.msb = value;
      s.msbPending = true;
      s.msbTime = e.time;
    } else if (b.source == ControlSource::Cc14 && b.number + 32 == cc && s.msb >= 0) {
      // Some controllers send only the LSB while the MSB stays put: keep the last MSB.
      s.msbPending = false;
      absolute(s, position14(combine14(s.msb, value)), 0.5f / 16383.f);
    }
  }
  if ((cc == 0 || cc == 32) && bankSelectIsFree(e, cc)) {
    (cc == 0 ? bankMsb_ : bankLsb_) = value;
    if (onAction) onAction(MidiAction::BankSelect, bankMsb_ * 128 + bankLsb_);
  }
}

// CC 0 and 32 select banks unless a map that hears them binds them as controls (the
// nanoKONTROL2's first fader sends CC 0) or turns bank select off.
bool MidiMapper::bankSelectIsFree(const MidiEvent& e, int cc) const {
  for (const MidiMap& m : maps_) {
    if (!mapHears(m, e)) continue;
    if (!m.bankSelect) return false;
    if (m.programChannel >= 0 && m.programChannel != e.channel()) return false;
  }
  for (const Slot& s : slots_) {
    if (!channelMatches(s, e) || !mapHears(maps_[s.map], e)) continue;
    const MidiBinding& b = s.binding;
    if (b.source == ControlSource::Cc && b.number == cc) return false;
    if (b.source == ControlSource::Cc14 && (b.number == cc || b.number + 32 == cc)) return false;
  }
  return true;  // with no map at all, bank select is on (the instrument's default)
}

void MidiMapper::handleProgram(const MidiEvent& e) {
  for (const MidiMap& m : maps_) {
    if (!mapHears(m, e)) continue;
    if (!m.programChange) return;
    if (m.programChannel >= 0 && m.programChannel != e.channel()) return;
  }
  if (onAction) onAction(MidiAction::ProgramChange, e.bytes[1]);
}

void MidiMapper::flush(double now) {
  for (Slot& s : slots_) {
    if (s.msbPending && now - s.msbTime >= 0.010) {
      s.msbPending = false;
      absolute(s, position14(combine14(s.msb, 0)), 0.5f / 128.f);
    }
  }
}

void MidiMapper::noteExternalChange(Slot& s) {
  // Anything else (a preset, the UI, OSC, another control) moved the parameter since this
  // binding last wrote it: the control no longer sits where the parameter is.
  const float now = registry_.get(s.binding.paramIndex);
  if (!std::isnan(s.lastWritten) && now == s.lastWritten) return;
  if (!std::isnan(s.lastWritten)) s.pickup.arm();
  s.accumulator = registry_.toNormalized(s.binding.paramIndex, now);
  s.lastWritten = now;  // noted once: the next moves work toward meeting it
}

void MidiMapper::write(Slot& s, float normalized) {
  const int p = s.binding.paramIndex;
  registry_.set(p, registry_.fromNormalized(p, normalized));
  s.lastWritten = registry_.get(p);
  lastParam_ = p;
}

void MidiMapper::absolute(Slot& s, float position, float tolerance) {
  if (s.binding.paramIndex < 0) return;  // actions need a press, not a position
  const MidiBinding& b = s.binding;
  noteExternalChange(s);
  const float u = shapeTravel(b.curve, b.invert ? 1.f - position : position);
  const float target = s.nlo + u * (s.nhi - s.nlo);
  const float tol = tolerance * std::fabs(s.nhi - s.nlo) + 1e-6f;
  const float current = registry_.toNormalized(b.paramIndex, registry_.get(b.paramIndex));
  if (auto v = s.pickup.next(target, current, s.nlo, s.nhi, tol)) write(s, *v);
}

void MidiMapper::relative(Slot& s, int steps) {
  if (s.binding.paramIndex < 0 || steps == 0) return;
  const MidiBinding& b = s.binding;
  noteExternalChange(s);
  float step = b.step;
  if (step <= 0.f) {
    // Default: one unit per detent for stepped parameters, 1/128 of the range otherwise.
    const Curve c = registry_.spec(b.paramIndex).curve;
    const float units = std::fabs(b.hi - b.lo);
    step = (c == Curve::Stepped || c == Curve::Toggle) && units > 0.f ? 1.f / units : 1.f / 128.f;
  }
  const float delta = static_cast<float>(steps) * step * (s.nhi - s.nlo) * (b.invert ? -1.f : 1.f);
  s.accumulator = std::clamp(s.accumulator + delta, std::min(s.nlo, s.nhi), std::max(s.nlo, s.nhi));
  write(s, s.accumulator);
}

void MidiMapper::button(Slot& s, bool pressed, int velocity) {
  const bool press = pressed && !s.down, release = !pressed && s.down;
  s.down = pressed;
  const MidiBinding& b = s.binding;
  if (b.action != MidiAction::None) {
    if (press && onAction) onAction(b.action, b.actionValue);
    return;
  }
  if (!press && !release) return;
  noteExternalChange(s);
  const int p = b.paramIndex;
  float on = b.hasOnValue ? registry_.toNormalized(p, b.onValue) : s.nhi;
  if (b.velocity && !b.hasOnValue)
    on = s.nlo + shapeTravel(b.curve, position7(velocity)) * (s.nhi - s.nlo);
  float off = s.nlo;
  if (b.invert) std::swap(on, off);
  const float current = registry_.toNormalized(p, registry_.get(p));
  const ButtonMode mode = b.button == ButtonMode::None ? ButtonMode::Momentary : b.button;
  switch (mode) {
    case ButtonMode::Trigger:
      if (press) write(s, on);
      break;
    case ButtonMode::Toggle:
      if (press) write(s, std::fabs(current - on) < std::fabs(current - off) ? off : on);
      break;
    case ButtonMode::Momentary:
    case ButtonMode::None:
      write(s, press ? on : off);
      break;
  }
}

}  // namespace mm
