// File: body_hash.cpp
// bh= (RFC 6376 §3.7): the body canonicalized straight into the hash in one pass; l= cuts what
// is hashed, while canonical_length reports the whole canonical body (§3.5 l=, §8.2).
#include "engine/body_hash.h"

#include "engine/canon.h"

namespace dkimscan::engine {

BodyHash compute_body_hash(std::string_view body, const BodyHashKey& key, Digest& digest) noexcept {
  BodyHash result;
  digest.begin(key.hash);
  BodyCanonicalizer canon(key.canon, digest, key.length);
  canon.feed(body);
  canon.finish();
  result.size = digest.finish(result.digest);
  result.canonical_length = canon.total_length();
  return result;
}

}  // namespace dkimscan::engine
