#include "AudioFile.h"

#include <sndfile.h>

#include <cctype>
#include <filesystem>

namespace fs = std::filesystem;

namespace mm {

AudioBuffer readAudioFile(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw AudioFileError("Audio file '" + path + "' does not exist. Check the path.");
  if (fs::is_directory(path, ec))
    throw AudioFileError("Audio file '" + path + "' is a folder, not an audio file.");
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  if (!f) {
    std::string why = sf_strerror(nullptr);
    while (!why.empty() && (why.back() == '.' || why.back() == ' ')) why.pop_back();  // libsndfile ends some with '.'
    throw AudioFileError("Audio file '" + path + "' cannot be read: " + why +
                         ". MusicMill reads WAV, FLAC, AIFF and OGG; convert other formats "
                         "first (for example with sox or ffmpeg).");
  }
  AudioBuffer b;
  b.sampleRate = info.samplerate;
  b.channels = info.channels;
  if (info.channels < 1 || info.samplerate < 1000 || info.frames < 0) {
    sf_close(f);
    throw AudioFileError("Audio file '" + path + "' has an implausible header (" +
                         std::to_string(info.channels) + " channels, " +
                         std::to_string(info.samplerate) + " Hz).");
  }
  b.samples.resize(static_cast<size_t>(info.frames) * info.channels);
  const sf_count_t got = sf_readf_float(f, b.samples.data(), info.frames);
  sf_close(f);
  b.samples.resize(static_cast<size_t>(got) * info.channels);
  for (float& s : b.samples)
    if (!(s == s)) s = 0.f;  // NaN in a float file would poison the model state
  return b;
}

namespace {

void writeWithFormat(const std::string& path, const AudioBuffer& b, int format) {
  const fs::path target(path);
  std::error_code ec;
  if (target.has_parent_path() && !fs::exists(target.parent_path(), ec))
    fs::create_directories(target.parent_path(), ec);
  const std::string tmp = path + ".tmp-writing";
  SF_INFO info{};
  info.samplerate = b.sampleRate;
  info.channels = b.channels;
  info.format = format;
  if (!sf_format_check(&info))
    throw AudioFileError("Cannot write '" + path + "': this libsndfile cannot write that format at " +
                         std::to_string(b.sampleRate) + " Hz with " + std::to_string(b.channels) +
                         " channels; write .wav instead.");
  SNDFILE* f = sf_open(tmp.c_str(), SFM_WRITE, &info);
  if (!f)
    throw AudioFileError("Cannot write '" + path + "': " + sf_strerror(nullptr) +
                         ". Check that the folder exists and is writable.");
  // Integer formats (FLAC) clip a float above full scale instead of wrapping it round.
  sf_command(f, SFC_SET_CLIPPING, nullptr, SF_TRUE);
  const sf_count_t want = b.frames();
  const sf_count_t put = sf_writef_float(f, b.samples.data(), want);
  sf_write_sync(f);
  sf_close(f);
  if (put != want) {
    fs::remove(tmp, ec);
    throw AudioFileError("Cannot write '" + path + "': only " + std::to_string(put) + " of " +
                         std::to_string(want) + " frames were written (disk full?).");
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw AudioFileError("Cannot write '" + path + "': " + ec.message());
  }
}

}  // namespace

std::optional<int> audioFormatForPath(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".wav") return SF_FORMAT_WAV | SF_FORMAT_FLOAT;
  if (ext == ".flac") return SF_FORMAT_FLAC | SF_FORMAT_PCM_24;
  if (ext == ".ogg" || ext == ".oga") return SF_FORMAT_OGG | SF_FORMAT_VORBIS;
  if (ext == ".aif" || ext == ".aiff") return SF_FORMAT_AIFF | SF_FORMAT_FLOAT;
  return std::nullopt;
}

void writeWav(const std::string& path, const AudioBuffer& b) { writeWithFormat(path, b, SF_FORMAT_WAV | SF_FORMAT_FLOAT); }

void writeAudioFile(const std::string& path, const AudioBuffer& b) {
  const auto format = audioFormatForPath(path);
  if (!format)
    throw AudioFileError("Cannot write '" + path + "': the name ends in neither .wav, .flac, .ogg nor .aiff, "
                         "the formats MusicMill writes.");
  writeWithFormat(path, b, *format);
}

std::vector<float> downmix(const AudioBuffer& b) {
  const long n = b.frames();
  std::vector<float> mono(static_cast<size_t>(n));
  for (long i = 0; i < n; ++i) {
    float s = 0.f;
    for (int c = 0; c < b.channels; ++c) s += b.samples[static_cast<size_t>(i) * b.channels + c];
    mono[i] = s / static_cast<float>(b.channels);
  }
  return mono;
}

}  // namespace mm
