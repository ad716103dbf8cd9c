// What a TorchScript model file's archive (a zip) says about itself, read from its central
// directory without LibTorch, so that a file made by a newer PyTorch is judged before
// LibTorch parses it.
//
// Threads: pure functions of a file; any thread but the audio callback.
#pragma once

#include <string>

namespace mm {

// The format version a TorchScript archive records for itself (its `version` or
// `.data/version` entry), read from the zip without LibTorch; -1 when there is none.
int archiveFormatVersion(const std::string& path);
// What the archive's records say about the file: its format version and whether it has a
// `.data/serialization_id` record, which PyTorch writes from 2.1 on.
struct ArchiveRecords {
  int version = -1;
  bool serializationId = false;
};
ArchiveRecords readArchiveRecords(const std::string& path);
// "PyTorch 2.1 or newer", "PyTorch 2.0 or older", or "" when the file is not an archive.
// The archive records no version of PyTorch itself: this is what its records allow.
std::string archiveWriter(const ArchiveRecords& records);
// The highest archive format version this LibTorch reads.
int maxReadableArchiveVersion();

}  // namespace mm
