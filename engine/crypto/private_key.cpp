// File: crypto/private_key.cpp
// The signing half's key handling on OpenSSL 3. Edge code: failures throw std::runtime_error
// with OpenSSL's own text, for the CLI to report.
#include "engine/crypto/private_key.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "engine/whole_file.h"

namespace dkimscan::engine {
namespace {

[[noreturn]] void throw_openssl(const std::string& what) {
  char text[256] = "no detail";
  if (unsigned long code = ERR_get_error(); code != 0) ERR_error_string_n(code, text, sizeof text);
  ERR_clear_error();
  throw std::runtime_error(what + ": " + text);
}

struct BioFree {
  void operator()(BIO* bio) const noexcept { BIO_free(bio); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* ctx) const noexcept { EVP_PKEY_CTX_free(ctx); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};

KeyType type_of(EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA: return KeyType::rsa;
    case EVP_PKEY_ED25519: return KeyType::ed25519;
    default: throw std::runtime_error("private key is neither RSA nor Ed25519");
  }
}

}  // namespace

PrivateKey PrivateKey::from_pem(std::string_view pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PublicKeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) throw_openssl("cannot read PEM private key");
  KeyType type = type_of(key.get());
  unsigned bits = static_cast<unsigned>(EVP_PKEY_get_bits(key.get()));
  return PrivateKey(std::move(key), type, bits);
}

PrivateKey PrivateKey::load_pem_file(const std::string& path) {
  std::string reason;
  const std::optional<std::string> text = read_whole_file(path, reason);
  if (!text) throw std::runtime_error("cannot read key file " + path + ": " + reason);
  try {
    return from_pem(*text);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

PrivateKey PrivateKey::generate(KeyType type, unsigned rsa_bits) {
  EVP_PKEY* raw = type == KeyType::rsa ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(rsa_bits))
                                       : EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (raw == nullptr) throw_openssl("key generation failed");
  PublicKeyPtr key(raw);
  unsigned bits = static_cast<unsigned>(EVP_PKEY_get_bits(key.get()));
  return PrivateKey(std::move(key), type, bits);
}

std::string PrivateKey::to_pem() const {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    throw_openssl("cannot write PEM");
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string PrivateKey::public_key_base64() const {
  if (type_ == KeyType::ed25519) {
    unsigned char raw[32];
    std::size_t size = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(key_.get(), raw, &size) != 1) throw_openssl("cannot export Ed25519 key");
    return base64_encode({raw, size});
  }
  unsigned char* der = nullptr;
  int size = i2d_PUBKEY(key_.get(), &der);
  if (size <= 0) throw_openssl("cannot export RSA public key");
  std::string text = base64_encode({der, static_cast<std::size_t>(size)});
  OPENSSL_free(der);
  return text;
}

std::vector<unsigned char> PrivateKey::sign_digest(Algorithm algorithm, std::span<const unsigned char> digest) const {
  if (key_type_of(algorithm) != type_) throw std::runtime_error("algorithm does not match the key type");
  std::vector<unsigned char> signature;
  std::size_t size = 0;
  if (type_ == KeyType::ed25519) {
    // RFC 8463 §3: Ed25519 signs the SHA-256 hash of the header data as its message.
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    if (EVP_DigestSignInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, key_.get(), nullptr) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &size, digest.data(), digest.size()) != 1) {
      throw_openssl("Ed25519 signing failed");
    }
    signature.resize(size);
    if (EVP_DigestSign(ctx.get(), signature.data(), &size, digest.data(), digest.size()) != 1) {
      throw_openssl("Ed25519 signing failed");
    }
  } else {
    std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key_.get(), nullptr));
    const char* md = hash_of(algorithm) == HashAlg::sha1 ? "SHA1" : "SHA256";
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1 ||
        EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_get_digestbyname(md)) != 1 ||
        EVP_PKEY_sign(ctx.get(), nullptr, &size, digest.data(), digest.size()) != 1) {
      throw_openssl("RSA signing failed");
    }
    signature.resize(size);
    if (EVP_PKEY_sign(ctx.get(), signature.data(), &size, digest.data(), digest.size()) != 1) {
      throw_openssl("RSA signing failed");
    }
  }
  signature.resize(size);
  return signature;
}

std::string base64_encode(std::span<const unsigned char> bytes) {
  std::string text(4 * ((bytes.size() + 2) / 3), '\0');
  int size = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()), bytes.data(),
                             static_cast<int>(bytes.size()));
  text.resize(static_cast<std::size_t>(size));
  return text;
}

}  // namespace dkimscan::engine
