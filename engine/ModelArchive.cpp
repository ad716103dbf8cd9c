// The TorchScript archive as a zip, read without LibTorch (ModelArchive.h).
#include "ModelArchive.h"

#include <caffe2/serialize/versions.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <vector>

namespace mm {

int maxReadableArchiveVersion() { return static_cast<int>(caffe2::serialize::kMaxSupportedFileFormatVersion); }

ArchiveRecords readArchiveRecords(const std::string& path) {
  ArchiveRecords r;
  // The zip's central directory (at its end) names every entry with its size and where
  // it starts; a TorchScript archive stores them uncompressed. No LibTorch involved.
  std::ifstream in(path, std::ios::binary);
  if (!in) return r;
  in.seekg(0, std::ios::end);
  const std::streamoff fileSize = in.tellg();
  auto le16 = [](const unsigned char* p) { return static_cast<uint32_t>(p[0] | (p[1] << 8)); };
  auto le32 = [](const unsigned char* p) {
    return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
           (static_cast<uint32_t>(p[3]) << 24);
  };
  // The end-of-central-directory record: 22 bytes plus a comment of up to 64 kB.
  const std::streamoff tail = std::min<std::streamoff>(fileSize, 22 + 65535);
  std::vector<unsigned char> end(static_cast<size_t>(tail));
  in.seekg(fileSize - tail);
  if (!in.read(reinterpret_cast<char*>(end.data()), tail)) return r;
  long eocd = -1;
  for (long k = static_cast<long>(tail) - 22; k >= 0; --k)
    if (le32(&end[static_cast<size_t>(k)]) == 0x06054b50u) {
      eocd = k;
      break;
    }
  if (eocd < 0) return r;
  const uint32_t entries = le16(&end[static_cast<size_t>(eocd) + 10]);
  const uint32_t dirSize = le32(&end[static_cast<size_t>(eocd) + 12]), dirOffset = le32(&end[static_cast<size_t>(eocd) + 16]);
  if (dirOffset == 0xFFFFFFFFu || static_cast<std::streamoff>(dirOffset) + dirSize > fileSize) return r;  // zip64: not a model size
  std::vector<unsigned char> dir(dirSize);
  in.seekg(dirOffset);
  if (!in.read(reinterpret_cast<char*>(dir.data()), dirSize)) return r;
  size_t at = 0;
  for (uint32_t e = 0; e < entries && at + 46 <= dir.size(); ++e) {
    const unsigned char* h = &dir[at];
    if (le32(h) != 0x02014b50u) return r;
    const uint32_t method = le16(h + 10), size = le32(h + 20), nameLength = le16(h + 28), extraLength = le16(h + 30),
                   commentLength = le16(h + 32), local = le32(h + 42);
    if (at + 46 + nameLength > dir.size()) return r;
    const std::string name(reinterpret_cast<const char*>(h + 46), nameLength);
    at += 46 + nameLength + extraLength + commentLength;
    const std::string idRecord = ".data/serialization_id";
    if (name.size() >= idRecord.size() && name.compare(name.size() - idRecord.size(), idRecord.size(), idRecord) == 0)
      r.serializationId = true;
    const bool isVersion = name == "version" || (name.size() > 8 && name.compare(name.size() - 8, 8, "/version") == 0);
    if (!isVersion || r.version >= 0 || method != 0 || size == 0 || size >= 32) continue;
    unsigned char lh[30];
    in.seekg(local);
    if (!in.read(reinterpret_cast<char*>(lh), sizeof lh) || le32(lh) != 0x04034b50u) return r;
    in.seekg(static_cast<std::streamoff>(local) + 30 + le16(lh + 26) + le16(lh + 28));
    std::string text(size, '\0');
    if (!in.read(text.data(), size)) return r;
    try {
      r.version = std::stoi(text);
    } catch (const std::exception&) {
      return r;
    }
  }
  return r;
}

int archiveFormatVersion(const std::string& path) { return readArchiveRecords(path).version; }

std::string archiveWriter(const ArchiveRecords& r) {
  if (r.version < 0) return {};
  return r.serializationId ? "PyTorch 2.1 or newer" : "PyTorch 2.0 or older";
}

}  // namespace mm
