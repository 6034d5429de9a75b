// File: crypto/signature_check.cpp
// Public-key decoding and signature checks on OpenSSL 3. The digest algorithms are fetched once
// per process; each thread's CryptoContexts keeps its EVP_MD_CTX (Ed25519) and RSA verify
// contexts, so the hot path pays no fetch and no fresh context (openssl/openssl#21005).
#include "engine/crypto/signature_check.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <memory>

namespace dkimscan::engine {
namespace {

const EVP_MD* fetched_md(HashAlg hash) noexcept {
  // Fetched once; OpenSSL keeps fetched algorithms alive until process exit.
  static EVP_MD* const sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return hash == HashAlg::sha1 ? sha1 : sha256;
}

}  // namespace

CryptoContexts::CryptoContexts() : md_ctx_(EVP_MD_CTX_new()) {}

CryptoContexts::~CryptoContexts() {
  for (Slot& slot : slots_) EVP_PKEY_CTX_free(slot.ctx);
  EVP_MD_CTX_free(md_ctx_);
}

EVP_PKEY_CTX* CryptoContexts::rsa_verify(EVP_PKEY* key, HashAlg hash) noexcept {
  for (Slot& slot : slots_) {
    if (slot.key == key && slot.hash == hash && slot.ctx != nullptr) return slot.ctx;
  }
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr);
  if (ctx == nullptr || EVP_PKEY_verify_init(ctx) != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1 ||
      EVP_PKEY_CTX_set_signature_md(ctx, fetched_md(hash)) != 1) {
    EVP_PKEY_CTX_free(ctx);
    return nullptr;
  }
  Slot& victim = slots_[next_++ % slots_.size()];  // round robin: cheap and good enough
  EVP_PKEY_CTX_free(victim.ctx);
  victim = Slot{key, hash, ctx};
  return ctx;
}

namespace {

CryptoCheck check_rsa(CryptoContexts& contexts, Algorithm algorithm, EVP_PKEY* key,
                      std::span<const unsigned char> digest, std::span<const unsigned char> signature) noexcept {
  EVP_PKEY_CTX* ctx = contexts.rsa_verify(key, hash_of(algorithm));
  if (ctx == nullptr) return CryptoCheck::error;
  // RFC 6376 §3.3.1: RSASSA-PKCS1-v1_5 over the DigestInfo of the header hash. A signature of
  // the wrong length is an invalid signature, not an internal error.
  int rc = EVP_PKEY_verify(ctx, signature.data(), signature.size(), digest.data(), digest.size());
  return rc == 1 ? CryptoCheck::valid : CryptoCheck::invalid;
}

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
                           : check_rsa(contexts, algorithm, key, digest, signature);
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
