// File: bench/verify_bench.cpp
// The verify step (engine Verifier::verify on a signed ~6 KB message, keys from memory) next to
// the raw OpenSSL floor measured in the same binary and run: RSA-2048 and Ed25519 verification
// with prefetched contexts, SHA-256 over the message, and both together ("floor"), so the ratio
// verify / floor comes from one run. Every benchmark checks its answer once before timing.
#include <benchmark/benchmark.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <array>
#include <memory>
#include <vector>

#include "bench/fixtures.h"
#include "engine/crypto/signature_check.h"
#include "engine/verify.h"

namespace dkimscan::bench {
namespace {

using engine::Verdict;

// ---- engine: the whole verify step --------------------------------------------------------

void run_verify(benchmark::State& state, const SignedFixture& fixture) {
  MemoryKeys keys;
  keys.add(engine::key_name(fixture.selector, kDomain), fixture.keys);
  const engine::Verifier verifier(engine::VerifyOptions{engine::Policy::strict, kSignTime + 60, 16});
  engine::VerifyScratch scratch;
  engine::MessageResult result;
  verifier.verify(fixture.message, keys, scratch, result);
  if (result.best != Verdict::pass || result.signatures.size() != 1) fail("fixture message does not pass");
  for (auto _ : state) {
    verifier.verify(fixture.message, keys, scratch, result);
    benchmark::DoNotOptimize(result);
  }
  if (result.best != Verdict::pass) fail("fixture message stopped passing");
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(fixture.message.size()));
}

void BM_verify_rsa2048_relaxed_6k(benchmark::State& state) { run_verify(state, rsa2048_fixture()); }
BENCHMARK(BM_verify_rsa2048_relaxed_6k);

void BM_verify_rsa2048_simple_6k(benchmark::State& state) { run_verify(state, rsa2048_simple_fixture()); }
BENCHMARK(BM_verify_rsa2048_simple_6k);

void BM_verify_ed25519_relaxed_6k(benchmark::State& state) { run_verify(state, ed25519_fixture()); }
BENCHMARK(BM_verify_ed25519_relaxed_6k);

// ---- raw OpenSSL: the floor ------------------------------------------------------------------

struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* ctx) const noexcept { EVP_PKEY_CTX_free(ctx); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

const EVP_MD* sha256() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);  // prefetched (openssl#21005)
  return md;
}

// A signature over a fixed digest with a fresh key, and the public key to check it with.
struct RawSignature {
  std::array<unsigned char, 32> digest{};
  std::vector<unsigned char> signature;
  engine::KeyRecord record;  // the public half, decoded as the verifier decodes it
};

RawSignature make_raw(engine::KeyType type, unsigned bits) {
  engine::PrivateKey key = engine::PrivateKey::generate(type, bits);
  RawSignature out;
  for (std::size_t i = 0; i < out.digest.size(); ++i) out.digest[i] = static_cast<unsigned char>(i * 7 + 1);
  const auto algorithm = type == engine::KeyType::rsa ? engine::Algorithm::rsa_sha256 : engine::Algorithm::ed25519_sha256;
  out.signature = key.sign_digest(algorithm, out.digest);
  out.record = engine::parse_key_record(std::string("v=DKIM1; k=") + std::string(engine::key_type_name(type)) +
                                        "; p=" + key.public_key_base64());
  if (out.record.status != engine::Reason::ok) fail("raw key record does not parse");
  return out;
}

const RawSignature& raw_rsa2048() {
  static const RawSignature raw = make_raw(engine::KeyType::rsa, 2048);
  return raw;
}
const RawSignature& raw_ed25519() {
  static const RawSignature raw = make_raw(engine::KeyType::ed25519, 0);
  return raw;
}

// An RSA verify context set up once (padding, digest): only EVP_PKEY_verify is timed.
PkeyCtx rsa_verify_ctx(EVP_PKEY* key) {
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1 ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), sha256()) != 1) {
    fail("RSA verify context");
  }
  return ctx;
}

bool rsa_verify(EVP_PKEY_CTX* ctx, const RawSignature& raw) {
  return EVP_PKEY_verify(ctx, raw.signature.data(), raw.signature.size(), raw.digest.data(), raw.digest.size()) == 1;
}

void BM_openssl_rsa2048_verify_prefetched_ctx(benchmark::State& state) {
  const RawSignature& raw = raw_rsa2048();
  PkeyCtx ctx = rsa_verify_ctx(raw.record.key.get());
  if (!rsa_verify(ctx.get(), raw)) fail("RSA-2048 signature does not verify");
  for (auto _ : state) benchmark::DoNotOptimize(rsa_verify(ctx.get(), raw));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_openssl_rsa2048_verify_prefetched_ctx);

// The same check with a context made per call: the price of not keeping one.
void BM_openssl_rsa2048_verify_fresh_ctx(benchmark::State& state) {
  const RawSignature& raw = raw_rsa2048();
  if (!rsa_verify(rsa_verify_ctx(raw.record.key.get()).get(), raw)) fail("RSA-2048 signature does not verify");
  for (auto _ : state) benchmark::DoNotOptimize(rsa_verify(rsa_verify_ctx(raw.record.key.get()).get(), raw));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_openssl_rsa2048_verify_fresh_ctx);

