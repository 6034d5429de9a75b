// File: dovecot_lz4_fuzz.cpp
// libFuzzer target for unpack_dovecot_lz4() (ingest/dovecot_lz4.h). The input is read two ways:
// as the bytes after dovecot's magic (any header, lengths and chunks), where unpacking must end
// without a crash and never give more than the limit; and as data that is packed the way dovecot
// packs it and unpacked again, which must give the data back. Any violation aborts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ingest/dovecot_lz4.h"
#include "tests/ingest/dovecot_lz4_packer.h"

using namespace dkimscan::ingest;

namespace {

constexpr std::string_view kMagic("Dovecot-LZ4\x0d\x2a\x9b\xc5", 15);
constexpr std::size_t kLimit = 1u << 20;

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string out, why;
  const IngestError error = unpack_dovecot_lz4(std::string(kMagic).append(input), kLimit, out, why);
  if (error == IngestError::none) check(out.size() <= kLimit);
  else check(!why.empty());

  // Small chunks, so that short inputs span several.
  const std::uint32_t chunk_size = 1 + (size == 0 ? 0 : data[0] % 64);
  check(unpack_dovecot_lz4(dkimscan::ingest::testing::pack_dovecot_lz4(input, chunk_size), kLimit, out, why) == IngestError::none);
  check(out == input);
  return 0;
}
