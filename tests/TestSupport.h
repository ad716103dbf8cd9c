// Helpers shared by the tests: fixture paths, signal generators and measurements, and
// running the real musicmill binary.
#pragma once

#include <string>
#include <vector>

namespace mmtest {

std::string fixture(const std::string& name);  // build/fixtures/NAME
std::string sourcePath(const std::string& rel);
std::string binary();                           // build/musicmill
std::string tempDir();                          // fresh folder per call

struct CommandResult {
  int status = -1;
  std::string output;  // stdout + stderr
};
// Runs a shell command to its end. In a sanitized build a command whose exit was spoiled by
// LeakSanitizer's own tracer crashing (leakCheckerCrashed) is run again, twice at most.
CommandResult runCommand(const std::string& command);
bool leakCheckerCrashed(const std::string& output);
// In a forked child before exec: the child is killed when the test process dies (a
// crashed or sanitizer-aborted test must not leave an instrument or a JACK server
// running for the rest of the suite). Linux; elsewhere nothing.
void dieWithParent();

std::vector<float> sine(double freq, double rate, double seconds, float amp = 0.5f);
// Frequency of the strongest sinusoid by zero crossings over the middle of the buffer.
double zeroCrossingFrequency(const std::vector<float>& x, double rate);
double rms(const std::vector<float>& x, size_t from = 0, size_t to = 0);
// A percussive test signal: short decaying noise bursts at the given times.
std::vector<float> clicks(const std::vector<double>& times, double rate, double seconds,
                          float amp = 0.6f, unsigned seed = 3);

}  // namespace mmtest
