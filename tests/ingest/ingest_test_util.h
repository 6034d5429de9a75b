// File: tests/ingest/ingest_test_util.h
// Helpers for the ingest tests: a temporary folder removed at the end of the test, files written
// byte for byte, and draining a MessageSource into a vector.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/input_message.h"
#include "ingest/open_inputs.h"

namespace dkimscan::ingest::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "dkimscan-ingest-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(std::string_view name) const { return path_ + "/" + std::string(name); }

  // Writes bytes to path_/name, creating parent folders; returns the full path.
  std::string write(std::string_view name, std::string_view bytes) const {
    std::string full = *this / name;
    std::filesystem::create_directories(std::filesystem::path(full).parent_path());
    std::ofstream f(full, std::ios::binary);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return full;
  }
  std::string mkdir(std::string_view name) const {
    std::string full = *this / name;
    std::filesystem::create_directories(full);
    return full;
  }

 private:
  std::string path_;
};

inline std::vector<InputMessage> drain(MessageSource& source) {
  std::vector<InputMessage> out;
  InputMessage m;
  while (source.next(m)) out.push_back(std::move(m));
  return out;
}

inline std::vector<InputMessage> read_all(const std::vector<std::string>& paths,
                                          const IngestOptions& options = {}) {
  auto source = open_inputs(paths, options);
  return drain(*source);
}

// Runs a shell command (tar, gzip, ...) for building fixtures; true on exit status 0.
inline bool shell(const std::string& command) { return std::system(command.c_str()) == 0; }

// A small well-formed message with the given subject and body (LF line ends).
inline std::string make_message(std::string_view subject, std::string_view body) {
  return "From: a@example.com\nTo: b@example.org\nSubject: " + std::string(subject) + "\n\n" +
         std::string(body);
}

}  // namespace dkimscan::ingest::testing
