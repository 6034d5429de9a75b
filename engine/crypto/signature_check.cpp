// File: crypto/signature_check.cpp
// Public-key decoding and signature checks on OpenSSL 3. RSA is checked on the key's own RSA
// object (no context, no fetch); Ed25519 reuses each thread's EVP_MD_CTX allocation.
#include "engine/crypto/signature_check.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <memory>

namespace dkimscan::engine {

CryptoContexts::CryptoContexts() : md_ctx_(EVP_MD_CTX_new()) {}

CryptoContexts::~CryptoContexts() { EVP_MD_CTX_free(md_ctx_); }

namespace {

// RFC 6376 §3.3.1: RSASSA-PKCS1-v1_5 over the DigestInfo of the header hash.
//
// Checked with RSA_verify() on the key's own RSA object, not through an EVP_PKEY_CTX. OpenSSL 3.0
// cannot point a verify context at another key, and a new one costs a provider fetch and global
// locks (openssl/openssl#21005): a per-thread cache of contexts missed on 60% of the signatures
// of a 500-domain corpus, since a DKIM archive has as many keys as senders. RSA_verify does the
// same RSA public operation and DigestInfo comparison the provider does, with no fetch and no
// context. It is deprecated in 3.0 (hence the local suppression) but present through 3.x.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
CryptoCheck check_rsa(Algorithm algorithm, EVP_PKEY* key, std::span<const unsigned char> digest,
                      std::span<const unsigned char> signature) noexcept {
  const RSA* rsa = EVP_PKEY_get0_RSA(key);  // a decoded key's own object: no copy, no lock
  if (rsa == nullptr) return CryptoCheck::error;
  const int type = hash_of(algorithm) == HashAlg::sha1 ? NID_sha1 : NID_sha256;
  // A signature of the wrong length is an invalid signature, not an internal error.
  const int rc = RSA_verify(type, digest.data(), static_cast<unsigned>(digest.size()), signature.data(),
                            static_cast<unsigned>(signature.size()), const_cast<RSA*>(rsa));
  return rc == 1 ? CryptoCheck::valid : CryptoCheck::invalid;
}
#pragma GCC diagnostic pop

CryptoCheck check_ed25519(CryptoContexts& contexts, EVP_PKEY* key, std::span<const unsigned char> digest,
                          std::span<const unsigned char> signature) noexcept {
  // RFC 8463 §3: PureEdDSA over the SHA-256 hash of the header data (the hash is the message).
  EVP_MD_CTX* ctx = contexts.digest_verify();
  // A one-shot EVP_DigestVerify leaves the context finished; reset it (keeping its allocation)
  // before the next init, or OpenSSL 3.0 verifies against the previous key's state.
  if (ctx != nullptr) EVP_MD_CTX_reset(ctx);
  if (ctx == nullptr || EVP_DigestVerifyInit_ex(ctx, nullptr, nullptr, nullptr, nullptr, key, nullptr) != 1) {
    return CryptoCheck::error;
  }
  int rc = EVP_DigestVerify(ctx, signature.data(), signature.size(), digest.data(), digest.size());
  return rc == 1 ? CryptoCheck::valid : CryptoCheck::invalid;
}

}  // namespace

CryptoCheck check_signature(CryptoContexts& contexts, Algorithm algorithm, EVP_PKEY* key,
                            std::span<const unsigned char> digest, std::span<const unsigned char> signature) noexcept {
  if (key == nullptr || signature.empty()) return CryptoCheck::invalid;
  CryptoCheck result = key_type_of(algorithm) == KeyType::ed25519
                           ? check_ed25519(contexts, key, digest, signature)
                           : check_rsa(algorithm, key, digest, signature);
  // A failed check leaves entries on this thread's OpenSSL error queue; drop them so the queue
  // does not grow with every bad signature in an archive.
  if (result != CryptoCheck::valid) ERR_clear_error();
  return result;
}

namespace {

// One DER tag-length-value. Returns false when it is malformed or runs past the input.
bool read_der(std::span<const unsigned char>& input, unsigned char tag, std::span<const unsigned char>& value) noexcept {
  if (input.size() < 2 || input[0] != tag) return false;
  std::size_t length = input[1], header = 2;
  if (length & 0x80) {  // long form: the next (length & 0x7f) bytes are the length
    std::size_t count = length & 0x7f;
    if (count == 0 || count > 3 || input.size() < 2 + count) return false;
    length = 0;
    for (std::size_t i = 0; i < count; ++i) length = (length << 8) | input[2 + i];
    header += count;
  }
  if (input.size() - header < length) return false;
  value = input.subspan(header, length);
  input = input.subspan(header + length);
  return true;
}

// The RSAPublicKey inside an RSA SubjectPublicKeyInfo (RFC 5280 §4.1, RFC 3279 §2.3.1), or an
// empty span when der is not one. Done by hand because d2i_PUBKEY runs OpenSSL 3's generic
// decoder chain, about 100 µs per key, which dominated loading large key files.
std::span<const unsigned char> rsa_key_in_spki(std::span<const unsigned char> der) noexcept {
  static constexpr unsigned char kRsaEncryption[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
  std::span<const unsigned char> spki, algorithm, oid, bits;
  if (!read_der(der, 0x30, spki) || !der.empty()) return {};
  if (!read_der(spki, 0x30, algorithm) || !read_der(algorithm, 0x06, oid)) return {};
  if (!std::equal(oid.begin(), oid.end(), std::begin(kRsaEncryption), std::end(kRsaEncryption))) return {};
  if (!read_der(spki, 0x03, bits) || !spki.empty() || bits.empty() || bits[0] != 0) return {};
  return bits.subspan(1);  // after the count of unused bits, which must be 0
}

}  // namespace

PublicKeyPtr decode_public_key(KeyType type, std::span<const unsigned char> der, unsigned& bits) noexcept {
  bits = 0;
  if (der.empty()) return nullptr;
  PublicKeyPtr key;
  if (type == KeyType::rsa) {
    // SubjectPublicKeyInfo first: what RFC 6376 §3.6.1 and most signers publish; else a bare
    // PKCS#1 RSAPublicKey, which some publishers use and go-msgauth and mail-auth accept.
    std::span<const unsigned char> pkcs1 = rsa_key_in_spki(der);
    if (pkcs1.empty()) pkcs1 = der;
    const unsigned char* cursor = pkcs1.data();
    key.reset(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &cursor, static_cast<long>(pkcs1.size())));
    if (key && cursor != pkcs1.data() + pkcs1.size()) key.reset();  // trailing bytes: not a key
  } else if (der.size() == 32) {
    // RFC 8463 §4.2: an Ed25519 p= is the bare 32-byte key; a wrapped one is bad key data.
    key.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, der.data(), der.size()));
  }
  ERR_clear_error();
  if (!key) return nullptr;
  bits = static_cast<unsigned>(EVP_PKEY_get_bits(key.get()));
  return key;
}

}  // namespace dkimscan::engine