// The engine's public-key step (engine/crypto/signature_check.h) on the same inputs.
void run_check_signature(benchmark::State& state, const RawSignature& raw, engine::Algorithm algorithm) {
  engine::CryptoContexts contexts;
  auto check = [&] {
    return engine::check_signature(contexts, algorithm, raw.record.key.get(), raw.digest, raw.signature);
  };
  if (check() != engine::CryptoCheck::valid) fail("check_signature does not accept the signature");
  for (auto _ : state) benchmark::DoNotOptimize(check());
  state.SetItemsProcessed(state.iterations());
}

void BM_engine_check_signature_rsa2048(benchmark::State& state) {
  run_check_signature(state, raw_rsa2048(), engine::Algorithm::rsa_sha256);
}
BENCHMARK(BM_engine_check_signature_rsa2048);

void BM_engine_check_signature_ed25519(benchmark::State& state) {
  run_check_signature(state, raw_ed25519(), engine::Algorithm::ed25519_sha256);
}
BENCHMARK(BM_engine_check_signature_ed25519);

// RFC 8463 §3: PureEdDSA over the 32-byte hash, with one reused EVP_MD_CTX.
bool ed25519_verify(EVP_MD_CTX* ctx, const RawSignature& raw) {
  EVP_MD_CTX_reset(ctx);
  return EVP_DigestVerifyInit_ex(ctx, nullptr, nullptr, nullptr, nullptr, raw.record.key.get(), nullptr) == 1 &&
         EVP_DigestVerify(ctx, raw.signature.data(), raw.signature.size(), raw.digest.data(), raw.digest.size()) == 1;
}

void BM_openssl_ed25519_verify(benchmark::State& state) {
  const RawSignature& raw = raw_ed25519();
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ed25519_verify(ctx.get(), raw)) fail("Ed25519 signature does not verify");
  for (auto _ : state) benchmark::DoNotOptimize(ed25519_verify(ctx.get(), raw));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_openssl_ed25519_verify);

// SHA-256 over bytes with a prefetched EVP_MD and one reused context.
void sha256_into(EVP_MD_CTX* ctx, std::string_view bytes, unsigned char* out) {
  unsigned int size = 0;
  if (EVP_DigestInit_ex(ctx, sha256(), nullptr) != 1 || EVP_DigestUpdate(ctx, bytes.data(), bytes.size()) != 1 ||
      EVP_DigestFinal_ex(ctx, out, &size) != 1 || size != 32) {
    fail("SHA-256");
  }
}

void check_sha256(EVP_MD_CTX* ctx, std::string_view bytes) {
  std::array<unsigned char, 32> streamed{}, one_shot{};
  sha256_into(ctx, bytes, streamed.data());
  unsigned int size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), one_shot.data(), &size, sha256(), nullptr) != 1 || streamed != one_shot) {
    fail("SHA-256 with a reused context differs from the one-shot digest");
  }
}

void BM_openssl_sha256_6k(benchmark::State& state) {
  const std::string_view message = rsa2048_fixture().message;
  MdCtx ctx(EVP_MD_CTX_new());
  check_sha256(ctx.get(), message);
  std::array<unsigned char, 32> out{};
  for (auto _ : state) {
    sha256_into(ctx.get(), message, out.data());
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(message.size()));
}
BENCHMARK(BM_openssl_sha256_6k);

// The floor for one message: SHA-256 over the body and over the header block (what the body
// hash and the header hash cover, uncanonicalized) plus one public-key check. The verify
// benchmarks above do this work and everything else; their time / this time is the overhead.
void run_floor(benchmark::State& state, const SignedFixture& fixture, bool ed25519) {
  const std::string_view message = fixture.message;
  const std::size_t split = message.find("\r\n\r\n") + 2;
  const std::string_view header = message.substr(0, split), body = message.substr(split + 2);
  const RawSignature& raw = ed25519 ? raw_ed25519() : raw_rsa2048();
  MdCtx md(EVP_MD_CTX_new()), ed(EVP_MD_CTX_new());
  PkeyCtx rsa = ed25519 ? PkeyCtx() : rsa_verify_ctx(raw.record.key.get());
  check_sha256(md.get(), message);
  auto key_check = [&] { return ed25519 ? ed25519_verify(ed.get(), raw) : rsa_verify(rsa.get(), raw); };
  if (!key_check()) fail("floor signature does not verify");
  std::array<unsigned char, 32> out{};
  for (auto _ : state) {
    sha256_into(md.get(), body, out.data());
    sha256_into(md.get(), header, out.data());
    benchmark::DoNotOptimize(key_check());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(message.size()));
}

void BM_floor_rsa2048_6k(benchmark::State& state) { run_floor(state, rsa2048_fixture(), false); }
BENCHMARK(BM_floor_rsa2048_6k);

void BM_floor_ed25519_6k(benchmark::State& state) { run_floor(state, ed25519_fixture(), true); }
BENCHMARK(BM_floor_ed25519_6k);

}  // namespace
}  // namespace dkimscan::bench

BENCHMARK_MAIN();
