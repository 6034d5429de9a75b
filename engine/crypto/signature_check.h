// File: crypto/signature_check.h
// The public-key step of DKIM: does `signature` sign `digest` (the hash of the canonical header
// data) under `key`? RSA uses PKCS#1 v1.5 over the DigestInfo of the hash (RFC 6376 §3.3.1);
// Ed25519 signs the SHA-256 hash itself as the message (RFC 8463 §3). Thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <span>

#include "engine/algorithms.h"
#include "engine/key_record.h"

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace dkimscan::engine {

enum class CryptoCheck : unsigned char { valid, invalid, error };

// One thread's reusable OpenSSL context for Ed25519 (an EVP_MD_CTX, reset and re-initialized per
// check, keeping its allocation). RSA needs none: it is checked on the key's own RSA object (see
// signature_check.cpp). Owned by a VerifyScratch (not thread_local), so it is freed by its owner,
// never in a thread-exit destructor that could run after OpenSSL's own atexit cleanup. Not
// thread-safe: one per thread.
class CryptoContexts {
 public:
  CryptoContexts();
  ~CryptoContexts();
  CryptoContexts(const CryptoContexts&) = delete;
  CryptoContexts& operator=(const CryptoContexts&) = delete;

  EVP_MD_CTX* digest_verify() noexcept { return md_ctx_; }

 private:
  EVP_MD_CTX* md_ctx_;
};

CryptoCheck check_signature(CryptoContexts& contexts, Algorithm algorithm, EVP_PKEY* key,
                            std::span<const unsigned char> digest, std::span<const unsigned char> signature) noexcept;

// Decodes the p= bytes (already base64-decoded) into a public key: SubjectPublicKeyInfo or a bare
// PKCS#1 RSAPublicKey for RSA, the raw 32 bytes or SubjectPublicKeyInfo for Ed25519.
// Returns null when the bytes are no key of that type; bits receives the key size.
PublicKeyPtr decode_public_key(KeyType type, std::span<const unsigned char> der, unsigned& bits) noexcept;

}  // namespace dkimscan::engine
