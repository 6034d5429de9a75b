// File: cli/verify_command.h
// `dkimscan verify`: flags as parsed (VerifyArgs), registered on a CLI11 subcommand, then
// validated into the objects a run needs and run (run_verify returns the exit code).
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace dkimscan::cli {

struct VerifyArgs {
  std::vector<std::string> paths;
  std::vector<std::string> key_files;
  std::string format = "text";
  bool legacy = false;
  std::string at;
  std::size_t max_signatures = 16;
  unsigned threads = 0;
  bool quiet = false;
  std::string mbox_format = "auto";
  std::string stdin_format = "auto";
};

void add_verify_command(CLI::App& app, VerifyArgs& args);
int run_verify(const VerifyArgs& args);

}  // namespace dkimscan::cli
