// File: tests/engine/canon_test.cpp
// Canonicalization rules (RFC 6376 §3.4) one at a time: bare LF and mixed line ends, a CRLF
// split across chunks, lone CR, relaxed WSP rules, l= with the total length, the b= blanking of
// the signature field, and "any chunking gives the same bytes" over tricky bodies.
#include "engine/canon.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tests/engine/reference_canon.h"

namespace dkimscan::engine {
namespace {

std::string header(Canon canon, std::string_view raw) {
  StringSink sink;
  canon_header(canon, raw, sink);
  return sink.text;
}

std::string body(Canon canon, const std::vector<std::string_view>& chunks,
                 std::optional<std::uint64_t> limit = std::nullopt, std::uint64_t* total = nullptr) {
  StringSink sink;
  BodyCanonicalizer canonicalizer(canon, sink, limit);
  for (std::string_view chunk : chunks) canonicalizer.feed(chunk);
  canonicalizer.finish();
  if (total != nullptr) *total = canonicalizer.total_length();
  return sink.text;
}

std::string sig_header(Canon canon, std::string_view raw, std::string_view b_value) {
  const std::size_t begin = raw.find(b_value);
  StringSink sink;
  canon_signature_header(canon, raw, begin, begin + b_value.size(), sink);
  return sink.text;
}

TEST(CanonHeader, SimpleTurnsBareLfIntoCrlf) {
  EXPECT_EQ(header(Canon::simple, "Subject: a\n b\n"), "Subject: a\r\n b\r\n");
  EXPECT_EQ(header(Canon::simple, "Subject: a\r\n b\n"), "Subject: a\r\n b\r\n");
}

TEST(CanonHeader, SimpleAddsMissingFinalCrlf) {
  EXPECT_EQ(header(Canon::simple, "Subject: a"), "Subject: a\r\n");
}

TEST(CanonHeader, SimpleKeepsLoneCr) {
  EXPECT_EQ(header(Canon::simple, "X: a\rb\r\n"), "X: a\rb\r\n");
}

TEST(CanonHeader, RelaxedUnfoldsBareLfContinuations) {
  EXPECT_EQ(header(Canon::relaxed, "Subject:\ta \n\t b  c\n"), "subject:a b c\r\n");
}

TEST(CanonHeader, RelaxedLowercasesNameAndTrimsWspAroundColon) {
  EXPECT_EQ(header(Canon::relaxed, "X-Mixed-CASE \t: \t V a L\t\r\n"), "x-mixed-case:V a L\r\n");
}

TEST(CanonHeader, RelaxedEmptyValue) {
  EXPECT_EQ(header(Canon::relaxed, "X:  \r\n \r\n"), "x:\r\n");
  EXPECT_EQ(header(Canon::simple, "X:\r\n"), "X:\r\n");
}

TEST(CanonHeader, RelaxedFoldRightAfterColon) {
  EXPECT_EQ(header(Canon::relaxed, "To:\r\n a@example.com\r\n"), "to:a@example.com\r\n");
}

TEST(CanonSignatureHeader, SimpleBlanksBAndDropsFinalCrlf) {
  const std::string_view raw = "DKIM-Signature: v=1; b=AbC\r\n dEf; bh=xyz=\r\n";
  EXPECT_EQ(sig_header(Canon::simple, raw, "AbC\r\n dEf"), "DKIM-Signature: v=1; b=; bh=xyz=");
}

TEST(CanonSignatureHeader, RelaxedBlanksBAndDropsFinalCrlf) {
  const std::string_view raw = "DKIM-Signature : v=1;\r\n\tb=AbC\r\n dEf; bh=xyz=\r\n";
  EXPECT_EQ(sig_header(Canon::relaxed, raw, "AbC\r\n dEf"), "dkim-signature:v=1; b=; bh=xyz=");
}

TEST(CanonSignatureHeader, BAtTheEndKeepsNoTrailingWsp) {
  const std::string_view raw = "DKIM-Signature: v=1; bh=x; b=\r\n  AbC \r\n";
  EXPECT_EQ(sig_header(Canon::relaxed, raw, "\r\n  AbC "), "dkim-signature:v=1; bh=x; b=");
  EXPECT_EQ(sig_header(Canon::simple, raw, "\r\n  AbC "), "DKIM-Signature: v=1; bh=x; b=");
}

TEST(CanonSignatureHeader, OnlyTheGivenSpanIsBlankedNotBTextInZ) {
  // z= holds the text "b=3Dxyz": only the real b= span (the caller's offsets) is removed.
  const std::string_view raw = "DKIM-Signature: v=1; z=X:b=3Dxyz|Y:b=xyz; b=xyz; h=from\r\n";
  const std::size_t begin = raw.find("; b=") + 4;
  StringSink sink;
  canon_signature_header(Canon::simple, raw, begin, begin + 3, sink);
  EXPECT_EQ(sink.text, "DKIM-Signature: v=1; z=X:b=3Dxyz|Y:b=xyz; b=; h=from");
}

TEST(CanonSignatureHeader, BareLfField) {
  const std::string_view raw = "DKIM-Signature: v=1;\n b=AbC; bh=x\n";
  EXPECT_EQ(sig_header(Canon::simple, raw, "AbC"), "DKIM-Signature: v=1;\r\n b=; bh=x");
}

TEST(CanonBody, BareLfIsALineEnd) {
  EXPECT_EQ(body(Canon::simple, {"a\nb\n\n\n"}), "a\r\nb\r\n");
  EXPECT_EQ(body(Canon::relaxed, {"a \nb\t\n\n"}), "a\r\nb\r\n");
}

TEST(CanonBody, MixedLineEnds) {
  EXPECT_EQ(body(Canon::simple, {"a\r\nb\nc\r\n\n\r\n"}), "a\r\nb\r\nc\r\n");
  EXPECT_EQ(body(Canon::relaxed, {"a \r\nb\t \nc\r\n \n\t\r\n"}), "a\r\nb\r\nc\r\n");
}

TEST(CanonBody, CrlfSplitBetweenChunks) {
  EXPECT_EQ(body(Canon::simple, {"a\r", "\nb\r", "\n\r", "\n"}), "a\r\nb\r\n");
  EXPECT_EQ(body(Canon::relaxed, {"a \r", "\nb  \r", "\n"}), "a\r\nb\r\n");
}

TEST(CanonBody, LoneCrIsAnOrdinaryByte) {
  EXPECT_EQ(body(Canon::simple, {"a\rb\r\n"}), "a\rb\r\n");
  EXPECT_EQ(body(Canon::simple, {"a\r", "b"}), "a\rb\r\n");
  EXPECT_EQ(body(Canon::simple, {"a\r"}), "a\r\r\n");
  EXPECT_EQ(body(Canon::relaxed, {"a \r", " b"}), "a \r b\r\n");
  EXPECT_EQ(body(Canon::relaxed, {"\r\n\r\n\r"}), "\r\n\r\n\r\r\n");  // a CR line is not empty
}

TEST(CanonBody, RelaxedWspRules) {
  EXPECT_EQ(body(Canon::relaxed, {"  lead\ttab  two\t \tmix end \t\r\n"}), " lead tab two mix end\r\n");
  EXPECT_EQ(body(Canon::relaxed, {"a", "  ", " ", "\t", "b  ", " \r\n"}), "a b\r\n");
  EXPECT_EQ(body(Canon::relaxed, {"a ", "b"}), "a b\r\n");
  EXPECT_EQ(body(Canon::relaxed, {"a", " b"}), "a b\r\n");
  EXPECT_EQ(body(Canon::relaxed, {"   \t "}), "");  // a line of WSP only is empty
  EXPECT_EQ(body(Canon::relaxed, {"x\r\n \r\n\t\r\ny"}), "x\r\n\r\n\r\ny\r\n");
}

TEST(CanonBody, SimpleKeepsWsp) {
  EXPECT_EQ(body(Canon::simple, {"  a \t b  \r\n  \r\n"}), "  a \t b  \r\n  \r\n");
  EXPECT_EQ(body(Canon::simple, {" "}), " \r\n");
}

TEST(CanonBody, EmptyBodies) {
  EXPECT_EQ(body(Canon::simple, {}), "\r\n");
  EXPECT_EQ(body(Canon::relaxed, {}), "");
  EXPECT_EQ(body(Canon::simple, {"", "\n\n", ""}), "\r\n");
  EXPECT_EQ(body(Canon::relaxed, {"\n", "", "\r\n"}), "");
}

TEST(CanonBody, ManyEmptyLinesInsideAreKept) {
  const std::string input = "a\r\n" + std::string(300, '\n') + "b\r\n" + std::string(100, '\n');
  const std::string expected = "a\r\n" + [] {
    std::string s;
    for (int i = 0; i < 300; ++i) s += "\r\n";
    return s;
  }() + "b\r\n";
  EXPECT_EQ(body(Canon::simple, {input}), expected);
  EXPECT_EQ(body(Canon::relaxed, {input}), expected);
}

TEST(CanonBody, LimitCutsOutputButTotalCountsAll) {
  std::uint64_t total = 0;
  EXPECT_EQ(body(Canon::relaxed, {"tere tere\r\n \r\nvana kere\r\n\r\n"}, 20, &total), "tere tere\r\n\r\nvana ke");
  EXPECT_EQ(total, 24U);
  EXPECT_EQ(body(Canon::simple, {"abc\r\n"}, 0, &total), "");
  EXPECT_EQ(total, 5U);
  EXPECT_EQ(body(Canon::simple, {"abc\r\n"}, 100, &total), "abc\r\n");
  EXPECT_EQ(total, 5U);
  EXPECT_EQ(body(Canon::simple, {}, 1, &total), "\r");
  EXPECT_EQ(total, 2U);
}

TEST(CanonBody, LimitWithChunksMatchesOneFeed) {
  const std::string input = "line one  \r\nline\ttwo\r\n\r\nthree\n\n";
  for (std::uint64_t limit = 0; limit < 40; ++limit) {
    std::uint64_t whole_total = 0;
    std::uint64_t split_total = 0;
    const std::string whole = body(Canon::relaxed, {input}, limit, &whole_total);
    const std::string_view in = input;
    const std::string split = body(Canon::relaxed, {in.substr(0, 11), in.substr(11, 7), in.substr(18)}, limit, &split_total);
    EXPECT_EQ(whole, split) << limit;
    EXPECT_EQ(whole_total, split_total);
    EXPECT_EQ(whole.size(), std::min<std::uint64_t>(limit, whole_total));
  }
}

// Every two-way and three-way split of short tricky bodies gives the one-feed bytes.
TEST(CanonBody, AnyChunkingGivesTheSameBytes) {
  const std::vector<std::string> inputs = {
      "a  b\t\r\n\r\n \r\nc\r", "\r\n\r\r\n \t\n x \r \r\n\n", "x\ry\r\r\n\r\n\t \t", " \t\r\n\r\n\r\n",
      "Hi.\r\n\r\nWe lost the game. Are you hungry yet?\r\n\r\nJoe.\r\n\r\n"};
  for (const Canon canon : {Canon::simple, Canon::relaxed}) {
    for (const std::string& input : inputs) {
      const std::string_view in = input;
      const std::string expected = body(canon, {in});
      for (std::size_t i = 0; i <= in.size(); ++i) {
        for (std::size_t j = i; j <= in.size(); ++j) {
          EXPECT_EQ(body(canon, {in.substr(0, i), in.substr(i, j - i), in.substr(j)}), expected)
              << "canon " << static_cast<int>(canon) << " split " << i << "," << j << " of " << input;
        }
      }
    }
  }
}

// Bodies larger than the internal buffer, with random chunkings, against a one-byte-at-a-time feed.
TEST(CanonBody, LargeBodyRandomChunking) {
  std::mt19937 rng(12345);
  const char alphabet[] = {'a', 'b', ' ', ' ', '\t', '\r', '\n', '\n', 'x', '.'};
  std::string input;
  for (int i = 0; i < 100000; ++i) input += alphabet[rng() % sizeof(alphabet)];
  for (int i = 0; i < 200; ++i) input += "plain text line with single spaces only\r\n";
  for (const Canon canon : {Canon::simple, Canon::relaxed}) {
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < input.size(); ++i) bytes.push_back(std::string_view(input).substr(i, 1));
    const std::string expected = body(canon, bytes);
    EXPECT_EQ(body(canon, {input}), expected);
    std::vector<std::string_view> chunks;
    for (std::size_t pos = 0; pos < input.size();) {
      const std::size_t n = std::min<std::size_t>(input.size() - pos, rng() % 20000);
      chunks.push_back(std::string_view(input).substr(pos, n));
      pos += n;
    }
    EXPECT_EQ(body(canon, chunks), expected);
  }
}

// The scanners pass over "<text>\r\n" 16 bytes at a time and must give the line end back when a
// run stops right after one. Lines of every length from 0 to 40 put each CR, LF, empty line, bare
// LF and trailing WSP at every lane and across every block boundary; the reference
// canonicalizer (tests/engine/reference_canon.h) is the judge. Control bytes other than the four
// next to an SP or a CRLF stop the relaxed vector scan early, which must not change the output.
TEST(CanonBody, EveryLineLengthAndAlignmentMatchesTheReference) {
  const std::vector<std::string> endings = {"\r\n",      "\r\n",       "\n",      " \r\n",      "\r\n\r\n",
                                            "\t\r\n",    "\r\r\n",     "\x01\r\n", " \x01x\r\n", "\x1f \r\n",
                                            "x \x0b\r\n", "\x0c\r\n\r\n"};
  std::string input;
  std::size_t k = 0;
  for (int round = 0; round < 3; ++round) {
    for (std::size_t length = 0; length <= 40; ++length) {
      for (std::size_t i = 0; i < length; ++i) input += static_cast<char>('A' + (i + k) % 26);
      input += endings[k++ % endings.size()];
    }
  }
  input += "last line\r\n\r\n\r\n";
  for (const Canon canon : {Canon::simple, Canon::relaxed}) {
    const std::string expected = engine::testing::reference_canon(canon, input);
    const std::string_view in = input;
    EXPECT_EQ(body(canon, {in}), expected) << static_cast<int>(canon);
    // Cuts put a chunk's first and last vector blocks (and its scalar tail) at every offset.
    for (std::size_t cut = 0; cut <= in.size(); cut += (cut < 64 || in.size() - cut < 64) ? 1 : 7) {
      EXPECT_EQ(body(canon, {in.substr(0, cut), in.substr(cut)}), expected) << static_cast<int>(canon) << " cut " << cut;
    }
  }
}

}  // namespace
}  // namespace dkimscan::engine
