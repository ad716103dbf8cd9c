// Catch2 main. Before any test runs, the instrument's per-user data folder (autosave,
// learned mappings) is pointed at a private temporary folder, so that running the tests
// never reads or overwrites a performer's own autosaved state in ~/.local/share/musicmill.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <unistd.h>

int main(int argc, char** argv) {
  const std::filesystem::path data =
      std::filesystem::temp_directory_path() / ("musicmill-test-data-" + std::to_string(::getpid()));
  std::error_code ec;
  std::filesystem::create_directories(data, ec);
  ::setenv("XDG_DATA_HOME", data.c_str(), 1);
  const int status = Catch::Session().run(argc, argv);
  std::filesystem::remove_all(data, ec);
  return status;
}
