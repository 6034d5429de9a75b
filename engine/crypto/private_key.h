// File: crypto/private_key.h
// Private keys for the signing half: load a PEM file, generate RSA or Ed25519 keys, sign a
// digest, and render the public half as a DKIM key record (p= value). Errors are exceptions:
// this is used only at the edges (keygen, sign), never on the verification hot path.
#pragma once

#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/algorithms.h"
#include "engine/key_record.h"

namespace dkimscan::engine {

class PrivateKey {
 public:
  static PrivateKey load_pem_file(const std::string& path);   // throws std::runtime_error
  static PrivateKey from_pem(std::string_view pem);            // throws std::runtime_error
  static PrivateKey generate(KeyType type, unsigned rsa_bits);  // throws std::runtime_error

  KeyType type() const noexcept { return type_; }
  unsigned bits() const noexcept { return bits_; }

  std::string to_pem() const;
  // The base64 p= value: SubjectPublicKeyInfo for RSA (RFC 6376 §3.6.1), the raw 32-byte key
  // for Ed25519 (RFC 8463 §4.2).
  std::string public_key_base64() const;
  // Signs the digest of the canonical header data, as check_signature() verifies it.
  std::vector<unsigned char> sign_digest(Algorithm algorithm, std::span<const unsigned char> digest) const;

 private:
  PrivateKey(PublicKeyPtr key, KeyType type, unsigned bits)
      : key_(std::move(key)), type_(type), bits_(bits) {}
  PublicKeyPtr key_;  // holds the private key too (an EVP_PKEY either way)
  KeyType type_;
  unsigned bits_;
};

std::string base64_encode(std::span<const unsigned char> bytes);

}  // namespace dkimscan::engine
