// File: ingest/message_check.h
// The light check ingest makes before handing bytes on: is this a message at all (RFC 5322
// §2.2: it starts with a header field), and is every header line within the limit. A message
// with no empty line after its header is all header (§3.5: the body is optional). Anything deeper
// is the engine's job (engine/message.h).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "ingest/input_message.h"

namespace dkimscan::ingest {

// none, or the first problem found; detail says where (byte offset) for people.
IngestError check_message(std::string_view bytes, std::size_t max_header_line, std::string& detail);

// True when bytes starts with a field name and ':' (RFC 5322 §3.6.8: printable ASCII but ':').
bool starts_with_header_field(std::string_view bytes) noexcept;

}  // namespace dkimscan::ingest
