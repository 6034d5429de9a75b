// File: cli/json_text.h
// Writing JSON strings into a report line. Message headers are not always UTF-8: invalid bytes
// become U+FFFD so every output line is valid JSON that any reader can parse.
#pragma once

#include <string>
#include <string_view>

namespace dkimscan::cli {

// Appends text as a quoted, escaped JSON string.
void append_json_string(std::string& out, std::string_view text);

}  // namespace dkimscan::cli
