// File: tests/ingest/dovecot_lz4_packer.h
// Writes dovecot's lz4 container as its ostream-lz4.c does (the header, then each chunk of up to
// chunk_size bytes compressed on its own, behind its length), for the tests and the fuzz target of
// ingest/dovecot_lz4.h. Header-only, so that the fuzz target needs no test library.
#pragma once

#include <lz4.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace dkimscan::ingest::testing {

inline void put_big_endian32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

inline std::string pack_dovecot_lz4(std::string_view data, std::uint32_t chunk_size = 64 * 1024) {
  std::string out("Dovecot-LZ4\x0d\x2a\x9b\xc5", 15);
  put_big_endian32(out, chunk_size);
  for (std::size_t pos = 0; pos < data.size(); pos += chunk_size) {
    const std::string_view chunk = data.substr(pos, chunk_size);
    std::string packed(static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(chunk.size()))), '\0');
    const int size = LZ4_compress_default(chunk.data(), packed.data(), static_cast<int>(chunk.size()),
                                          static_cast<int>(packed.size()));
    put_big_endian32(out, static_cast<std::uint32_t>(size));
    out.append(packed, 0, static_cast<std::size_t>(size));
  }
  return out;
}

}  // namespace dkimscan::ingest::testing
