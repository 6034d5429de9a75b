// File: bench/fixtures.h
// Shared inputs for the micro-benchmarks: a deterministic ~6 KB message (the median size of the
// benchmark corpus), signed with fresh keys by dkimscan's own signer, the matching key records,
// and an in-memory KeyProvider. Built once per process (keygen is slow), then only read.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/crypto/private_key.h"
#include "engine/key_provider.h"
#include "engine/key_record.h"
#include "engine/sign.h"

namespace dkimscan::bench {

inline constexpr std::int64_t kSignTime = 1700000000;  // t= of every fixture signature
inline constexpr std::string_view kDomain = "bench.example";

// Stops the benchmark program when a fixture or a check before timing is wrong: a benchmark of
// a wrong answer is worse than none (simdjson checks its answer before timing, too).
[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "benchmark check failed: %s\n", what);
  std::abort();
}

// Mail-like text: sentences from a small vocabulary in ~70-byte CRLF lines, some trailing
// whitespace and empty lines, deterministic (a fixed linear congruential sequence).
inline std::string make_text(std::size_t size) {
  static const char* const kWords[] = {"alpha", "invoice", "meeting", "report", "the", "of", "quarterly",
                                       "schedule", "and", "archive", "audit", "for", "with", "tango"};
  std::string text;
  std::uint32_t seed = 7;
  std::size_t line = 0;
  while (text.size() < size) {
    seed = seed * 1103515245u + 12345u;
    const std::uint32_t r = seed >> 16;
    text += kWords[r % 14];
    line += 7;
    if (line < 70) {
      text += ' ';
      continue;
    }
    text += (r % 10 == 0) ? "  \r\n" : "\r\n";
    if (r % 7 == 0) text += "\r\n";
    line = 0;
  }
  return text + "\r\n";
}

// An unsigned message with the usual header fields and a body of about body_size bytes.
inline std::string make_message(std::size_t body_size) {
  std::string headers =
      "From: Alice Example <alice@bench.example>\r\n"
      "To: recipient@example.net\r\n"
      "Subject: Quarterly report and the audit schedule\r\n"
      "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
      "Message-ID: <1700000000.42@bench.example>\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n";
  return headers + "\r\n" + make_text(body_size);
}

struct SignedFixture {
  std::string selector;
  std::string key_txt;  // the TXT record value: "v=DKIM1; k=...; p=..."
  std::string message;  // DKIM-Signature field + message
  engine::KeySetPtr keys;
};

// A message of about 6 KB signed with a fresh key of this type (relaxed/relaxed by default).
inline SignedFixture make_signed(engine::KeyType type, unsigned bits, engine::Canon canon = engine::Canon::relaxed) {
  engine::PrivateKey key = engine::PrivateKey::generate(type, bits);
  SignedFixture out;
  out.selector = type == engine::KeyType::ed25519 ? "ed1" : "rsa" + std::to_string(bits);
  out.key_txt = std::string("v=DKIM1; k=") + std::string(engine::key_type_name(type)) + "; p=" + key.public_key_base64();
  engine::SignOptions options;
  options.domain = std::string(kDomain);
  options.selector = out.selector;
  options.header_canon = options.body_canon = canon;
  options.timestamp = kSignTime;
  const std::string message = make_message(5600);  // + headers + signature ≈ 6 KB
  out.message = engine::sign_message(message, options, key) + message;
  out.keys = engine::make_key_set({out.key_txt});
  if (out.keys->lookup != engine::Reason::ok || out.keys->records.front().status != engine::Reason::ok) {
    fail("fixture key record does not parse");
  }
  return out;
}

// Keys by name from memory: what a warm key cache answers, with no lock and no allocation.
class MemoryKeys final : public engine::KeyProvider {
 public:
  void add(std::string name, engine::KeySetPtr keys) { keys_.emplace_back(std::move(name), std::move(keys)); }

  engine::KeySetPtr lookup(std::string_view name) override {
    for (const auto& [known, keys] : keys_) {
      if (known == name) return keys;
    }
    return missing_;
  }

 private:
  std::vector<std::pair<std::string, engine::KeySetPtr>> keys_;
  engine::KeySetPtr missing_ = engine::make_key_set({});
};

// Fixtures are made once per process and shared by every benchmark that needs them.
inline const SignedFixture& rsa2048_fixture() {
  static const SignedFixture fixture = make_signed(engine::KeyType::rsa, 2048);
  return fixture;
}
inline const SignedFixture& rsa2048_simple_fixture() {
  static const SignedFixture fixture = make_signed(engine::KeyType::rsa, 2048, engine::Canon::simple);
  return fixture;
}
inline const SignedFixture& ed25519_fixture() {
  static const SignedFixture fixture = make_signed(engine::KeyType::ed25519, 0);
  return fixture;
}

// The DKIM-Signature field value at the top of a fixture message (after "DKIM-Signature:").
inline std::string_view signature_value(const SignedFixture& fixture) {
  std::string_view message = fixture.message;
  const std::size_t colon = message.find(':');
  std::size_t end = message.find("\r\n", colon);
  while (end != std::string_view::npos && end + 2 < message.size() &&
         (message[end + 2] == ' ' || message[end + 2] == '\t')) {
    end = message.find("\r\n", end + 2);  // folded: continue to the field's last line
  }
  return message.substr(colon + 1, end - colon - 1);
}

}  // namespace dkimscan::bench
