// File: tests/engine/body_hash_test.cpp
// The body hash (RFC 6376 §3.7) and the digest under it: known SHA values, l= with the canonical
// length, one Digest reused across algorithms and messages, and bh= of every signature that the
// corpora assert as pass (tests/data/*/expected.jsonl), recomputed from the message bytes.
#include "engine/body_hash.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "engine/message.h"
#include "engine/signature.h"
#include "tests/engine/reference_canon.h"

namespace dkimscan::engine {
namespace {

std::string hex(const DigestBytes& d, std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += "0123456789abcdef"[d[i] >> 4], s += "0123456789abcdef"[d[i] & 15];
  return s;
}

constexpr std::string_view kSha256Empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::string_view kSha256Crlf = "7eb70257593da06f682a3ddda54a9d260d4fc514f645237f5ca74b08f8da61a6";
constexpr std::string_view kSha1Crlf = "ba8ab5a0280b953aa97435ff8946cbcbb2755a27";
constexpr std::string_view kSha256Abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST(Digest, KnownValuesAndReuse) {
  Digest d;
  DigestBytes out{};
  d.begin(HashAlg::sha256);
  EXPECT_EQ(hex(out, d.finish(out)), kSha256Empty);
  d.begin(HashAlg::sha1);
  d.write("\r");
  d.write("");
  d.write("\n");
  EXPECT_EQ(hex(out, d.finish(out)), kSha1Crlf);
  d.begin(HashAlg::sha256);
  d.write("a");
  d.write("bc");
  EXPECT_EQ(hex(out, d.finish(out)), kSha256Abc);
}

TEST(BodyHash, EmptyBodies) {
  Digest d;
  BodyHash simple = compute_body_hash("", BodyHashKey{Canon::simple, HashAlg::sha256, std::nullopt}, d);
  EXPECT_EQ(hex(simple.digest, simple.size), kSha256Crlf);
  EXPECT_EQ(simple.canonical_length, 2U);
  BodyHash relaxed = compute_body_hash("\r\n\r\n", BodyHashKey{Canon::relaxed, HashAlg::sha256, std::nullopt}, d);
  EXPECT_EQ(hex(relaxed.digest, relaxed.size), kSha256Empty);
  EXPECT_EQ(relaxed.canonical_length, 0U);
  BodyHash sha1 = compute_body_hash("\n\n", BodyHashKey{Canon::simple, HashAlg::sha1, std::nullopt}, d);
  EXPECT_EQ(sha1.size, 20U);
  EXPECT_EQ(hex(sha1.digest, sha1.size), kSha1Crlf);
}

TEST(BodyHash, LengthLimitHashesPrefixAndReportsWholeLength) {
  Digest d;
  // Canonical body "abc\r\nmore\r\n" (11 bytes); l=3 hashes "abc".
  BodyHash bh = compute_body_hash("abc  \nmore\n\n", BodyHashKey{Canon::relaxed, HashAlg::sha256, 3}, d);
  EXPECT_EQ(hex(bh.digest, bh.size), kSha256Abc);
  EXPECT_EQ(bh.canonical_length, 11U);
  // l= beyond the body hashes the whole canonical body.
  BodyHash whole = compute_body_hash("", BodyHashKey{Canon::simple, HashAlg::sha256, 1000}, d);
  EXPECT_EQ(hex(whole.digest, whole.size), kSha256Crlf);
}

TEST(BodyHash, BareLfBodyHashesLikeCrlfBody) {
  Digest d;
  const BodyHashKey key{Canon::simple, HashAlg::sha256, std::nullopt};
  const BodyHash lf = compute_body_hash("Hi.\n\nJoe.\n\n", key, d);
  const BodyHash crlf = compute_body_hash("Hi.\r\n\r\nJoe.\r\n", key, d);
  EXPECT_EQ(hex(lf.digest, lf.size), hex(crlf.digest, crlf.size));
  EXPECT_EQ(lf.canonical_length, 13U);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Every signature recorded as pass must carry a bh= equal to the recomputed body hash, whatever
// the message's line ends (bare-LF messages included).
TEST(BodyHash, MatchesBhOfEveryPassingCorpusSignature) {
  namespace fs = std::filesystem;
  std::vector<fs::path> corpora;
  for (const auto& entry : fs::directory_iterator(DKIMSCAN_TESTDATA)) {
    if (fs::exists(entry.path() / "expected.jsonl")) corpora.push_back(entry.path());
  }
  std::sort(corpora.begin(), corpora.end());
  std::size_t checked = 0;
  Digest digest;
  ParsedMessage message;
  for (const fs::path& corpus : corpora) {
    std::istringstream lines(read_file(corpus / "expected.jsonl"));
    std::string line;
    while (std::getline(lines, line)) {
      if (line.empty()) continue;
      const nlohmann::json row = nlohmann::json::parse(line);
      const std::string bytes = read_file(corpus / row.at("file").get<std::string>());
      message.split(bytes);
      std::vector<const HeaderField*> sig_fields;
      for (const HeaderField& f : message.fields()) {
        if (field_name_equals(f.name, "DKIM-Signature")) sig_fields.push_back(&f);
      }
      for (const nlohmann::json& s : row.at("signatures")) {
        if (s.at("result").get<std::string>() != "pass") continue;
        const std::size_t index = s.at("index").get<std::size_t>();
        SCOPED_TRACE(corpus.filename().string() + "/" + row.at("file").get<std::string>() + " #" +
                     std::to_string(index));
        ASSERT_LT(index, sig_fields.size());
        Signature sig;
        ASSERT_EQ(parse_signature(*sig_fields[index], Policy::legacy, sig), Reason::ok);
        const BodyHash bh =
            compute_body_hash(message.body(), BodyHashKey{sig.body_canon, hash_of(sig.algorithm), sig.body_length}, digest);
        ASSERT_EQ(bh.size, sig.bh_size);
        EXPECT_TRUE(std::equal(sig.bh.begin(), sig.bh.begin() + sig.bh_size, bh.digest.begin()));
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 42U);  // every "pass" signature in the corpora
}

// Every variant's hash, computed sharing prefixes and forking state at edits anywhere (inside a
// WSP run, between CR and LF, among trailing empty lines), equals the hash of that variant's
// bytes built whole, for both canonicalizations, both hashes and l=.
TEST(BodyHash, VariantHashesEqualHashesOfTheVariantsBuiltWhole) {
  std::mt19937 random(11);
  const std::string alphabet = "ab >\t\r\n\r\n";
  Digest d;
  for (int trial = 0; trial < 400; ++trial) {
    std::string body(random() % 120, 'x');
    for (char& c : body) c = alphabet[random() % alphabet.size()];
    std::vector<BodyEdit> edits;
    for (std::size_t at = 0; at < body.size() && edits.size() < 6; ++at) {
      if (random() % 12 != 0) continue;
      BodyEdit edit{at, random() % 2 == 0, alphabet[random() % alphabet.size()]};
      edits.push_back(edit);
    }
    std::vector<std::uint64_t> masks;
    for (std::uint64_t mask = 0; mask < (std::uint64_t{1} << edits.size()); ++mask) {
      if (random() % 4 != 0) masks.push_back(mask);  // some variants not asked for
    }
    for (Canon canon : {Canon::simple, Canon::relaxed}) {
      for (HashAlg hash : {HashAlg::sha256, HashAlg::sha1}) {
        for (std::optional<std::uint64_t> length : {std::optional<std::uint64_t>{}, std::optional<std::uint64_t>{7}}) {
          const BodyHashKey key{canon, hash, length};
          std::vector<BodyHash> hashes(masks.size());
          compute_variant_body_hashes(body, edits, masks, key, hashes);
          for (std::size_t k = 0; k < masks.size(); ++k) {
            SCOPED_TRACE(::testing::Message() << "trial " << trial << " mask " << masks[k]);
            const BodyHash whole = compute_body_hash(testing::apply_edits(body, edits, masks[k]), key, d);
            ASSERT_EQ(hex(hashes[k].digest, hashes[k].size), hex(whole.digest, whole.size));
            ASSERT_EQ(hashes[k].canonical_length, whole.canonical_length);
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace dkimscan::engine
