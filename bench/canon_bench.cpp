// File: bench/canon_bench.cpp
// Throughput of canonicalization and body hashing (RFC 6376 §3.4, §3.7) in bytes/s: header
// fields, simple and relaxed bodies, and bh= over a 6 KB and a 1 MB body, with raw SHA-256 over
// the same bytes as the baseline. Every benchmark checks its output once before timing.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "engine/body_hash.h"
#include "engine/canon.h"
#include "engine/crypto/digest.h"
#include "tests/engine/reference_canon.h"

namespace dkimscan::engine {
namespace {

class CountingSink final : public ByteSink {
 public:
  void write(std::string_view bytes) noexcept override { size += bytes.size(); }
  std::size_t size = 0;
};

// Mail-like text: ~72-byte CRLF lines, single spaces, and now and then a tab, a double space
// or trailing WSP (so relaxed has work), paragraph breaks, and trailing empty lines.
std::string make_body(std::size_t size) {
  static const char* const kWords[] = {"the", "message", "body", "of", "a", "typical", "newsletter",
                                       "with", "words", "and", "numbers", "1234", "links:", "https://x.example/a"};
  std::string body;
  std::uint32_t seed = 42;
  std::size_t line = 0;
  while (body.size() < size) {
    seed = seed * 1103515245u + 12345u;
    const std::uint32_t r = seed >> 16;
    body += kWords[r % 14];
    line += 8;
    if (line > 70) {
      if (r % 13 == 0) body += " \t";
      body += "\r\n";
      if (r % 7 == 0) body += "\r\n";
      line = 0;
    } else {
      body += (r % 29 == 0) ? "\t" : (r % 31 == 0) ? "  " : " ";
    }
  }
  body += "\r\n\r\n\r\n";
  return body;
}

// A base64 attachment: 76-character lines and nothing for relaxed to change, the bulk of the
// bytes in a mail archive.
std::string make_attachment_body(std::size_t size) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string body;
  std::uint32_t seed = 7;
  while (body.size() < size) {
    for (int i = 0; i < 76; ++i) {
      seed = seed * 1103515245u + 12345u;
      body += kAlphabet[(seed >> 16) % 64];
    }
    body += "\r\n";
  }
  body += "\r\n";
  return body;
}

using MakeBody = std::string (*)(std::size_t);

std::string canon_text(Canon canon, std::string_view body) {
  StringSink sink;
  BodyCanonicalizer c(canon, sink);
  c.feed(body);
  c.finish();
  return sink.text;
}

const std::vector<std::string>& header_fields() {
  static const std::vector<std::string> kFields = {
      "Received: from mail.example.net (mail.example.net [192.0.2.1])\r\n\tby mx.example.com (Postfix) with "
      "ESMTPS id 4F2A1C0123\r\n\tfor <user@example.com>; Mon, 1 Jan 2024 00:00:00 +0000 (UTC)\r\n",
      "From: \"Example Sender\" <sender@example.net>\r\n",
      "To: user@example.com\r\n",
      "Subject: Your  weekly\t report is ready \r\n",
      "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n",
      "Message-ID: <20240101000000.12345@example.net>\r\n",
      "MIME-Version: 1.0\r\n",
      "Content-Type: multipart/alternative;\r\n boundary=\"----=_Part_12345_67890.1704067200000\"\r\n",
      "List-Unsubscribe: <https://example.net/unsubscribe?id=abcdef0123456789>,\r\n "
      "<mailto:unsubscribe@example.net?subject=abcdef0123456789>\r\n",
  };
  return kFields;
}

void BM_HeaderCanon(benchmark::State& state, Canon canon) {
  std::size_t bytes = 0;
  for (const std::string& f : header_fields()) bytes += f.size();
  {
    StringSink check;
    canon_header(canon, header_fields()[3], check);
    const char* expected = canon == Canon::simple ? "Subject: Your  weekly\t report is ready \r\n"
                                                  : "subject:Your weekly report is ready\r\n";
    if (check.text != expected) {
      state.SkipWithError("header canonicalization output is wrong");
      return;
    }
  }
  CountingSink sink;
  for (auto _ : state) {
    for (const std::string& f : header_fields()) canon_header(canon, f, sink);
    benchmark::DoNotOptimize(sink.size);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

void BM_BodyCanon(benchmark::State& state, Canon canon, MakeBody make) {
  const std::string body = make(static_cast<std::size_t>(state.range(0)));
  if (canon_text(canon, body) != testing::reference_canon(canon, body)) {
    state.SkipWithError("body canonicalization differs from the reference");
    return;
  }
  CountingSink sink;
  for (auto _ : state) {
    BodyCanonicalizer c(canon, sink);
    c.feed(body);
    c.finish();
    benchmark::DoNotOptimize(sink.size);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}

void BM_BodyHash(benchmark::State& state, Canon canon, MakeBody make) {
  const std::string body = make(static_cast<std::size_t>(state.range(0)));
  const BodyHashKey key{canon, HashAlg::sha256, std::nullopt};
  Digest digest;
  {
    DigestBytes expected{};
    digest.begin(HashAlg::sha256);
    digest.write(testing::reference_canon(canon, body));
    digest.finish(expected);
    if (compute_body_hash(body, key, digest).digest != expected) {
      state.SkipWithError("body hash differs from SHA-256 of the reference canonical body");
      return;
    }
  }
  for (auto _ : state) benchmark::DoNotOptimize(compute_body_hash(body, key, digest));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}

// Baseline: SHA-256 alone over the same bytes (what bh= would cost with free canonicalization).
void BM_Sha256Only(benchmark::State& state) {
  const std::string body = make_body(static_cast<std::size_t>(state.range(0)));
  Digest digest;
  DigestBytes out{};
  for (auto _ : state) {
    digest.begin(HashAlg::sha256);
    digest.write(body);
    benchmark::DoNotOptimize(digest.finish(out));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}

BENCHMARK_CAPTURE(BM_HeaderCanon, simple, Canon::simple);
BENCHMARK_CAPTURE(BM_HeaderCanon, relaxed, Canon::relaxed);
BENCHMARK_CAPTURE(BM_BodyCanon, simple, Canon::simple, make_body)->Arg(6 << 10)->Arg(1 << 20);
BENCHMARK_CAPTURE(BM_BodyCanon, relaxed, Canon::relaxed, make_body)->Arg(6 << 10)->Arg(1 << 20);
BENCHMARK_CAPTURE(BM_BodyCanon, simple_attachment, Canon::simple, make_attachment_body)->Arg(1 << 20);
BENCHMARK_CAPTURE(BM_BodyCanon, relaxed_attachment, Canon::relaxed, make_attachment_body)->Arg(1 << 20);
BENCHMARK_CAPTURE(BM_BodyHash, simple, Canon::simple, make_body)->Arg(6 << 10)->Arg(1 << 20);
BENCHMARK_CAPTURE(BM_BodyHash, relaxed, Canon::relaxed, make_body)->Arg(6 << 10)->Arg(1 << 20);
BENCHMARK_CAPTURE(BM_BodyHash, relaxed_attachment, Canon::relaxed, make_attachment_body)->Arg(1 << 20);
BENCHMARK(BM_Sha256Only)->Arg(6 << 10)->Arg(1 << 20);

}  // namespace
}  // namespace dkimscan::engine

BENCHMARK_MAIN();
