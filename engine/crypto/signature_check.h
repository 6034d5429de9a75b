// File: crypto/signature_check.h
// The public-key step of DKIM: does `signature` sign `digest` (the hash of the canonical header
// data) under `key`? RSA uses PKCS#1 v1.5 over the DigestInfo of the hash (RFC 6376 §3.3.1);
// Ed25519 signs the SHA-256 hash itself as the message (RFC 8463 §3). Thread-safe.
#pragma once

#include <cstddef>
#include <span>

#include "engine/algorithms.h"
#include "engine/key_record.h"

namespace dkimscan::engine {

enum class CryptoCheck : unsigned char { valid, invalid, error };

CryptoCheck check_signature(Algorithm algorithm, EVP_PKEY* key, std::span<const unsigned char> digest,
                            std::span<const unsigned char> signature) noexcept;

// Decodes the p= bytes (already base64-decoded) into a public key: SubjectPublicKeyInfo or a bare
// PKCS#1 RSAPublicKey for RSA, the raw 32 bytes or SubjectPublicKeyInfo for Ed25519.
// Returns null when the bytes are no key of that type; bits receives the key size.
PublicKeyPtr decode_public_key(KeyType type, std::span<const unsigned char> der, unsigned& bits) noexcept;

}  // namespace dkimscan::engine
