// File: algorithms.cpp
// Wire spellings of DKIM's closed vocabularies and their case-insensitive parses. ABNF literals
// are case-insensitive (RFC 5234 §2.3), so "RSA-SHA256" names the same algorithm as "rsa-sha256".
#include "engine/algorithms.h"

#include "engine/message.h"

namespace dkimscan::engine {

std::string_view algorithm_name(Algorithm a) noexcept {
  switch (a) {
    case Algorithm::rsa_sha1: return "rsa-sha1";
    case Algorithm::rsa_sha256: return "rsa-sha256";
    case Algorithm::ed25519_sha256: return "ed25519-sha256";
  }
  return "rsa-sha256";
}

std::string_view canon_name(Canon c) noexcept { return c == Canon::relaxed ? "relaxed" : "simple"; }
std::string_view hash_name(HashAlg h) noexcept { return h == HashAlg::sha1 ? "sha1" : "sha256"; }
std::string_view key_type_name(KeyType k) noexcept { return k == KeyType::ed25519 ? "ed25519" : "rsa"; }
std::string_view policy_name(Policy p) noexcept { return p == Policy::legacy ? "legacy" : "strict"; }

// RFC 6376 §3.3 (rsa-sha1, rsa-sha256) and RFC 8463 §3 (ed25519-sha256).
std::optional<Algorithm> parse_algorithm(std::string_view text) noexcept {
  if (iequals(text, "rsa-sha256")) return Algorithm::rsa_sha256;
  if (iequals(text, "ed25519-sha256")) return Algorithm::ed25519_sha256;
  if (iequals(text, "rsa-sha1")) return Algorithm::rsa_sha1;
  return std::nullopt;
}

// RFC 6376 §3.6.1 h= of the key record.
std::optional<HashAlg> parse_hash(std::string_view text) noexcept {
  if (iequals(text, "sha256")) return HashAlg::sha256;
  if (iequals(text, "sha1")) return HashAlg::sha1;
  return std::nullopt;
}

// RFC 6376 §3.6.1 k= (rsa) and RFC 8463 §4 (ed25519).
std::optional<KeyType> parse_key_type(std::string_view text) noexcept {
  if (iequals(text, "rsa")) return KeyType::rsa;
  if (iequals(text, "ed25519")) return KeyType::ed25519;
  return std::nullopt;
}

}  // namespace dkimscan::engine
