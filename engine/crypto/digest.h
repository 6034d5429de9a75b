// File: crypto/digest.h
// SHA-1/SHA-256 through OpenSSL 3 with the algorithms fetched once per process and one reusable
// EVP_MD_CTX per Digest object (OpenSSL 3 pays a fetch and a lock on every fresh context:
// openssl/openssl#21005). A Digest is a ByteSink, so canonicalizers write straight into it.
// Not thread-safe: keep one per thread (see VerifyScratch).
#pragma once

#include <array>
#include <cstddef>
#include <span>

#include "engine/algorithms.h"
#include "engine/canon.h"

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace dkimscan::engine {

using DigestBytes = std::array<unsigned char, 32>;

class Digest final : public ByteSink {
 public:
  Digest();
  ~Digest() override;
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;

  void begin(HashAlg alg) noexcept;
  // Continues from where other is: the same algorithm and the bytes written to it so far.
  void copy_from(const Digest& other) noexcept;
  void write(std::string_view bytes) noexcept override;
  // Writes the digest into out and returns its size (20 or 32).
  std::size_t finish(DigestBytes& out) noexcept;

 private:
  EVP_MD_CTX* ctx_;
};

}  // namespace dkimscan::engine
