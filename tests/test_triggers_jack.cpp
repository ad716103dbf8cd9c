// Beatbox triggers end to end: the real musicmill binary under a private JACK dummy
// server, a voice played into its audio input, trigger notes received on its JACK MIDI
// port. Checks what a drummer would notice: one note per hit, the right drum, never
// before the listen window after the voice hit is over. (Latency figures: bench/.)
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <thread>

#include "AudioFile.h"
#include "JackHarness.h"
#include "TestSupport.h"
#include "TriggerJackClients.h"
#include "TriggerLearner.h"
#include "TriggerProfile.h"
#include "TriggerTestSet.h"

using namespace mm;
using namespace mmtest;

TEST_CASE("trigger notes reach a JACK MIDI port while the voice plays through JACK", "[triggers][jack]") {
  const std::string dir = vocalPercussionSet() + "/" + triggerTestPerformers()[0];
  // A profile learned from the performer's takes, saved where musicmill will load it.
  TriggerProfile profile;
  for (const char* cls : {"kick", "snare", "hihat"}) {
    const AudioBuffer take = readAudioFile(dir + "/train_" + cls + ".wav");
    const TakeExamples ex = examplesFromTake(downmix(take), take.sampleRate, profile.settings);
    profile.classes.push_back({cls, defaultTriggerNote(cls, static_cast<int>(profile.classes.size())), ex.examples});
    profile.sampleRate = take.sampleRate;
  }
  const std::string path = tempDir() + "/profile.toml";
  REQUIRE(saveTriggerProfile(path, profile) == "");
  const AudioBuffer voiceFile = readAudioFile(dir + "/test.wav");
  const std::vector<float> voice = downmix(voiceFile);
  const auto labels = readTriggerLabels(dir + "/test.csv");
  const double rate = voiceFile.sampleRate;

  JackServer server(static_cast<int>(rate), 128);
  REQUIRE(server.ok());
  MusicmillProcess mm("perform --audio-api jack --headless --no-connect --no-autosave --model " +
                      fixture("delay_44k.ts") + " --triggers " + path + " --trigger-midi-out virtual --duration 120");
  REQUIRE(mm.waitForPorts(60));
  JackVoicePlayer player(voice);
  JackNoteReceiver receiver;
  const std::string port = receiver.findOutputPort("triggers");
  INFO(mm.output());
  REQUIRE(port != "");
  REQUIRE(player.connect("musicmill:inport 0"));
  REQUIRE(receiver.connectFrom(port));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  player.start();
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!player.done() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(mm.stop() == 0);
  REQUIRE(player.done());

  const auto notes = receiver.notes();
  const double listen = profile.settings.listenMs;
  int matched = 0, right = 0, early = 0;
  std::vector<bool> used(notes.size(), false);
  for (const auto& l : labels) {
    // The first unused note-on from just before the hit to 150 ms after it.
    for (size_t j = 0; j < notes.size(); ++j) {
      const double ms = (notes[j].frame - player.frameOf(std::lround(l.time * rate))) / rate * 1000.0;
      if (used[j] || ms < -20.0) continue;
      if (ms > 150.0) break;
      used[j] = true;
      ++matched;
      right += notes[j].note == profile.classes[profile.classIndex(l.cls)].note;
      // Onset times may be reported ~2 ms early; the note still never beats the window.
      early += ms < listen - 3.0;
      CHECK(notes[j].channel == profile.settings.midiChannel - 1);
      break;
    }
  }
  CHECK(static_cast<int>(notes.size()) <= static_cast<int>(labels.size()) * 11 / 10);
  CHECK(matched >= static_cast<int>(labels.size()) * 9 / 10);
  CHECK(right >= static_cast<int>(labels.size()) * 85 / 100);
  CHECK(early == 0);
  CHECK(mm.output().find("MIDI notes out on musicmill-triggers:triggers") != std::string::npos);
}
