// File: cli/exit_codes.h
// dkimscan's exit codes, documented in the README and in --help. A run's code is the worst thing
// that happened to any message (ExitStatus::note keeps the maximum), so scripts can branch on it.
#pragma once

namespace dkimscan::cli {

enum ExitCode : int {
  kExitOk = 0,            // every message passed or was unsigned
  kExitNotVerified = 1,   // some message's best result is fail, permerror, neutral or policy
  kExitIncomplete = 2,    // some message could not be read, or a key lookup failed temporarily
  kExitUsage = 64,        // bad command line (sysexits EX_USAGE)
  kExitNoInput = 66,      // an input or key file could not be opened (EX_NOINPUT)
  kExitSoftware = 70,     // an internal error (EX_SOFTWARE)
  kExitCantCreate = 73,   // keygen: the key file exists and is not overwritten (EX_CANTCREAT)
  kExitIoError = 74,      // writing the output failed (EX_IOERR)
};

}  // namespace dkimscan::cli
