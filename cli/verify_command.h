// File: cli/verify_command.h
// `dkimscan verify`: flags as parsed (VerifyArgs), registered on a CLI11 subcommand, then
// validated into the objects a run needs and run (run_verify returns the exit code).
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

namespace dkimscan::cli {

struct VerifyArgs {
  std::vector<std::string> paths;
  std::vector<std::string> key_files;
  std::string format = "text";
  std::string authserv_id;  // Authentication-Results' authserv-id; empty: this host's name
  bool legacy = false;
  std::optional<std::string> at;
  std::size_t max_signatures = 16;
  std::vector<std::string> must_be_signed;  // local policy (engine::LocalPolicy)
  unsigned min_rsa_bits = 0;
  bool reject_partial_body = false;
  unsigned threads = 0;
  bool quiet = false;
  std::string mbox_format = "auto";
  std::string stdin_format = "auto";
  std::string dns;                 // --dns IP[:PORT],... or "system" (resolv.conf, also the default with no --keys)
  bool use_dns = false;            // --dns given (with --keys: files first, then DNS)
  unsigned dns_timeout_ms = 2000;
  int dns_tries = 3;
  int dns_in_flight = 512;
  std::string record_keys;
};

void add_verify_command(CLI::App& app, VerifyArgs& args);
int run_verify(const VerifyArgs& args);

}  // namespace dkimscan::cli
