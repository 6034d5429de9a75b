// Tests for ingest/block_pool.h: a block comes back when its last holder lets go, and not before;
// the next take() hands it out again; the pool outlives its owner while blocks are out.
#include "ingest/block_pool.h"

#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <string_view>
#include <thread>
#include <vector>

namespace dkimscan::ingest {
namespace {

constexpr std::size_t kBytes = 256 * 1024;

TEST(BlockPool, AReturnedBlockIsTakenAgain) {
  auto pool = BlockPool::make(kBytes);
  EXPECT_EQ(pool->block_bytes(), kBytes);
  std::shared_ptr<char[]> block = pool->take();
  char* const address = block.get();
  std::shared_ptr<const void> message_storage = block;  // as a message holds it
  block.reset();
  EXPECT_EQ(pool->idle(), 0u) << "a message still points into it";
  message_storage.reset();
  EXPECT_EQ(pool->idle(), 1u);
  EXPECT_EQ(pool->take().get(), address);
}

TEST(BlockPool, AHeldBlockIsNeverHandedOutTwice) {
  auto pool = BlockPool::make(kBytes);
  std::shared_ptr<char[]> held = pool->take();
  std::memset(held.get(), 'h', kBytes);
  for (int round = 0; round < 10; ++round) {
    std::shared_ptr<char[]> other = pool->take();
    ASSERT_NE(other.get(), held.get());
    std::memset(other.get(), 'o', kBytes);
  }
  EXPECT_EQ(std::string_view(held.get(), kBytes), std::string(kBytes, 'h'));
  EXPECT_EQ(pool->idle(), 1u) << "one other block, returned and taken again each round";
}

TEST(BlockPool, BlocksOutliveThePoolsOwner) {
  auto pool = BlockPool::make(kBytes);
  std::shared_ptr<char[]> block = pool->take();
  std::weak_ptr<BlockPool> watch = pool;
  pool.reset();
  EXPECT_FALSE(watch.expired()) << "the block's deleter keeps the pool";
  block.get()[kBytes - 1] = 'x';  // still ours to write (AddressSanitizer would see otherwise)
  block.reset();
  EXPECT_TRUE(watch.expired());
}

// Blocks are taken on the reader's thread and dropped on whichever worker emits the last message;
// every one comes back, and the pool never makes more than were out at once.
TEST(BlockPool, BlocksDroppedOnOtherThreadsComeBack) {
  auto pool = BlockPool::make(kBytes);
  constexpr int kRounds = 200;
  constexpr int kOutAtOnce = 4;
  std::set<const char*> addresses;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::shared_ptr<char[]>> out;
    for (int i = 0; i < kOutAtOnce; ++i) {
      out.push_back(pool->take());
      addresses.insert(out.back().get());
      out.back().get()[0] = static_cast<char>(i);
    }
    std::vector<std::thread> workers;
    for (int i = 0; i < kOutAtOnce; ++i) {
      workers.emplace_back([block = std::move(out[i]), i] { EXPECT_EQ(block.get()[0], static_cast<char>(i)); });
    }
    for (std::thread& worker : workers) worker.join();
  }
  EXPECT_EQ(pool->idle(), static_cast<std::size_t>(kOutAtOnce));
  EXPECT_EQ(addresses.size(), static_cast<std::size_t>(kOutAtOnce));
}

}  // namespace
}  // namespace dkimscan::ingest
