// File: reason_printing.h
// GoogleTest printers for Reason and Verdict, so a failed EXPECT_EQ shows "sig_bad_auid" rather
// than "2-byte object <12-00>". Include it in any test that compares these enums.
#pragma once

#include <ostream>

#include "engine/verdict.h"

namespace dkimscan::engine {

inline void PrintTo(Reason reason, std::ostream* os) { *os << reason_code(reason); }
inline void PrintTo(Verdict verdict, std::ostream* os) { *os << verdict_name(verdict); }

}  // namespace dkimscan::engine
