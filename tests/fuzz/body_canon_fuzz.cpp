// File: tests/fuzz/body_canon_fuzz.cpp
// libFuzzer target for BodyCanonicalizer: a random chunking of the body (drawn from the input)
// must give the same bytes and total length as one feed, and both must equal a plain,
// obviously-correct reference of RFC 6376 §3.4.3/§3.4.4 written with std::string.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "engine/canon.h"
#include "tests/engine/reference_canon.h"

namespace {

using namespace dkimscan::engine;

void require(bool ok) {
  if (!ok) std::abort();
}

struct Result {
  std::string text;
  std::uint64_t total = 0;
};

Result run(Canon canon, const std::vector<std::string_view>& chunks, std::optional<std::uint64_t> limit) {
  StringSink sink;
  BodyCanonicalizer body(canon, sink, limit);
  for (std::string_view chunk : chunks) body.feed(chunk);
  body.finish();
  return Result{sink.text, body.total_length()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const Canon canon = (data[0] & 1) ? Canon::relaxed : Canon::simple;
  std::optional<std::uint64_t> limit;
  if (data[0] & 2) limit = data[1] * 7u;
  std::uint32_t seed = data[2] | (static_cast<std::uint32_t>(data[0]) << 8);
  const std::string_view body(reinterpret_cast<const char*>(data) + 3, size - 3);

  std::vector<std::string_view> chunks;
  for (std::size_t pos = 0; pos < body.size();) {
    seed = seed * 1103515245u + 12345u;
    std::size_t n = (seed >> 16) % 9;  // small chunks, empty ones included
    if ((seed >> 8) % 17 == 0) n = (seed >> 4) % 5000;
    n = std::min(n, body.size() - pos);
    chunks.push_back(body.substr(pos, n));
    pos += n;
  }
  const Result whole = run(canon, {body}, limit);
  const Result split = run(canon, chunks, limit);
  require(whole.text == split.text);
  require(whole.total == split.total);

  const std::string expected = testing::reference_canon(canon, body);
  require(whole.total == expected.size());
  require(whole.text == (limit ? expected.substr(0, std::min<std::uint64_t>(*limit, expected.size())) : expected));
  return 0;
}
