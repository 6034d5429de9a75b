// File: ingest/dovecot_lz4.h
// dovecot's own lz4 container (its lib-compression, iostream-lz4.h), one of the formats its zlib
// plugin stores Maildir files in: a 19-byte header (the magic "Dovecot-LZ4\r\x2a\x9b\xc5", then
// the largest uncompressed chunk, 4 bytes big-endian), then chunks, each a 4-byte big-endian length
// and one LZ4 block that unpacks on its own. It is not the standard lz4 frame, so libarchive does
// not read it. noexcept; a fuzz target.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "ingest/input_message.h"

namespace dkimscan::ingest {

bool looks_dovecot_lz4(std::string_view bytes) noexcept;

// Unpacks bytes (which start with the magic) into out, at most max_bytes of it. Returns none, or
// truncated (the data ends inside a chunk), unreadable (a damaged header or chunk) or too_large,
// with a detail for people in why.
IngestError unpack_dovecot_lz4(std::string_view bytes, std::size_t max_bytes, std::string& out,
                               std::string& why) noexcept;

}  // namespace dkimscan::ingest
