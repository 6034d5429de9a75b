// File: tests/cli/cli_test_util.h
// Helpers for the tests that drive the built dkimscan binary (DKIMSCAN_BINARY) and its peers:
// running a shell command and capturing stdout and the exit code, shell quoting, a temporary
// folder removed at the end, and JSON Lines output split into objects.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "tests/temp_dir.h"

namespace dkimscan::testing {

struct CommandResult {
  int exit_code = -1;  // the process's exit status, -1 if it did not exit normally
  std::string out;     // stdout (stderr goes to the test's own stderr unless redirected)
};

inline CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[65536];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) result.out.append(buffer, n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// 'text' with every ' escaped, safe as one word for /bin/sh.
inline std::string shell_quote(std::string_view text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

inline std::string dkimscan_command(std::string_view args) {
  return shell_quote(DKIMSCAN_BINARY) + " " + std::string(args);
}


inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Each non-empty line parsed as JSON (a parse error throws, failing the test with the line).
inline std::vector<nlohmann::json> parse_json_lines(const std::string& text) {
  std::vector<nlohmann::json> objects;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) objects.push_back(nlohmann::json::parse(line));
  }
  return objects;
}

// Splits text into lines (without their line ends).
inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace dkimscan::testing
