// File: tests/fuzz/body_canon_fuzz.cpp
// libFuzzer target for BodyCanonicalizer: a random chunking of the body (drawn from the input)
// must give the same bytes and total length as one feed, and both must equal a plain,
// obviously-correct reference of RFC 6376 §3.4.3/§3.4.4 written with std::string. And the body
// hashes of variants (edits at chunk boundaries, computed by forking at each) must equal the hashes
// of the same variants built whole.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "engine/body_hash.h"
#include "engine/canon.h"
#include "tests/engine/reference_canon.h"

namespace {

using namespace dkimscan::engine;

void require(bool ok) {
  if (!ok) std::abort();
}

struct Result {
  std::string text;
  std::uint64_t total = 0;
};

Result run(Canon canon, const std::vector<std::string_view>& chunks, std::optional<std::uint64_t> limit) {
  StringSink sink;
  BodyCanonicalizer body(canon, sink, limit);
  for (std::string_view chunk : chunks) body.feed(chunk);
  body.finish();
  return Result{sink.text, body.total_length()};
}

void check_variant_hashes(Canon canon, std::optional<std::uint64_t> limit, std::string_view body,
                          const std::vector<std::string_view>& chunks) {
  std::vector<BodyEdit> edits;
  for (std::string_view chunk : chunks) {
    const auto at = static_cast<std::size_t>(chunk.data() - body.data());
    if (chunk.empty() || (!edits.empty() && edits.back().at >= at) || edits.size() == 5) continue;
    edits.push_back({at, (chunk.size() & 1) != 0, chunk.back()});
  }
  std::vector<std::uint64_t> masks;
  for (std::uint64_t mask = 0; mask < (std::uint64_t{1} << edits.size()); ++mask) masks.push_back(mask);
  const BodyHashKey key{canon, HashAlg::sha256, limit};
  std::vector<BodyHash> hashes(masks.size());
  compute_variant_body_hashes(body, edits, masks, key, hashes);
  Digest digest;
  for (std::size_t k = 0; k < masks.size(); ++k) {
    const BodyHash whole = compute_body_hash(testing::apply_edits(body, edits, masks[k]), key, digest);
    require(hashes[k].size == whole.size && hashes[k].digest == whole.digest);
    require(hashes[k].canonical_length == whole.canonical_length);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const Canon canon = (data[0] & 1) ? Canon::relaxed : Canon::simple;
  std::optional<std::uint64_t> limit;
  if (data[0] & 2) limit = data[1] * 7u;
  std::uint32_t seed = data[2] | (static_cast<std::uint32_t>(data[0]) << 8);
  const std::string_view body(reinterpret_cast<const char*>(data) + 3, size - 3);

  std::vector<std::string_view> chunks;
  for (std::size_t pos = 0; pos < body.size();) {
    seed = seed * 1103515245u + 12345u;
    std::size_t n = (seed >> 16) % 9;  // small chunks, empty ones included
    if ((seed >> 8) % 17 == 0) n = (seed >> 4) % 5000;
    n = std::min(n, body.size() - pos);
    chunks.push_back(body.substr(pos, n));
    pos += n;
  }
  const Result whole = run(canon, {body}, limit);
  const Result split = run(canon, chunks, limit);
  require(whole.text == split.text);
  require(whole.total == split.total);

  const std::string expected = testing::reference_canon(canon, body);
  require(whole.total == expected.size());
  require(whole.text == (limit ? expected.substr(0, std::min<std::uint64_t>(*limit, expected.size())) : expected));
  check_variant_hashes(canon, limit, body, chunks);
  return 0;
}
