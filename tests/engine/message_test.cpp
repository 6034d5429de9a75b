// File: tests/engine/message_test.cpp
// Splitting messages into fields and body (CRLF, bare LF, mixed), the defects, name matching,
// and the From domain through display names, quoted strings, comments, groups and angle-addrs.
#include "engine/message.h"

#include <gtest/gtest.h>

#include <string>

namespace dkimscan::engine {
namespace {

TEST(MessageSplit, CrlfFieldsAndBody) {
  const std::string_view m = "From: a@example.com\r\nSubject: hi\r\n there\r\n\r\nbody\r\n";
  ParsedMessage p;
  p.split(m);
  EXPECT_EQ(p.defect(), MessageDefect::none);
  ASSERT_EQ(p.fields().size(), 2U);
  EXPECT_EQ(p.fields()[0].raw, "From: a@example.com\r\n");
  EXPECT_EQ(p.fields()[0].name, "From");
  EXPECT_EQ(p.fields()[0].value, " a@example.com");
  EXPECT_EQ(p.fields()[1].raw, "Subject: hi\r\n there\r\n");
  EXPECT_EQ(p.fields()[1].value, " hi\r\n there");
  EXPECT_EQ(p.header_block(), "From: a@example.com\r\nSubject: hi\r\n there\r\n");
  EXPECT_EQ(p.body(), "body\r\n");
}

TEST(MessageSplit, BareLf) {
  ParsedMessage p;
  p.split("A: 1\nB: 2\n\t3\n\nbody\n\n");
  EXPECT_EQ(p.defect(), MessageDefect::none);
  ASSERT_EQ(p.fields().size(), 2U);
  EXPECT_EQ(p.fields()[1].raw, "B: 2\n\t3\n");
  EXPECT_EQ(p.fields()[1].value, " 2\n\t3");
  EXPECT_EQ(p.body(), "body\n\n");
}

TEST(MessageSplit, MixedLineEndsAndMixedSeparator) {
  ParsedMessage p;
  p.split("A: 1\r\nB: 2\n\r\nrest");
  EXPECT_EQ(p.defect(), MessageDefect::none);
  ASSERT_EQ(p.fields().size(), 2U);
  EXPECT_EQ(p.fields()[1].raw, "B: 2\n");
  EXPECT_EQ(p.body(), "rest");
  p.split("A: 1\r\n\nrest");
  EXPECT_EQ(p.body(), "rest");
}

TEST(MessageSplit, WspBeforeColonStaysInRawName) {
  ParsedMessage p;
  p.split("Subject \t: x\r\n\r\n");
  ASSERT_EQ(p.fields().size(), 1U);
  EXPECT_EQ(p.fields()[0].name, "Subject \t");
  EXPECT_EQ(p.fields()[0].value, " x");
  EXPECT_EQ(p.first("subject"), &p.fields()[0]);
  EXPECT_TRUE(field_name_equals(p.fields()[0].name, "SUBJECT"));
  EXPECT_EQ(field_name_trimmed(p.fields()[0].name), "Subject");
}

TEST(MessageSplit, LoneCrInsideLineIsNotALineEnd) {
  ParsedMessage p;
  p.split("A: x\ry\r\n\r\n");
  ASSERT_EQ(p.fields().size(), 1U);
  EXPECT_EQ(p.fields()[0].value, " x\ry");
}

TEST(MessageSplit, EmptyInput) {
  ParsedMessage p;
  p.split("");
  EXPECT_EQ(p.defect(), MessageDefect::empty);
  EXPECT_TRUE(p.fields().empty());
  EXPECT_TRUE(p.body().empty());
}

// RFC 5322 §3.5: the body is optional, so a header with no empty line after it is a whole message.
TEST(MessageSplit, HeaderOnlyMessageHasAnEmptyBodyAndNoDefect) {
  ParsedMessage p;
  p.split("A: 1\r\nB: 2\r\n");
  EXPECT_EQ(p.defect(), MessageDefect::none);
  ASSERT_EQ(p.fields().size(), 2U);
  EXPECT_EQ(p.fields()[1].raw, "B: 2\r\n");
  EXPECT_TRUE(p.body().empty());
  EXPECT_EQ(p.body().data(), p.header_block().data() + p.header_block().size());
  EXPECT_EQ(p.header_block(), "A: 1\r\nB: 2\r\n");
}

TEST(MessageSplit, HeaderCutOffInALineIsAllHeaderWithADefect) {
  ParsedMessage p;
  p.split("A: 1\r\nB: 2");
  EXPECT_EQ(p.defect(), MessageDefect::header_not_terminated);
  ASSERT_EQ(p.fields().size(), 2U);
  EXPECT_EQ(p.fields()[1].raw, "B: 2");
  EXPECT_EQ(p.fields()[1].value, " 2");
  EXPECT_TRUE(p.body().empty());
  EXPECT_EQ(p.header_block(), "A: 1\r\nB: 2");
}

TEST(MessageSplit, EmptyLineFirstMeansNoHeaderFields) {
  ParsedMessage p;
  p.split("\r\nbody");
  EXPECT_EQ(p.defect(), MessageDefect::no_header_fields);
  EXPECT_TRUE(p.fields().empty());
  EXPECT_EQ(p.body(), "body");
}

TEST(MessageSplit, FirstLineNotAFieldIsSkipped) {
  ParsedMessage p;
  p.split("From sender@example.com Mon Jan  1 00:00:00 2024\nA: 1\n\nb");
  EXPECT_EQ(p.defect(), MessageDefect::no_header_fields);
  ASSERT_EQ(p.fields().size(), 1U);
  EXPECT_EQ(p.fields()[0].raw, "A: 1\n");
  EXPECT_EQ(p.body(), "b");
}

TEST(MessageSplit, LeadingContinuationIsNoHeaderField) {
  ParsedMessage p;
  p.split(" folded\r\nA: 1\r\n\r\n");
  EXPECT_EQ(p.defect(), MessageDefect::no_header_fields);
  ASSERT_EQ(p.fields().size(), 1U);
  EXPECT_EQ(p.fields()[0].raw, "A: 1\r\n");
}

TEST(MessageSplit, LineWithoutColonIsSkippedWithItsContinuations) {
  // Documented choice: the bad line (and lines folded under it) belong to no field, so the
  // field before it keeps exactly its own bytes.
  ParsedMessage p;
  p.split("A: 1\r\nnot a field\r\n more\r\nB: 2\r\n\r\nbody");
  EXPECT_EQ(p.defect(), MessageDefect::header_line_without_colon);
  ASSERT_EQ(p.fields().size(), 2U);
  EXPECT_EQ(p.fields()[0].raw, "A: 1\r\n");
  EXPECT_EQ(p.fields()[1].raw, "B: 2\r\n");
  EXPECT_EQ(p.body(), "body");
}

TEST(MessageSplit, NameWithControlCharIsNoField) {
  ParsedMessage p;
  p.split("A: 1\r\nB\x01: 2\r\n\r\n");
  EXPECT_EQ(p.defect(), MessageDefect::header_line_without_colon);
  EXPECT_EQ(p.fields().size(), 1U);
}

TEST(MessageSplit, ReuseClearsState) {
  ParsedMessage p;
  p.split("X: 1\r\nY: 2\r\n");
  p.split("Z: 3\r\n\r\n");
  EXPECT_EQ(p.defect(), MessageDefect::none);
  ASSERT_EQ(p.fields().size(), 1U);
  EXPECT_EQ(p.fields()[0].name, "Z");
}

TEST(MessageFirst, TopmostAndCaseInsensitive) {
  ParsedMessage p;
  p.split("Received: 1\r\nreceived: 2\r\n\r\n");
  EXPECT_EQ(p.first("RECEIVED"), &p.fields()[0]);
  EXPECT_EQ(p.first("From"), nullptr);
}

TEST(Iequals, AsciiOnly) {
  EXPECT_TRUE(iequals("DKIM-Signature", "dkim-signature"));
  EXPECT_FALSE(iequals("a", "ab"));
  EXPECT_FALSE(iequals("\xC4", "\xE4"));  // no Latin-1 folding
  EXPECT_TRUE(iequals("", ""));
}

TEST(FromDomain, Cases) {
  EXPECT_EQ(from_domain(" joe@Example.com"), "Example.com");
  EXPECT_EQ(from_domain(" Joe <joe@Example.com>"), "Example.com");
  EXPECT_EQ(from_domain(" \"Joe <fake@evil.com>\" <joe@example.com>"), "example.com");
  EXPECT_EQ(from_domain(" \"a@b\"@example.org"), "example.org");
  EXPECT_EQ(from_domain(" (comment <x@evil.com>) joe@example.com (Joe)"), "example.com");
  EXPECT_EQ(from_domain(" joe@example.com (Joe)"), "example.com");
  EXPECT_EQ(from_domain(" joe@ (c) example.com"), "example.com");
  EXPECT_EQ(from_domain(" fake@display <joe@example.com>"), "example.com");
  EXPECT_EQ(from_domain(" Friends: a@one.example, b@two.example;"), "one.example");
  EXPECT_EQ(from_domain(" a@first.example, Bob <b@second.example>"), "first.example");
  EXPECT_EQ(from_domain(" <@route.example:joe@example.com>"), "example.com");
  EXPECT_EQ(from_domain(" joe@[192.0.2.1]"), "[192.0.2.1]");
  EXPECT_EQ(from_domain(" Joe\r\n <joe@example.com>\r\n"), "example.com");
  EXPECT_EQ(from_domain(" undisclosed-recipients:;"), "");
  EXPECT_EQ(from_domain(" no address here"), "");
  EXPECT_EQ(from_domain(""), "");
  EXPECT_EQ(from_domain(" <>"), "");
  const std::string_view v = " J <j@d.example>";
  const std::string_view d = from_domain(v);
  EXPECT_EQ(d.data(), v.data() + 6);  // a view into the value
}

}  // namespace
}  // namespace dkimscan::engine
