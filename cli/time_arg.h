// File: cli/time_arg.h
// Parses a time argument (--at, --timestamp): unix seconds ("1700000000") or ISO 8601 ("2023-11-14", "2023-11-14T22:13:20Z",
// "2023-11-14T23:13:20+01:00"). Throws std::invalid_argument with the text and the reason; the
// caller names the option.
#pragma once

#include <cstdint>
#include <string_view>

namespace dkimscan::cli {

std::int64_t parse_time_arg(std::string_view text);

}  // namespace dkimscan::cli
