// File: cli/sign_command.h
// `dkimscan sign` (signed copies of messages under the same names in an output folder) and
// `dkimscan keygen` (a private key file plus its DNS TXT record).
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dkimscan::cli {

struct SignArgs {
  std::string key_file, domain, selector, out_dir;
  std::vector<std::string> messages;
  std::string algorithm;           // empty: by key type
  std::string canonicalization = "relaxed/relaxed";
  std::vector<std::string> headers;
  bool oversign = false;
  bool body_length = false;
  bool legacy = false;  // --legacy: rsa-sha1 and RSA keys under 1024 bits, for test corpora
  std::optional<std::uint64_t> expire_after;
  std::string auid;
  std::string timestamp;           // empty: now
  unsigned threads = 0;            // 0: all cores
};

struct KeygenArgs {
  std::string type = "rsa";
  unsigned bits = 2048;
  bool bits_given = false;  // --bits was on the command line (refused for Ed25519)
  std::string domain, selector, out;
  bool zone = false;
};

void add_sign_command(CLI::App& app, SignArgs& args);
void add_keygen_command(CLI::App& app, KeygenArgs& args);
int run_sign(const SignArgs& args);
int run_keygen(const KeygenArgs& args);

}  // namespace dkimscan::cli
