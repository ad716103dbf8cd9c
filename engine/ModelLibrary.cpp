// See ModelLibrary.h.
#include "ModelLibrary.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>

#include <fstream>
#include <sstream>

#include "AtomicFile.h"
#include "Suggest.h"

namespace fs = std::filesystem;

namespace mm {

std::string libraryName(const std::string& fileName, bool bundled) {
  std::string stem = fs::path(fileName).stem().string();
  const std::string prefix = "musicmill_";
  if (bundled && stem.size() > prefix.size() && stem.compare(0, prefix.size(), prefix) == 0)
    stem = stem.substr(prefix.size());
  return stem;
}

ModelLibrary::ModelLibrary(std::vector<std::string> extraDirs, std::string bundledDir)
    : folders_(std::move(extraDirs)), bundledDir_(std::move(bundledDir)) {
  folders_.push_back(userDir());
  if (!bundledDir_.empty()) folders_.push_back(bundledDir_);
}

std::string ModelLibrary::userDir() {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return (fs::path(xdg) / "musicmill" / "models").string();
  const char* home = std::getenv("HOME");
  return (fs::path(home && *home ? home : ".") / ".local" / "share" / "musicmill" / "models").string();
}

std::vector<LibraryEntry> ModelLibrary::list(std::vector<std::string>* problems) const {
  std::vector<LibraryEntry> out;
  std::map<std::string, std::string> taken;  // name -> path that wins
  for (const std::string& folder : folders_) {
    const bool bundled = !bundledDir_.empty() && folder == bundledDir_;
    std::error_code ec;
    if (!fs::exists(folder, ec)) {
      if (problems && folder != userDir() && !bundled) problems->push_back(folder + ": no such folder");
      continue;
    }
    if (!fs::is_directory(folder, ec)) {
      if (problems) problems->push_back(folder + ": not a folder");
      continue;
    }
    std::vector<fs::path> files;
    fs::directory_iterator it(folder, ec), end;
    if (ec) {
      if (problems) problems->push_back(folder + ": cannot be read (" + ec.message() + ")");
      continue;
    }
    for (; it != end; it.increment(ec)) {
      if (ec) break;
      const fs::path& p = it->path();
      if (p.extension() != ".ts") continue;
      if (bundled && p.filename().string().rfind("musicmill_", 0) != 0) continue;  // only what ships
      files.push_back(p);
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& p : files) {
      LibraryEntry e;
      e.name = libraryName(p.filename().string(), bundled);
      e.path = p.string();
      e.folder = folder;
      e.bundled = bundled;
      std::error_code se;
      e.bytes = fs::is_regular_file(p, se) ? static_cast<uint64_t>(fs::file_size(p, se)) : 0;
      const auto t = fs::last_write_time(p, se);
      e.modifiedNs = se ? 0 : static_cast<int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
      if (auto won = taken.find(e.name); won != taken.end()) e.hiddenBy = won->second;
      else taken[e.name] = e.path;
      out.push_back(std::move(e));
    }
  }
  return out;
}

std::vector<std::string> ModelLibrary::names() const {
  std::vector<std::string> out;
  for (const LibraryEntry& e : list())
    if (e.hiddenBy.empty()) out.push_back(e.name);
  return out;
}

std::string ModelLibrary::resolve(const std::string& written, const std::string& baseDir, std::string* why) const {
  if (written.empty()) {
    if (why) *why = "no model named";
    return {};
  }
  fs::path p(written);
  if (p.is_relative() && !baseDir.empty()) p = fs::path(baseDir) / p;
  std::error_code ec;
  if (fs::is_regular_file(p, ec)) return p.lexically_normal().string();
  // A short name: no folder part, no extension needed.
  const bool nameLike = written.find('/') == std::string::npos && written.find('\\') == std::string::npos;
  if (nameLike) {
    const std::string name = fs::path(written).extension() == ".ts" ? fs::path(written).stem().string() : written;
    for (const LibraryEntry& e : list())
      if (e.hiddenBy.empty() && e.name == name) return e.path;
  }
  if (why) {
    std::string msg = "no model file '" + written + "' (looked for " + p.lexically_normal().string() + ")";
    if (nameLike) {
      msg += " and no library model of that name";
      const auto close = closeMatches(written, names());
      if (!close.empty()) msg += "; did you mean " + close.front() + "?";
      msg += " (`musicmill models` lists the library)";
    }
    *why = msg;
  }
  return {};
}

std::string ModelLibrary::nameOf(const std::string& path) const {
  std::error_code ec;
  const fs::path want = fs::weakly_canonical(path, ec);
  if (ec) return {};
  for (const LibraryEntry& e : list()) {
    std::error_code ec2;
    if (e.hiddenBy.empty() && fs::weakly_canonical(e.path, ec2) == want && !ec2) return e.name;
  }
  return {};
}

std::string modelFiguresPath() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return (fs::path(xdg) / "musicmill" / "model-figures.tsv").string();
  const char* home = std::getenv("HOME");
  return (fs::path(home && *home ? home : ".") / ".cache" / "musicmill" / "model-figures.tsv").string();
}


std::vector<ModelFigure> readModelFigures() {
  std::vector<ModelFigure> out;
  std::ifstream in(modelFiguresPath());
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    ModelFigure x;
    std::string bytes, modified, ms;
    if (std::getline(f, x.path, '\t') && std::getline(f, bytes, '\t') && std::getline(f, modified, '\t') &&
        std::getline(f, x.device, '\t') && std::getline(f, ms, '\t') && std::getline(f, x.when)) {
      try {
        x.bytes = std::stoull(bytes);
        x.modifiedNs = std::stoll(modified);
        x.msPerFrame = std::stod(ms);
        out.push_back(x);
      } catch (const std::exception&) {
        // a damaged line: measured again
      }
    }
  }
  return out;
}

void writeModelFigures(const std::vector<ModelFigure>& figures) {
  std::ostringstream o;
  for (const ModelFigure& x : figures)
    o << x.path << '\t' << x.bytes << '\t' << x.modifiedNs << '\t' << x.device << '\t' << x.msPerFrame << '\t'
      << x.when << '\n';
  std::error_code ec;
  fs::create_directories(fs::path(modelFiguresPath()).parent_path(), ec);
  writeTextAtomically(modelFiguresPath(), o.str());  // best effort: the figures are measured again if it fails
}

}  // namespace mm
