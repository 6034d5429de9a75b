// File: algorithms.h
// The small closed vocabularies of DKIM as enums: signing algorithms (RFC 6376 §3.3, RFC 8463),
// canonicalizations (§3.4), hashes and key types, and the verification policy. Enumerators are
// spelled as the RFCs spell them; *_name() gives the wire spelling back.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace dkimscan::engine {

enum class HashAlg : std::uint8_t { sha1, sha256 };
enum class KeyType : std::uint8_t { rsa, ed25519 };
enum class Algorithm : std::uint8_t { rsa_sha1, rsa_sha256, ed25519_sha256 };
enum class Canon : std::uint8_t { simple, relaxed };

// strict: RFC 6376 + RFC 8301 (no rsa-sha1, RSA >= 1024 bits, v=1 required).
// legacy: for old archives: rsa-sha1, RSA keys from 512 bits and draft signatures without v=.
enum class Policy : std::uint8_t { strict, legacy };

constexpr HashAlg hash_of(Algorithm a) noexcept {
  return a == Algorithm::rsa_sha1 ? HashAlg::sha1 : HashAlg::sha256;
}
constexpr KeyType key_type_of(Algorithm a) noexcept {
  return a == Algorithm::ed25519_sha256 ? KeyType::ed25519 : KeyType::rsa;
}
constexpr std::size_t digest_size(HashAlg h) noexcept { return h == HashAlg::sha1 ? 20 : 32; }

std::string_view algorithm_name(Algorithm a) noexcept;  // "rsa-sha256"
std::string_view canon_name(Canon c) noexcept;          // "relaxed"
std::string_view hash_name(HashAlg h) noexcept;         // "sha256"
std::string_view key_type_name(KeyType k) noexcept;     // "rsa"
std::string_view policy_name(Policy p) noexcept;        // "strict"

// Case-insensitive parses of the wire spellings; nullopt when unknown.
std::optional<Algorithm> parse_algorithm(std::string_view text) noexcept;
std::optional<HashAlg> parse_hash(std::string_view text) noexcept;
std::optional<KeyType> parse_key_type(std::string_view text) noexcept;

}  // namespace dkimscan::engine
