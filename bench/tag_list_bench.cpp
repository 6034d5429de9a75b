// File: bench/tag_list_bench.cpp
// The RFC 6376 §3.2 tag=value parser on the two texts it meets on every message: a folded
// DKIM-Signature value (RSA-2048 and Ed25519 b=) and a key record, plus the FWS-tolerant base64
// decoder that b=, bh= and p= go through. Each input is parsed and checked once before timing.
#include <benchmark/benchmark.h>

#include <array>
#include <string>

#include "bench/fixtures.h"
#include "engine/tag_list.h"

namespace dkimscan::bench {
namespace {

using engine::TagList;
using engine::TagListStatus;

// Parses text once and insists on ok and the expected tag count.
void check_parse(std::string_view text, std::size_t expected_tags) {
  TagList tags;
  if (tags.parse(text) != TagListStatus::ok) fail("tag list does not parse");
  if (tags.size() != expected_tags) fail("tag list has an unexpected tag count");
  if (tags.find("v") == nullptr) fail("tag list lost v=");
}

void run_parse(benchmark::State& state, std::string_view text, std::size_t expected_tags) {
  check_parse(text, expected_tags);
  TagList tags;
  for (auto _ : state) {
    TagListStatus status = tags.parse(text);
    benchmark::DoNotOptimize(status);
    benchmark::DoNotOptimize(tags);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}

// The signer's tags: v a c d s t h bh b (no padding '=' counted for tags).
constexpr std::size_t kSignatureTags = 9;

void BM_tag_list_signature_rsa2048(benchmark::State& state) {
  run_parse(state, signature_value(rsa2048_fixture()), kSignatureTags);
}
BENCHMARK(BM_tag_list_signature_rsa2048);

void BM_tag_list_signature_ed25519(benchmark::State& state) {
  run_parse(state, signature_value(ed25519_fixture()), kSignatureTags);
}
BENCHMARK(BM_tag_list_signature_ed25519);

void BM_tag_list_key_record_rsa2048(benchmark::State& state) {
  run_parse(state, rsa2048_fixture().key_txt, 3);  // v k p
}
BENCHMARK(BM_tag_list_key_record_rsa2048);

void BM_tag_list_find(benchmark::State& state) {
  TagList tags;
  if (tags.parse(signature_value(rsa2048_fixture())) != TagListStatus::ok) fail("tag list does not parse");
  if (tags.find("bh") == nullptr) fail("bh= not found");
  for (auto _ : state) {
    for (std::string_view name : {"v", "a", "b", "bh", "c", "d", "h", "s", "t"}) {
      benchmark::DoNotOptimize(tags.find(name));
    }
  }
  state.SetItemsProcessed(state.iterations() * 9);
}
BENCHMARK(BM_tag_list_find);

void BM_base64_decode_b_rsa2048(benchmark::State& state) {
  TagList tags;
  if (tags.parse(signature_value(rsa2048_fixture())) != TagListStatus::ok) fail("tag list does not parse");
  const std::string_view b = tags.find("b")->value;  // folded: FWS inside the base64
  std::array<unsigned char, 1024> out{};
  if (engine::decode_base64_fws(b, out.data(), out.size()) != 256) fail("b= of RSA-2048 is not 256 bytes");
  for (auto _ : state) {
    benchmark::DoNotOptimize(engine::decode_base64_fws(b, out.data(), out.size()));
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(b.size()));
}
BENCHMARK(BM_base64_decode_b_rsa2048);

}  // namespace
}  // namespace dkimscan::bench

BENCHMARK_MAIN();
