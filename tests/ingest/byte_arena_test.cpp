// Tests for ingest/byte_arena.h: what take() hands out never moves, and reset() keeps the
// blocks (up to its bound) so that the next round takes the same memory again.
#include "ingest/byte_arena.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace dkimscan::ingest {
namespace {

TEST(ByteArena, EarlierBytesStayPutWhileTheArenaGrows) {
  ByteArena arena;
  std::vector<std::span<char>> taken;
  for (std::size_t i = 0; i < 200; ++i) {
    taken.push_back(arena.take(i * 1000));
    std::memset(taken.back().data(), static_cast<int>('a' + i % 26), taken.back().size());
  }
  for (std::size_t i = 0; i < taken.size(); ++i) {
    ASSERT_EQ(taken[i].size(), i * 1000);
    EXPECT_EQ(std::string_view(taken[i].data(), taken[i].size()), std::string(i * 1000, static_cast<char>('a' + i % 26)));
  }
  // 19.9 MB taken; a block's unused end is less than one take, so at most a quarter is lost.
  const std::size_t taken_bytes = 1000 * 199 * 200 / 2;
  EXPECT_GE(arena.capacity(), taken_bytes);
  EXPECT_LE(arena.capacity(), taken_bytes / 3 * 4 + ByteArena::kBlockBytes);
}

TEST(ByteArena, AnEmptyTakeStillPointsSomewhere) {
  ByteArena arena;
  EXPECT_NE(arena.take(0).data(), nullptr);
  arena.reset();
  EXPECT_NE(arena.take(0).data(), nullptr);
}

TEST(ByteArena, TheNextRoundTakesTheSameMemory) {
  ByteArena arena;
  std::vector<const char*> first_round;
  for (int i = 0; i < 100; ++i) first_round.push_back(arena.take(25'000).data());  // 2.5 MB
  const std::size_t capacity = arena.capacity();
  EXPECT_EQ(capacity, 3 * ByteArena::kBlockBytes);
  arena.reset();
  for (int i = 0; i < 100; ++i) EXPECT_EQ(arena.take(25'000).data(), first_round[i]) << i;
  EXPECT_EQ(arena.capacity(), capacity);
}

TEST(ByteArena, ResetKeepsNoMoreThanItsBound) {
  ByteArena arena(2);
  for (int i = 0; i < 20; ++i) arena.take(ByteArena::kLargestTake);
  EXPECT_EQ(arena.capacity(), 5 * ByteArena::kBlockBytes);
  arena.reset();
  EXPECT_EQ(arena.capacity(), 2 * ByteArena::kBlockBytes);
  arena.take(1);
  EXPECT_EQ(arena.capacity(), 2 * ByteArena::kBlockBytes);
}

// Large takes (an mbox chunk's window) are kept for the next round like blocks, and reused when
// large enough; one beyond kKeptLargeBytes goes back to the allocator at the reset.
TEST(ByteArena, LargeTakesAreKeptForTheNextRoundUpToTheirBound) {
  ByteArena arena;
  const std::size_t chunk = (1u << 20) + (256u << 10);
  char* first = arena.take_large(chunk).data();
  first[chunk - 1] = 'x';  // writable to its end
  const std::span<char> huge = arena.take_large(ByteArena::kKeptLargeBytes + 1);
  EXPECT_EQ(huge.size(), ByteArena::kKeptLargeBytes + 1);
  EXPECT_EQ(arena.capacity(), chunk + huge.size());
  arena.reset();
  EXPECT_EQ(arena.capacity(), chunk);
  EXPECT_EQ(arena.take_large(chunk - 10).data(), first);  // smaller: the same memory
  EXPECT_NE(arena.take_large(10).data(), nullptr);        // the second slot, freed at the reset
  EXPECT_EQ(arena.capacity(), chunk + 10);
}

}  // namespace
}  // namespace dkimscan::ingest
