// MidiMapper: plays mapping files — turns MIDI events into parameter values (through
// range, invert, curve, relative decoding, button modes and soft takeover) and into
// set-list actions (program change, bank select, buttons bound to actions).
//
// The same object serves live (events drained from the MIDI FIFOs by LiveMidi) and
// offline (events of a MIDI file applied before each render block by MidiFilePlayer),
// so a recorded performance renders as it played.
//
// Threads: one owner thread (the main thread live, the rendering thread offline) calls
// everything. It writes the registry (atomics); it never touches the audio thread.
#pragma once

#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "MidiEvent.h"
#include "MidiMap.h"
#include "ModulationSources.h"
#include "Parameters.h"
#include "PickupFilter.h"

namespace mm {

class MidiMapper {
 public:
  explicit MidiMapper(ParameterRegistry& registry) : registry_(registry) {}

  // Replaces every map. Bindings start armed (pickup waits for each control to meet its
  // parameter). Bindings whose parameter index is out of the registry are skipped.
  void setMaps(std::vector<MidiMap> maps);
  const std::vector<MidiMap>& maps() const { return maps_; }

  // Names of the input ports, indexed by MidiEvent::port, so that a map naming a port
  // only hears that port (case-insensitive). With no names (offline) every map hears
  // every event.
  void setPortNames(const std::vector<std::string>& names);

  // Set-list actions (program change, bank select, buttons with `action`).
  std::function<void(MidiAction, int)> onAction;
  // Where every CC (mapped or not, any channel, any port) is published as a modulation
  // source `ccN` (0..1), live and from a MIDI-file performance. nullptr: nowhere.
  void publishControlsTo(ModulationSources* sources) { sources_ = sources; }

  void handle(const MidiEvent& e);
  // Applies a 14-bit MSB whose LSB did not follow within 10 ms (controllers that send
  // only the coarse byte). Call with the current time (same clock as the events).
  void flush(double now);

  // Every absolute control must meet its parameter again before it moves it. The preset
  // code calls this after applying a preset; values changed by anything other than this
  // mapper re-arm their bindings by themselves too.
  void rearmPickup();

  // For the UI: registry index of the parameter a control last moved (-1: none yet) and
  // whether some binding of `paramIndex` is waiting to pick it up.
  int lastParam() const { return lastParam_; }
  bool waitingForPickup(int paramIndex) const;

 private:
  ModulationSources* sources_ = nullptr;
  struct Slot {
    size_t map = 0;
    MidiBinding binding;
    float nlo = 0.f, nhi = 1.f;  // range ends, normalised along the parameter's curve
    PickupFilter pickup;
    float lastWritten = std::numeric_limits<float>::quiet_NaN();
    float accumulator = 0.f;     // relative encoders: exact position between steps
    int msb = -1;                // 14-bit: last MSB seen
    bool msbPending = false;
    double msbTime = 0.0;
    bool down = false;           // buttons: pressed now
  };

  bool mapHears(const MidiMap& m, const MidiEvent& e) const;
  bool channelMatches(const Slot& s, const MidiEvent& e) const {
    return s.binding.channel < 0 || s.binding.channel == e.channel();
  }
  void handleCc(const MidiEvent& e);
  void handleProgram(const MidiEvent& e);
  bool bankSelectIsFree(const MidiEvent& e, int cc) const;
  void absolute(Slot& s, float position, float tolerance);
  void relative(Slot& s, int steps);
  void button(Slot& s, bool pressed, int velocity);
  void write(Slot& s, float normalized);
  void noteExternalChange(Slot& s);

  ParameterRegistry& registry_;
  std::vector<MidiMap> maps_;
  std::vector<Slot> slots_;
  std::vector<std::string> portNames_;  // lower case
  std::vector<std::string> mapPorts_;   // each map's `port`, lower case
  int bankMsb_ = 0, bankLsb_ = 0;
  int lastParam_ = -1;
};

}  // namespace mm
