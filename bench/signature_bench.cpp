// File: bench/signature_bench.cpp
// Parsing one DKIM-Signature field (RFC 6376 §3.5 grammar and the §6.1.1 checks that need no key):
// the tag list, a=, c=, d=, s=, h=, t=, and the base64 of b= and bh= into fixed arrays. Also the
// message split that finds the field. Every input is parsed and checked once before timing.
#include <benchmark/benchmark.h>

#include "bench/fixtures.h"
#include "engine/message.h"
#include "engine/signature.h"

namespace dkimscan::bench {
namespace {

using engine::Reason;

// The fixture's DKIM-Signature field, split out of its message (kept alive with the fixture).
const engine::HeaderField& signature_field(const SignedFixture& fixture, engine::ParsedMessage& parsed) {
  parsed.split(fixture.message);
  const engine::HeaderField* field = parsed.first("DKIM-Signature");
  if (field == nullptr) fail("fixture has no DKIM-Signature field");
  return *field;
}

void check_signature(const engine::Signature& sig, const SignedFixture& fixture, std::size_t b_size) {
  if (sig.domain != kDomain || sig.selector != fixture.selector) fail("d= or s= parsed wrong");
  if (sig.b_size != b_size || sig.bh_size != 32) fail("b= or bh= decoded to the wrong size");
  if (sig.timestamp != static_cast<std::uint64_t>(kSignTime)) fail("t= parsed wrong");
}

void run_parse(benchmark::State& state, const SignedFixture& fixture, std::size_t b_size) {
  engine::ParsedMessage parsed;
  const engine::HeaderField& field = signature_field(fixture, parsed);
  engine::Signature sig;
  if (engine::parse_signature(field, engine::Policy::strict, sig) != Reason::ok) fail("signature does not parse");
  check_signature(sig, fixture, b_size);
  for (auto _ : state) {
    Reason r = engine::parse_signature(field, engine::Policy::strict, sig);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(sig);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(field.raw.size()));
}

void BM_parse_signature_rsa2048(benchmark::State& state) { run_parse(state, rsa2048_fixture(), 256); }
BENCHMARK(BM_parse_signature_rsa2048);

void BM_parse_signature_ed25519(benchmark::State& state) { run_parse(state, ed25519_fixture(), 64); }
BENCHMARK(BM_parse_signature_ed25519);

// Splitting the ~6 KB message into header fields and body (what precedes every signature parse).
// split() stops at the empty line after the header, so bytes/s counts the header's bytes only.
void BM_message_split_6k(benchmark::State& state) {
  const SignedFixture& fixture = rsa2048_fixture();
  engine::ParsedMessage parsed;
  parsed.split(fixture.message);
  if (parsed.defect() != engine::MessageDefect::none || parsed.fields().size() != 8) fail("message split wrong");
  const auto header_bytes = static_cast<std::int64_t>(fixture.message.size() - parsed.body().size());
  for (auto _ : state) {
    parsed.split(fixture.message);
    benchmark::DoNotOptimize(parsed);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * header_bytes);
}
BENCHMARK(BM_message_split_6k);

}  // namespace
}  // namespace dkimscan::bench

BENCHMARK_MAIN();
