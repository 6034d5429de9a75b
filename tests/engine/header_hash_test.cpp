// File: tests/engine/header_hash_test.cpp
// Header field selection (RFC 6376 §5.4.2: bottom-up, over-signing adds nothing) and the header
// hash input (§3.7): selected fields canonicalized, then the signature field with b= emptied.
#include "engine/header_hash.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dkimscan::engine {
namespace {

std::vector<std::string> selected(const ParsedMessage& m, std::string_view h) {
  std::vector<std::string> out;
  select_signed_headers(m.fields(), h, [&](const HeaderField* f) {
    out.push_back(f == nullptr ? std::string("<none>") : std::string(f->raw));
  });
  return out;
}

TEST(SelectSignedHeaders, BottomUpWithOverSigning) {
  ParsedMessage m;
  m.split("Received: top\r\nFrom: a@x\r\nreceived: bottom\r\nSubject: s\r\n\r\n");
  EXPECT_EQ(selected(m, "Received:from:RECEIVED:received:subject"),
            (std::vector<std::string>{"received: bottom\r\n", "From: a@x\r\n", "Received: top\r\n", "<none>",
                                      "Subject: s\r\n"}));
}

TEST(SelectSignedHeaders, MissingNamesAndFwsInH) {
  ParsedMessage m;
  m.split("From: a@x\r\n\r\n");
  EXPECT_EQ(selected(m, " from :\r\n\tx-missing : from"), (std::vector<std::string>{"From: a@x\r\n", "<none>", "<none>"}));
}

TEST(SelectSignedHeaders, NameWithWspBeforeColonMatches) {
  ParsedMessage m;
  m.split("Subject : s\r\n\r\n");
  EXPECT_EQ(selected(m, "subject"), (std::vector<std::string>{"Subject : s\r\n"}));
}

TEST(SelectSignedHeaders, ManyFieldsAndListings) {
  std::string text;
  for (int i = 0; i < 700; ++i) text += "X: " + std::to_string(i) + "\r\n";
  text += "\r\n";
  ParsedMessage m;
  m.split(text);
  std::string h;
  for (int i = 0; i < 702; ++i) h += "x:";
  const std::vector<std::string> got = selected(m, h);
  ASSERT_EQ(got.size(), 702U);
  EXPECT_EQ(got[0], "X: 699\r\n");
  EXPECT_EQ(got[699], "X: 0\r\n");
  EXPECT_EQ(got[700], "<none>");
}

// Past detail::kSelectScanLimit comparisons the fields are indexed by name (a crafted message must
// not cost fields × listings); the choice must be the scan's. Random small messages compare the
// two directly, names differing in case and in WSP before the colon.
TEST(SelectSignedHeaders, NameIndexChoosesWhatTheScanChooses) {
  constexpr const char* kNames[] = {"From", "from", "FROM ", "To", "to\t", "Subject", "X-A", "x-a"};
  std::uint32_t seed = 12345;
  auto next = [&seed](std::uint32_t n) {
    seed = seed * 1103515245u + 12345u;
    return (seed >> 16) % n;
  };
  for (int round = 0; round < 300; ++round) {
    std::string text, h;
    const std::uint32_t field_count = next(12), listing_count = 1 + next(12);
    for (std::uint32_t i = 0; i < field_count; ++i) text += std::string(kNames[next(8)]) + ": " + std::to_string(i) + "\r\n";
    text += "\r\n";
    for (std::uint32_t i = 0; i < listing_count; ++i) h += std::string(i ? ":" : "") + kNames[next(6)];
    ParsedMessage m;
    m.split(text);
    std::vector<const HeaderField*> scanned;
    select_signed_headers(m.fields(), h, [&](const HeaderField* f) { scanned.push_back(f); });
    EXPECT_EQ(detail::select_by_name_index(m.fields(), h), scanned) << text << "h=" << h;
  }
}

TEST(SelectSignedHeaders, FiftyThousandFieldsAndListingsAreSelectedThroughTheIndex) {
  constexpr int kCount = 50000;
  std::string text;
  for (int i = 0; i < kCount; ++i) text += "X-F: " + std::to_string(i) + "\r\n";
  text += "From: a@x\r\n\r\n";
  std::string h = "from";
  for (int i = 0; i < kCount + 1; ++i) h += ":x-f";
  ParsedMessage m;
  m.split(text);
  ASSERT_GT(static_cast<std::size_t>(kCount) * m.fields().size(), detail::kSelectScanLimit);
  const std::vector<std::string> got = selected(m, h);
  ASSERT_EQ(got.size(), static_cast<std::size_t>(kCount) + 2);
  EXPECT_EQ(got[0], "From: a@x\r\n");
  EXPECT_EQ(got[1], "X-F: 49999\r\n");
  EXPECT_EQ(got[kCount], "X-F: 0\r\n");
  EXPECT_EQ(got[kCount + 1], "<none>");
}

std::string hex(const DigestBytes& d, std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += "0123456789abcdef"[d[i] >> 4], s += "0123456789abcdef"[d[i] & 15];
  return s;
}

std::string hash_of_text(HashAlg alg, std::string_view text) {
  Digest d;
  d.begin(alg);
  d.write(text);
  DigestBytes out{};
  return hex(out, d.finish(out));
}

struct Fixture {
  ParsedMessage message;
  Signature sig;
};

// A signature whose z= copies a header that contains "b=": only the real b= span is emptied.
void prepare(Fixture& fx, std::string_view text, Canon canon, Algorithm alg) {
  fx.message.split(text);
  const HeaderField* field = fx.message.first("dkim-signature");
  ASSERT_NE(field, nullptr);
  fx.sig.field = field;
  fx.sig.algorithm = alg;
  fx.sig.header_canon = canon;
  fx.sig.signed_headers = "from:subject:subject";
  const std::size_t begin = field->value.find("; b=") + 4;
  const std::size_t end = field->value.find(';', begin);
  fx.sig.b_value_begin = begin;
  fx.sig.b_value_end = end;
}

constexpr std::string_view kMessage =
    "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=from:subject:subject;\r\n"
    "\tz=Subject:b=3Dfake|From:x; b=dGVzdA\r\n ==; bh=abc=\r\n"
    "From: Joe <joe@example.com>\r\n"
    "Subject:  Hello   World \r\n"
    "\r\n"
    "body\r\n";

TEST(ComputeHeaderHash, RelaxedMatchesHandCanonicalizedText) {
  Fixture fx;
  prepare(fx, kMessage, Canon::relaxed, Algorithm::rsa_sha256);
  const std::string expected_text =
      "from:Joe <joe@example.com>\r\n"
      "subject:Hello World\r\n"
      "dkim-signature:v=1; a=rsa-sha256; d=example.com; s=sel; h=from:subject:subject; "
      "z=Subject:b=3Dfake|From:x; b=; bh=abc=";
  Digest digest;
  DigestBytes out{};
  const std::size_t n = compute_header_hash(fx.message, fx.sig, digest, out);
  EXPECT_EQ(n, 32U);
  EXPECT_EQ(hex(out, n), hash_of_text(HashAlg::sha256, expected_text));
}

TEST(ComputeHeaderHash, SimpleSha1MatchesHandCanonicalizedText) {
  Fixture fx;
  prepare(fx, kMessage, Canon::simple, Algorithm::rsa_sha1);
  const std::string expected_text =
      "From: Joe <joe@example.com>\r\n"
      "Subject:  Hello   World \r\n"
      "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=from:subject:subject;\r\n"
      "\tz=Subject:b=3Dfake|From:x; b=; bh=abc=";
  Digest digest;
  DigestBytes out{};
  const std::size_t n = compute_header_hash(fx.message, fx.sig, digest, out);
  EXPECT_EQ(n, 20U);
  EXPECT_EQ(hex(out, n), hash_of_text(HashAlg::sha1, expected_text));
}

}  // namespace
}  // namespace dkimscan::engine
