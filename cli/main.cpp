// File: cli/main.cpp
// dkimscan's entry point: parse the command line, run the chosen subcommand, and turn the edge
// exceptions (bad flags, unreadable files, output errors) into documented exit codes.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <exception>

#include "cache/key_file.h"
#include "cache/key_recorder.h"
#include "cli/exit_codes.h"
#include "cli/report_writer.h"
#include "cli/sign_command.h"
#include "cli/verify_command.h"

int main(int argc, char** argv) {
  using namespace dkimscan::cli;
  CLI::App app{"dkimscan: batch DKIM verification (RFC 6376, 8301, 8463) and signing", "dkimscan"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "dkimscan 0.1.0");
  app.footer("Run 'dkimscan <command> --help' for a command's options and examples.");
  VerifyArgs verify;
  SignArgs sign;
  KeygenArgs keygen;
  add_verify_command(app, verify);
  add_sign_command(app, sign);
  add_keygen_command(app, keygen);
  try {
    app.parse(argc, argv);
    if (app.got_subcommand("verify")) return run_verify(verify);
    if (app.got_subcommand("sign")) return run_sign(sign);
    if (app.got_subcommand("keygen")) return run_keygen(keygen);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  } catch (const dkimscan::cache::KeyFileError& e) {
    fmt::print(stderr, "dkimscan: {}\n", e.what());
    return kExitNoInput;
  } catch (const OutputError& e) {
    fmt::print(stderr, "dkimscan: {}\n", e.what());
    return kExitIoError;
  } catch (const dkimscan::cache::KeySnapshotError& e) {
    fmt::print(stderr, "dkimscan: {}\n", e.what());
    return kExitIoError;
  } catch (const std::exception& e) {
    fmt::print(stderr, "dkimscan: {}\n", e.what());
    return kExitSoftware;
  }
  return kExitUsage;
}
