// find_text against std::string_view::find: every needle position and alignment, needles cut by
// the end of the haystack, near misses on the first two bytes, and random mail-like text; each
// both as dispatched on this CPU (the 32-byte AVX2 loop where it has AVX2) and with the 16-byte
// loop that other CPUs get.
#include "ingest/find_text.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace dkimscan::ingest {
namespace {

const char* expected(std::string_view haystack, std::size_t from, std::string_view needle) {
  const std::size_t at = haystack.find(needle, from);
  return at == std::string_view::npos ? nullptr : haystack.data() + at;
}

using Finder = const char* (*)(std::string_view, std::size_t, std::string_view) noexcept;

class FindText : public testing::TestWithParam<Finder> {
 protected:
  const char* find_text(std::string_view haystack, std::size_t from, std::string_view needle) const {
    return GetParam()(haystack, from, needle);
  }
};

TEST_P(FindText, EveryPositionAndStart) {
  for (std::size_t size = 0; size <= 70; ++size) {
    for (std::size_t at = 0; at + 6 <= size; ++at) {
      std::string text(size, 'x');
      text.replace(at, 6, "\nFrom ");
      for (std::size_t from = 0; from <= size; ++from) {
        EXPECT_EQ(find_text(text, from, "\nFrom "), expected(text, from, "\nFrom ")) << size << " " << at << " " << from;
      }
    }
  }
}

TEST_P(FindText, NearMissesAndTheEnd) {
  // "\nF" everywhere but never "\nFrom ", then a real one cut by the end, then a whole one.
  std::string text;
  for (int i = 0; i < 40; ++i) text += "\nFrog \nFro\n>From ";
  EXPECT_EQ(find_text(text, 0, "\nFrom "), nullptr);
  EXPECT_EQ(find_text(text + "\nFrom", 0, "\nFrom "), nullptr);
  const std::string whole = text + "\nFrom x";
  EXPECT_EQ(find_text(whole, 0, "\nFrom "), expected(whole, 0, "\nFrom "));
  EXPECT_EQ(find_text(whole, 0, ">From "), whole.data() + 11);
  EXPECT_EQ(find_text(whole, whole.size(), ">From "), nullptr);
  EXPECT_EQ(find_text(whole, whole.size() + 1, ">From "), nullptr);
  EXPECT_EQ(find_text("abc", 1, ""), std::string_view("abc").data() + 1);
}

TEST_P(FindText, RandomTextAgreesWithFind) {
  std::mt19937 rng(7);
  const char alphabet[] = {'\n', '\n', '>', 'F', 'r', 'o', 'm', ' ', 'a', '\r'};
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    const std::size_t size = rng() % 300;
    for (std::size_t i = 0; i < size; ++i) text += alphabet[rng() % sizeof(alphabet)];
    for (std::string_view needle : {"\nFrom ", ">From ", ">>From ", "\n\n"}) {
      const std::size_t from = size == 0 ? 0 : rng() % (size + 1);
      ASSERT_EQ(find_text(text, from, needle), expected(text, from, needle)) << round;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Loops, FindText, testing::Values(&ingest::find_text, &find_text_sse2),
                         [](const testing::TestParamInfo<Finder>& info) {
                           return std::string(info.index == 0 ? "AsDispatched" : "Sse2");
                         });

}  // namespace
}  // namespace dkimscan::ingest
