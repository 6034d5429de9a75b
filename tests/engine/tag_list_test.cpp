// File: tag_list_test.cpp
// The RFC 6376 §3.2 tag-list grammar (names, values, FWS, trailing ';', duplicates), the raw value
// spans that b= blanking relies on (§3.7), and the FWS-tolerant base64 decoder.
#include "engine/tag_list.h"

#include <array>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace dkimscan::engine {
namespace {

std::string_view raw_value(std::string_view text, const Tag& tag) {
  return text.substr(tag.raw_value_begin, tag.raw_value_end - tag.raw_value_begin);
}

TEST(TagList, ParsesNamesAndValuesInOrder) {
  TagList tags;
  ASSERT_EQ(tags.parse("v=1; a=rsa-sha256; d=example.com"), TagListStatus::ok);
  ASSERT_EQ(tags.size(), 3u);
  EXPECT_EQ(tags.begin()[0].name, "v");
  EXPECT_EQ(tags.begin()[0].value, "1");
  EXPECT_EQ(tags.begin()[1].name, "a");
  EXPECT_EQ(tags.begin()[1].value, "rsa-sha256");
  EXPECT_EQ(tags.begin()[2].name, "d");
  EXPECT_EQ(tags.begin()[2].value, "example.com");
}

TEST(TagList, AllowsFwsAroundNamesEqualsAndValues) {
  // §3.2 tag-spec = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
  constexpr std::string_view kText = " x1 = extra ;\r\n\tt = y:n \r\n ; h\t=\tsha1";
  TagList tags;
  ASSERT_EQ(tags.parse(kText), TagListStatus::ok);
  ASSERT_EQ(tags.size(), 3u);
  EXPECT_EQ(tags.find("x1")->value, "extra");
  EXPECT_EQ(tags.find("t")->value, "y:n");
  EXPECT_EQ(tags.find("h")->value, "sha1");
}

TEST(TagList, KeepsInnerFwsOfAValue) {
  TagList tags;
  ASSERT_EQ(tags.parse("b=abc\r\n def ghi; c=x"), TagListStatus::ok);
  EXPECT_EQ(tags.find("b")->value, "abc\r\n def ghi");
}

TEST(TagList, RawValueSpanRunsFromEqualsToSemicolonIncludingWhitespace) {
  constexpr std::string_view kText = "a=1; b= abc\r\n def ; c=2";
  TagList tags;
  ASSERT_EQ(tags.parse(kText), TagListStatus::ok);
  const Tag* b = tags.find("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(raw_value(kText, *b), " abc\r\n def ");
  EXPECT_EQ(b->raw_value_begin, 7u);
  EXPECT_EQ(b->raw_value_end, 18u);
}

TEST(TagList, RawValueSpanOfTheLastTagEndsAtTheTextEnd) {
  constexpr std::string_view kText = "a=1; b=xyz\r\n";
  TagList tags;
  ASSERT_EQ(tags.parse(kText), TagListStatus::ok);
  EXPECT_EQ(raw_value(kText, *tags.find("b")), "xyz\r\n");
  EXPECT_EQ(tags.find("b")->raw_value_end, kText.size());
}

TEST(TagList, AllowsEmptyValues) {
  TagList tags;
  ASSERT_EQ(tags.parse("p=; g= ;k=rsa"), TagListStatus::ok);
  EXPECT_EQ(tags.find("p")->value, "");
  EXPECT_EQ(tags.find("g")->value, "");
  EXPECT_EQ(tags.find("k")->value, "rsa");
}

TEST(TagList, AllowsOneTrailingSemicolonWithFws) {
  TagList tags;
  ASSERT_EQ(tags.parse("a=1; b=2;"), TagListStatus::ok);
  EXPECT_EQ(tags.size(), 2u);
  ASSERT_EQ(tags.parse("a=1; b=2; \r\n "), TagListStatus::ok);
  EXPECT_EQ(tags.size(), 2u);
}

TEST(TagList, RejectsEmptyAndBlankText) {
  TagList tags;
  EXPECT_EQ(tags.parse(""), TagListStatus::syntax_error);
  EXPECT_EQ(tags.parse(" \r\n "), TagListStatus::syntax_error);
}

TEST(TagList, RejectsEmptyElements) {
  TagList tags;
  EXPECT_EQ(tags.parse("a=1;;b=2"), TagListStatus::syntax_error);
  EXPECT_EQ(tags.parse("a=1; ; b=2"), TagListStatus::syntax_error);
  EXPECT_EQ(tags.parse(";a=1"), TagListStatus::syntax_error);
  EXPECT_EQ(tags.parse("a=1;;"), TagListStatus::syntax_error);
}

TEST(TagList, RejectsATagWithoutEquals) {
  TagList tags;
  EXPECT_EQ(tags.parse("a"), TagListStatus::syntax_error);
  EXPECT_EQ(tags.parse("k=rsa; t; p=abc"), TagListStatus::syntax_error);
  EXPECT_EQ(tags.parse("a b=1"), TagListStatus::syntax_error);
}

TEST(TagList, TagNamesStartWithALetterAndHoldLettersDigitsUnderscores) {
  TagList tags;
  EXPECT_EQ(tags.parse("a_1B=2"), TagListStatus::ok);
  EXPECT_EQ(tags.find("a_1B")->value, "2");
  EXPECT_EQ(tags.parse("1a=2"), TagListStatus::syntax_error);
  EXPECT_EQ(tags.parse("_a=2"), TagListStatus::syntax_error);
  EXPECT_EQ(tags.parse("a-b=2"), TagListStatus::syntax_error);
  EXPECT_EQ(tags.parse("=2"), TagListStatus::syntax_error);
}

TEST(TagList, RejectsValuesOutsideValchar) {
  TagList tags;
  EXPECT_EQ(tags.parse("a=x\x7fy"), TagListStatus::syntax_error);
  EXPECT_EQ(tags.parse("a=caf\xc3\xa9"), TagListStatus::syntax_error);
  EXPECT_EQ(tags.parse(std::string_view("a=x\0y", 5)), TagListStatus::syntax_error);
  EXPECT_EQ(tags.parse("a=x\x01"), TagListStatus::syntax_error);
  // '=' and every other printable character except ';' are VALCHAR.
  EXPECT_EQ(tags.parse("a=!\"#$%&'()*+,-./:<=>?@[\\]^_`{|}~"), TagListStatus::ok);
}

TEST(TagList, RejectsDuplicateNames) {
  TagList tags;
  EXPECT_EQ(tags.parse("a=1; b=2; a=3"), TagListStatus::duplicate_tag);
}

TEST(TagList, NamesAreCaseSensitive) {
  // §3.2: "Tags MUST be interpreted in a case-sensitive manner."
  TagList tags;
  ASSERT_EQ(tags.parse("a=1; A=2"), TagListStatus::ok);
  EXPECT_EQ(tags.find("a")->value, "1");
  EXPECT_EQ(tags.find("A")->value, "2");
  EXPECT_EQ(tags.find("B"), nullptr);
}

TEST(TagList, HoldsAtMostKMaxTags) {
  std::string text;
  for (std::size_t i = 0; i < TagList::kMaxTags; ++i) text += "t" + std::to_string(i) + "=x;";
  TagList tags;
  ASSERT_EQ(tags.parse(text), TagListStatus::ok);
  EXPECT_EQ(tags.size(), TagList::kMaxTags);
  text += "one_more=x";
  EXPECT_EQ(tags.parse(text), TagListStatus::too_many_tags);
}

TEST(TagList, ReparseForgetsThePreviousTags) {
  TagList tags;
  ASSERT_EQ(tags.parse("a=1; b=2"), TagListStatus::ok);
  ASSERT_EQ(tags.parse("c=3"), TagListStatus::ok);
  EXPECT_EQ(tags.size(), 1u);
  EXPECT_EQ(tags.find("a"), nullptr);
}

TEST(TagKey, DispatchesShortNamesInASwitch) {
  const auto kind = [](std::string_view name) {
    switch (tag_key(name)) {
      case tag_key("b"): return 1;
      case tag_key("bh"): return 2;
      default: return 0;
    }
  };
  EXPECT_EQ(kind("b"), 1);
  EXPECT_EQ(kind("bh"), 2);
  EXPECT_EQ(kind("xb"), 0);
  EXPECT_EQ(tag_key("toolongname"), 0u);
}

TEST(TrimFws, RemovesLeadingAndTrailingFwsOnly) {
  EXPECT_EQ(trim_fws(" \t\r\n a b \r\n"), "a b");
  EXPECT_EQ(trim_fws(""), "");
  EXPECT_EQ(trim_fws(" \r\n "), "");
  EXPECT_EQ(trim_fws("x"), "x");
}

TEST(ForEachColonItem, TrimsFwsAndSkipsEmptyItems) {
  std::vector<std::string> items;
  for_each_colon_item(" sha1 :\r\n sha256::md5: ", [&](std::string_view item) { items.emplace_back(item); });
  EXPECT_EQ(items, (std::vector<std::string>{"sha1", "sha256", "md5"}));
}

// Decodes into a string, or "<error>".
std::string decode(std::string_view text, std::size_t capacity = 64) {
  std::array<unsigned char, 64> out{};
  const std::ptrdiff_t size = decode_base64_fws(text, out.data(), capacity);
  if (size < 0) return "<error>";
  return std::string(reinterpret_cast<const char*>(out.data()), static_cast<std::size_t>(size));
}

TEST(DecodeBase64Fws, DecodesPaddedAndUnpaddedText) {
  EXPECT_EQ(decode("dGVzdA=="), "test");
  EXPECT_EQ(decode("dGVzdDE="), "test1");
  EXPECT_EQ(decode("dGVzdDEy"), "test12");
  EXPECT_EQ(decode("dGVzdA"), "test");
  EXPECT_EQ(decode("+/+/"), "\xfb\xff\xbf");
  EXPECT_EQ(decode(""), "");
}

TEST(DecodeBase64Fws, SkipsFwsAnywhereIncludingBetweenPadding) {
  EXPECT_EQ(decode(" dG\r\n Vz\tdA \r\n = = "), "test");
}

TEST(DecodeBase64Fws, RejectsCharactersOutsideTheAlphabet) {
  EXPECT_EQ(decode("dGV*"), "<error>");
  EXPECT_EQ(decode("dGVz-A=="), "<error>");
  EXPECT_EQ(decode("dGVz;A=="), "<error>");
}

TEST(DecodeBase64Fws, AllowsPaddingOnlyAtTheEnd) {
  EXPECT_EQ(decode("dG=VzdA=="), "<error>");
  EXPECT_EQ(decode("dGVzdA==="), "<error>");
  EXPECT_EQ(decode("dGVzdA="), "<error>");
  EXPECT_EQ(decode("=="), "<error>");
}

TEST(DecodeBase64Fws, RejectsALoneSixBitGroup) { EXPECT_EQ(decode("dGVzd"), "<error>"); }

TEST(DecodeBase64Fws, RejectsOutputBeyondCapacity) {
  EXPECT_EQ(decode("dGVzdA==", 4), "test");
  EXPECT_EQ(decode("dGVzdA==", 3), "<error>");
}

}  // namespace
}  // namespace dkimscan::engine
