// File: ingest/input_message.cpp
// The one table of ingest error codes and option names, so output strings and grep always match.
#include "ingest/input_message.h"

#include <array>

#include "ingest/ingest_options.h"

namespace dkimscan::ingest {

std::string_view ingest_error_code(IngestError e) noexcept {
  switch (e) {
    case IngestError::none: return "ok";
    case IngestError::unreadable: return "unreadable";
    case IngestError::empty: return "empty";
    case IngestError::not_a_message: return "not_a_message";
    case IngestError::line_too_long: return "line_too_long";
    case IngestError::truncated: return "truncated";
    case IngestError::bad_content_length: return "bad_content_length";
    case IngestError::symlink_loop: return "symlink_loop";
    case IngestError::too_large: return "too_large";
    case IngestError::not_regular: return "not_regular";
  }
  return "unknown";
}

namespace {
constexpr std::array<std::string_view, 5> kMboxNames = {"auto", "mboxo", "mboxrd", "mboxcl", "mboxcl2"};
constexpr std::array<std::string_view, 3> kStdinNames = {"auto", "message", "mbox"};
}  // namespace

std::string_view mbox_format_name(MboxFormat format) noexcept {
  return kMboxNames[static_cast<std::size_t>(format)];
}

std::optional<MboxFormat> parse_mbox_format(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kMboxNames.size(); ++i) {
    if (kMboxNames[i] == name) return static_cast<MboxFormat>(i);
  }
  return std::nullopt;
}

std::optional<StdinFormat> parse_stdin_format(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kStdinNames.size(); ++i) {
    if (kStdinNames[i] == name) return static_cast<StdinFormat>(i);
  }
  return std::nullopt;
}

}  // namespace dkimscan::ingest
