// File: ingest/dovecot_lz4.cpp
// dovecot's lz4 chunks, each unpacked with LZ4_decompress_safe straight into the output, which
// grows by one chunk at a time.
#include "ingest/dovecot_lz4.h"

#include <lz4.h>

#include <cstdint>

namespace dkimscan::ingest {

namespace {

constexpr std::string_view kMagic("Dovecot-LZ4\x0d\x2a\x9b\xc5", 15);
// dovecot reads chunks of up to 1 MiB (ISTREAM_LZ4_CHUNK_SIZE) and writes 64 KiB ones.
constexpr std::uint32_t kLargestChunk = 1u << 20;

std::uint32_t big_endian32(const char* p) noexcept {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
}

}  // namespace

bool looks_dovecot_lz4(std::string_view bytes) noexcept { return bytes.starts_with(kMagic); }

IngestError unpack_dovecot_lz4(std::string_view bytes, std::size_t max_bytes, std::string& out,
                               std::string& why) noexcept {
  out.clear();
  try {
    // The header is the magic and the largest uncompressed chunk: 15 + 4 bytes.
    if (bytes.size() < kMagic.size() + 4) {
      why = "dovecot lz4 data cut short in its header";
      return IngestError::truncated;
    }
    const std::uint32_t chunk_limit = big_endian32(bytes.data() + kMagic.size());
    if (chunk_limit == 0 || chunk_limit > kLargestChunk) {
      why = "dovecot lz4 header names a chunk size of " + std::to_string(chunk_limit) + " bytes";
      return IngestError::unreadable;
    }
    const auto compressed_limit = static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(chunk_limit)));
    std::size_t pos = kMagic.size() + 4;
    while (pos < bytes.size()) {
      if (bytes.size() - pos < 4) {
        why = "dovecot lz4 data cut short at byte " + std::to_string(pos);
        return IngestError::truncated;
      }
      const std::uint32_t length = big_endian32(bytes.data() + pos);
      pos += 4;
      if (length == 0 || length > compressed_limit) {
        why = "dovecot lz4 chunk at byte " + std::to_string(pos - 4) + " claims " + std::to_string(length) + " bytes";
        return IngestError::unreadable;
      }
      if (bytes.size() - pos < length) {
        why = "dovecot lz4 data cut short in the chunk at byte " + std::to_string(pos - 4);
        return IngestError::truncated;
      }
      const std::size_t old = out.size();
      out.resize(old + chunk_limit);
      const int got = LZ4_decompress_safe(bytes.data() + pos, out.data() + old, static_cast<int>(length),
                                          static_cast<int>(chunk_limit));
      if (got < 0) {
        why = "damaged dovecot lz4 chunk at byte " + std::to_string(pos - 4);
        out.resize(old);
        return IngestError::unreadable;
      }
      out.resize(old + static_cast<std::size_t>(got));
      if (out.size() > max_bytes) {
        why = "message larger than " + std::to_string(max_bytes) + " bytes once unpacked";
        return IngestError::too_large;
      }
      pos += length;
    }
    return IngestError::none;
  } catch (...) {  // std::bad_alloc
    why = "out of memory";  // short enough not to allocate
    return IngestError::unreadable;
  }
}

}  // namespace dkimscan::ingest
