// File: ingest/message_check.cpp
// One memchr per header line; the body is never scanned, so the cost is O(header).
#include "ingest/message_check.h"

#include <cstring>

namespace dkimscan::ingest {

bool starts_with_header_field(std::string_view bytes) noexcept {
  // RFC 5322 §3.6.8: field-name = 1*ftext; ftext = %d33-57 / %d59-126. Obsolete syntax
  // (§4.5) allows white space before the colon.
  std::size_t i = 0;
  while (i < bytes.size() && bytes[i] >= 33 && bytes[i] <= 126 && bytes[i] != ':') ++i;
  if (i == 0) return false;
  while (i < bytes.size() && (bytes[i] == ' ' || bytes[i] == '\t')) ++i;
  return i < bytes.size() && bytes[i] == ':';
}

IngestError check_message(std::string_view bytes, std::size_t max_header_line, std::string& detail) {
  if (bytes.empty()) {
    detail = "zero bytes";
    return IngestError::empty;
  }
  if (!starts_with_header_field(bytes)) {
    detail = "no header field at offset 0";
    return IngestError::not_a_message;
  }
  const char* const begin = bytes.data();
  const char* const end = begin + bytes.size();
  const char* line = begin;
  while (line < end) {
    const void* nl = std::memchr(line, '\n', static_cast<std::size_t>(end - line));
    const char* line_end = nl ? static_cast<const char*>(nl) : end;
    std::size_t length = static_cast<std::size_t>(line_end - line);
    if (length > 0 && line[length - 1] == '\r') --length;
    if (length > max_header_line) {
      detail = "header line of " + std::to_string(length) + " bytes at offset " +
               std::to_string(line - begin);
      return IngestError::line_too_long;
    }
    // RFC 5322 §2.1: the header ends at the first empty line (CRLF or bare LF: archives differ).
    if ((length == 0 && nl) || !nl) break;
    line = line_end + 1;
  }
  // Without an empty line the message is all header (RFC 5322 §3.5: the body is optional); the
  // engine verifies it with an empty body and reports a last line cut off (header_not_terminated).
  return IngestError::none;
}

}  // namespace dkimscan::ingest
