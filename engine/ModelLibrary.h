// ModelLibrary: where a performer's models live, and the short names that stand for them.
//
// The folders, searched in this order: every --models-dir, the user's library
// ($XDG_DATA_HOME/musicmill/models, by default ~/.local/share/musicmill/models), and the
// bundled models (models/musicmill_*.ts of this installation). A model's short name is
// its file name without ".ts"; a bundled model's also without "musicmill_" (`drums`). Where
// two folders hold the same name, the earlier folder's file wins and the other is listed as
// hidden by it. Everywhere a model is named (--model, --model-b, a preset's or a set list's
// `model`) a short name works as well as a path.
//
// Threads: any thread but the audio callback (it reads folders and allocates).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mm {

struct LibraryEntry {
  std::string name;    // the short name
  std::string path;    // the file
  std::string folder;  // the library folder it is in
  bool bundled = false;
  uint64_t bytes = 0;       // size on disk
  int64_t modifiedNs = 0;   // last write time (for the measured-figures cache)
  std::string hiddenBy;     // "" or the path of the file with the same name that wins
};

class ModelLibrary {
 public:
  ModelLibrary() = default;
  // `extraDirs`: --models-dir folders (first), then the user's library and `bundledDir`.
  ModelLibrary(std::vector<std::string> extraDirs, std::string bundledDir);

  // $XDG_DATA_HOME/musicmill/models, else $HOME/.local/share/musicmill/models.
  static std::string userDir();
  // The folders searched, in order (the bundled one last).
  const std::vector<std::string>& folders() const { return folders_; }
  const std::string& bundledDir() const { return bundledDir_; }

  // Every *.ts file of every folder, by name (nothing is loaded). A folder that cannot be
  // read is named in `problems`; a missing user folder is not a problem (nothing added yet).
  std::vector<LibraryEntry> list(std::vector<std::string>* problems = nullptr) const;
  // The short names there are (for suggestions).
  std::vector<std::string> names() const;

  // `written` is a file (relative to `baseDir` when relative) or a short name: the file it
  // means, or "" with `why` saying what was looked for and what is close.
  std::string resolve(const std::string& written, const std::string& baseDir, std::string* why = nullptr) const;
  // The short name `path` has in the library ("" when it is not a library file, or one
  // hidden by another file of the same name).
  std::string nameOf(const std::string& path) const;

 private:
  std::vector<std::string> folders_;
  std::string bundledDir_;
};

// What a model costs on this machine, measured by `musicmill models` once per file and
// device and kept in $XDG_CACHE_HOME/musicmill/model-figures.tsv (default
// ~/.cache/musicmill/...), keyed by the file's path, size and last write time.
struct ModelFigure {
  std::string path, device, when;
  uint64_t bytes = 0;
  int64_t modifiedNs = 0;
  double msPerFrame = 0;  // compute per latent frame
};
std::string modelFiguresPath();
std::vector<ModelFigure> readModelFigures();  // what cannot be read is left out
void writeModelFigures(const std::vector<ModelFigure>& figures);  // atomic, best effort

// The short name a file gets in a library folder (`musicmill_drums.ts` in the bundled
// folder: `drums`).
std::string libraryName(const std::string& fileName, bool bundled);

}  // namespace mm
