// Audio files through libsndfile (WAV, FLAC, AIFF, OGG, ...). Loader/renderer threads only.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace mm {

class AudioFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct AudioBuffer {
  int sampleRate = 44100;
  int channels = 1;
  std::vector<float> samples;  // interleaved
  long frames() const { return channels ? static_cast<long>(samples.size()) / channels : 0; }
};

// Throws AudioFileError with a message naming the file and what to do.
AudioBuffer readAudioFile(const std::string& path);
// Writes 32-bit float WAV atomically (temporary file, then rename). Throws AudioFileError.
void writeWav(const std::string& path, const AudioBuffer& buffer);

// Mono mix of an interleaved buffer.
std::vector<float> downmix(const AudioBuffer& buffer);

}  // namespace mm
