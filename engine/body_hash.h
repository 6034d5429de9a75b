// File: body_hash.h
// The body hash bh= (RFC 6376 §3.7): canonicalize and hash in one pass over the body view.
// A message computes one body hash per distinct (canonicalization, hash, l=), shared by all of
// its signatures (BodyHashKey is that identity).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "engine/algorithms.h"
#include "engine/crypto/digest.h"

namespace dkimscan::engine {

struct BodyHashKey {
  Canon canon = Canon::simple;
  HashAlg hash = HashAlg::sha256;
  std::optional<std::uint64_t> length;  // l=
  bool operator==(const BodyHashKey&) const = default;
};

struct BodyHash {
  DigestBytes digest{};
  std::size_t size = 0;
  std::uint64_t canonical_length = 0;  // of the whole canonical body, whatever l= says
};

BodyHash compute_body_hash(std::string_view body, const BodyHashKey& key, Digest& digest) noexcept;

// One change to a body: at offset at, the byte there removed, or the byte insert put in before it.
struct BodyEdit {
  std::size_t at = 0;
  bool remove = false;
  char insert = 0;
};

// The body hashes of variants of body: variant k is body with the edits whose bits are set in
// masks[k] (bit i: edits[i]) applied, hashed into out[k]. The bytes before an edit are hashed once
// for all the variants that agree on the edits before it, so trying 2^n variants costs far less
// than 2^n hashes of the body. edits sorted by at, at most 64, none inside another's removed byte.
void compute_variant_body_hashes(std::string_view body, std::span<const BodyEdit> edits,
                                 std::span<const std::uint64_t> masks, const BodyHashKey& key,
                                 std::span<BodyHash> out);

}  // namespace dkimscan::engine
