// File: body_hash.h
// The body hash bh= (RFC 6376 §3.7): canonicalize and hash in one pass over the body view.
// A message computes one body hash per distinct (canonicalization, hash, l=), shared by all of
// its signatures (BodyHashKey is that identity).
#pragma once

#include <cstdint>
#include <optional>
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

}  // namespace dkimscan::engine
