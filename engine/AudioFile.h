// Audio files through libsndfile (WAV, FLAC, AIFF, OGG, ...). Loader/renderer threads only.
#pragma once

#include <stdexcept>
#include <optional>
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
// Writes the format the name's extension names: .wav (32-bit float), .flac (24-bit),
// .ogg (Vorbis), .aiff/.aif (32-bit float); atomically. Throws AudioFileError, also for
// any other extension.
void writeAudioFile(const std::string& path, const AudioBuffer& buffer);
// The libsndfile format for a file name, or nothing for an extension MusicMill does not write.
std::optional<int> audioFormatForPath(const std::string& path);

// Mono mix of an interleaved buffer.
std::vector<float> downmix(const AudioBuffer& buffer);

}  // namespace mm
