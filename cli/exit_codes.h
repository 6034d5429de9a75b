// File: cli/exit_codes.h
// dkimscan's exit codes, documented in the README and in --help, so scripts can branch on them.
// A verify run's code comes from RunSummary::exit_code() (cli/run_summary.cpp), by precedence rather
// than the largest number: 2 if any item could not be read or any message's best result is
// temperror, else 1 if any message's best result is fail, permerror, neutral or policy, else 0.
// Codes from 64 up are returned instead, at a command's edges (cli/main.cpp, verify_command.cpp,
// sign_command.cpp); sign and keygen pick their own codes.
#pragma once

namespace dkimscan::cli {

enum ExitCode : int {
  kExitOk = 0,            // every message passed or was unsigned
  kExitNotVerified = 1,   // some message's best result is fail, permerror, neutral or policy
  kExitIncomplete = 2,    // some message could not be read, or its best result is temperror
  kExitUsage = 64,        // bad command line (sysexits EX_USAGE)
  kExitNoInput = 66,      // a key file: a --keys file is a folder, unreadable or has a bad line, or sign's
                          // --key is unreadable or not a PEM private key (EX_NOINPUT). An unreadable
                          // message is an error item (2), not this.
  kExitSoftware = 70,     // an internal error (EX_SOFTWARE)
  kExitCantCreate = 73,   // keygen: the key file exists and is not overwritten (EX_CANTCREAT)
  kExitIoError = 74,      // writing failed: the report, a key snapshot, sign's --out folder or a copy, keygen's key (EX_IOERR)
};

}  // namespace dkimscan::cli
