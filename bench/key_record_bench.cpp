// File: bench/key_record_bench.cpp
// Parsing a DKIM key record (RFC 6376 §3.6.1) into a ready public key: the tag list, the p=
// base64, and OpenSSL's decoding of the SubjectPublicKeyInfo (RSA) or raw key (Ed25519, RFC 8463
// §4.2). A cache miss pays this once per key; the figures say what a cold key costs.
#include <benchmark/benchmark.h>

#include "bench/fixtures.h"
#include "engine/key_record.h"

namespace dkimscan::bench {
namespace {

void run_parse(benchmark::State& state, const std::string& txt, engine::KeyType type, unsigned bits) {
  engine::KeyRecord record = engine::parse_key_record(txt);
  if (record.status != engine::Reason::ok || record.type != type || record.bits != bits || !record.key) {
    fail("key record parsed wrong");
  }
  for (auto _ : state) {
    engine::KeyRecord parsed = engine::parse_key_record(txt);
    benchmark::DoNotOptimize(parsed);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(txt.size()));
}

void BM_parse_key_record_rsa1024(benchmark::State& state) {
  static const SignedFixture fixture = make_signed(engine::KeyType::rsa, 1024);
  run_parse(state, fixture.key_txt, engine::KeyType::rsa, 1024);
}
BENCHMARK(BM_parse_key_record_rsa1024);

void BM_parse_key_record_rsa2048(benchmark::State& state) {
  run_parse(state, rsa2048_fixture().key_txt, engine::KeyType::rsa, 2048);
}
BENCHMARK(BM_parse_key_record_rsa2048);

void BM_parse_key_record_ed25519(benchmark::State& state) {
  run_parse(state, ed25519_fixture().key_txt, engine::KeyType::ed25519, 256);
}
BENCHMARK(BM_parse_key_record_ed25519);

// A revoked record (empty p=): no OpenSSL work, the tag list and the checks alone.
void BM_parse_key_record_revoked(benchmark::State& state) {
  const std::string txt = "v=DKIM1; k=rsa; p=";
  if (engine::parse_key_record(txt).status != engine::Reason::key_revoked) fail("empty p= is not key_revoked");
  for (auto _ : state) {
    engine::KeyRecord parsed = engine::parse_key_record(txt);
    benchmark::DoNotOptimize(parsed);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_parse_key_record_revoked);

}  // namespace
}  // namespace dkimscan::bench

BENCHMARK_MAIN();
