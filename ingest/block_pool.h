// File: ingest/block_pool.h
// The stream reader's blocks, recycled. Messages point into the block they were read into and
// keep it alive; when the last of them is done the block comes back here instead of going to the
// allocator, and the next read fills it again. Writing to pages that are already mapped is what
// pays: a fresh block costs a page fault per 4 KiB, or a MADV_POPULATE_WRITE walk, and on the
// paravirtualized VM of the benchmarks even a populated page costs microseconds on its first touch.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace dkimscan::ingest {

class BlockPool : public std::enable_shared_from_this<BlockPool> {
 public:
  // Every block is block_bytes long. Use make().
  explicit BlockPool(std::size_t block_bytes) noexcept : block_bytes_(block_bytes) {}

  static std::shared_ptr<BlockPool> make(std::size_t block_bytes) { return std::make_shared<BlockPool>(block_bytes); }

  std::size_t block_bytes() const noexcept { return block_bytes_; }

  // A block of block_bytes() writable bytes, not zeroed: a returned one if there is one, else a
  // new one with its pages mapped in. LIFETIME: it comes back when the last copy of the pointer is
  // dropped, on whichever thread that happens; the pool lives at least as long as its blocks.
  std::shared_ptr<char[]> take();

  // Blocks waiting to be taken again (for tests).
  std::size_t idle() const;

 private:
  struct GiveBack {
    std::shared_ptr<BlockPool> pool;
    void operator()(char* block) const noexcept { pool->give_back(block); }
  };

  void give_back(char* block) noexcept;

  std::size_t block_bytes_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<char[]>> idle_;  // at most the most blocks ever in use at once
};

}  // namespace dkimscan::ingest
