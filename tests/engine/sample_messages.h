// File: tests/engine/sample_messages.h
// The bundled sample (datasets/sample): its folder, and its 100 messages read in name order, for
// the engine tests that run the verifier or the pipeline over a realistic mix.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace dkimscan::testing {

inline const std::filesystem::path kSample = std::filesystem::path(DKIMSCAN_SOURCE_DIR) / "datasets" / "sample";

inline std::vector<std::string> read_sample_messages() {
  std::vector<std::filesystem::path> paths;
  for (const auto& entry : std::filesystem::directory_iterator(kSample / "messages")) paths.push_back(entry.path());
  std::sort(paths.begin(), paths.end());
  std::vector<std::string> messages;
  for (const std::filesystem::path& path : paths) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    messages.push_back(text.str());
  }
  return messages;
}

}  // namespace dkimscan::testing
