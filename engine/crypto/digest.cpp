// File: crypto/digest.cpp
// SHA-1/SHA-256 over OpenSSL 3. The EVP_MD objects are fetched once per process (function-local
// statics, thread-safe initialization) and each Digest reuses one EVP_MD_CTX through
// EVP_DigestInit_ex2, so no hash pays OpenSSL 3's per-fetch lookup (openssl/openssl#21005).
#include "engine/crypto/digest.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <new>

namespace dkimscan::engine {
namespace {

// LIFETIME: fetched once and never freed; EVP_MD objects are safe to share between threads.
const EVP_MD* fetch_or_die(const char* name) noexcept {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) std::abort();  // the default provider lacks SHA-1/SHA-256: nothing can work
  return md;
}

const EVP_MD* md_for(HashAlg alg) noexcept {
  static const EVP_MD* const kSha1 = fetch_or_die("SHA1");
  static const EVP_MD* const kSha256 = fetch_or_die("SHA256");
  return alg == HashAlg::sha1 ? kSha1 : kSha256;
}

}  // namespace

Digest::Digest() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr) throw std::bad_alloc();
}

Digest::~Digest() { EVP_MD_CTX_free(ctx_); }

void Digest::begin(HashAlg alg) noexcept { EVP_DigestInit_ex2(ctx_, md_for(alg), nullptr); }

void Digest::copy_from(const Digest& other) noexcept { EVP_MD_CTX_copy_ex(ctx_, other.ctx_); }

void Digest::write(std::string_view bytes) noexcept {
  if (!bytes.empty()) EVP_DigestUpdate(ctx_, bytes.data(), bytes.size());
}

std::size_t Digest::finish(DigestBytes& out) noexcept {
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(ctx_, out.data(), &size) != 1) return 0;
  return size;
}

}  // namespace dkimscan::engine
