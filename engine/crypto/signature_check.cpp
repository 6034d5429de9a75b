// File: crypto/signature_check.cpp
// Public-key decoding and signature checks on OpenSSL 3. The digest algorithms are fetched once
// per process; per-thread EVP_MD_CTX objects are reused for Ed25519 so the hot path pays no
// fetch and no fresh context (openssl/openssl#21005).
#include "engine/crypto/signature_check.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>

namespace dkimscan::engine {
namespace {

const EVP_MD* fetched_md(HashAlg hash) noexcept {
  // Fetched once; OpenSSL keeps fetched algorithms alive until process exit.
  static EVP_MD* const sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return hash == HashAlg::sha1 ? sha1 : sha256;
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};

EVP_MD_CTX* thread_md_ctx() noexcept {
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  return ctx.get();
}

struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* ctx) const noexcept { EVP_PKEY_CTX_free(ctx); }
};

CryptoCheck check_rsa(Algorithm algorithm, EVP_PKEY* key, std::span<const unsigned char> digest,
                      std::span<const unsigned char> signature) noexcept {
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1 ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), fetched_md(hash_of(algorithm))) != 1) {
    return CryptoCheck::error;
  }
  // RFC 6376 §3.3.1: RSASSA-PKCS1-v1_5 over the DigestInfo of the header hash. A signature of
  // the wrong length is an invalid signature, not an internal error.
  int rc = EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), digest.data(), digest.size());
  return rc == 1 ? CryptoCheck::valid : CryptoCheck::invalid;
}

CryptoCheck check_ed25519(EVP_PKEY* key, std::span<const unsigned char> digest,
                          std::span<const unsigned char> signature) noexcept {
  // RFC 8463 §3: PureEdDSA over the SHA-256 hash of the header data (the hash is the message).
  EVP_MD_CTX* ctx = thread_md_ctx();
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

CryptoCheck check_signature(Algorithm algorithm, EVP_PKEY* key, std::span<const unsigned char> digest,
                            std::span<const unsigned char> signature) noexcept {
  if (key == nullptr || signature.empty()) return CryptoCheck::invalid;
  CryptoCheck result = key_type_of(algorithm) == KeyType::ed25519
                           ? check_ed25519(key, digest, signature)
                           : check_rsa(algorithm, key, digest, signature);
  // A failed check leaves entries on this thread's OpenSSL error queue; drop them so the queue
  // does not grow with every bad signature in an archive.
  if (result != CryptoCheck::valid) ERR_clear_error();
  return result;
}

PublicKeyPtr decode_public_key(KeyType type, std::span<const unsigned char> der, unsigned& bits) noexcept {
  bits = 0;
  if (der.empty()) return nullptr;
  const int wanted = type == KeyType::rsa ? EVP_PKEY_RSA : EVP_PKEY_ED25519;
  PublicKeyPtr key;
  const unsigned char* cursor = der.data();
  // SubjectPublicKeyInfo first: what RFC 6376 §3.6.1 and most signers publish. RSA only: RFC
  // 8463 §4.2 makes an Ed25519 p= the bare 32-byte key, so a wrapped one is bad key data.
  if (type == KeyType::rsa) key.reset(d2i_PUBKEY(nullptr, &cursor, static_cast<long>(der.size())));
  if (!key && type == KeyType::rsa) {
    // A bare PKCS#1 RSAPublicKey, which some publishers use and go-msgauth and mail-auth accept.
    cursor = der.data();
    key.reset(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &cursor, static_cast<long>(der.size())));
  }
  if (!key && type == KeyType::ed25519 && der.size() == 32) {
    // RFC 8463 §4.2: the raw 32-byte Ed25519 public key.
    key.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, der.data(), der.size()));
  }
  ERR_clear_error();
  if (!key || EVP_PKEY_get_base_id(key.get()) != wanted) return nullptr;
  bits = static_cast<unsigned>(EVP_PKEY_get_bits(key.get()));
  return key;
}

}  // namespace dkimscan::engine
