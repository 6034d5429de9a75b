// File: ingest/byte_arena.h
// Memory for the bytes of one batch of messages: handed out by moving a cursor through blocks of
// a fixed size, taken back all at once. The pipeline keeps one arena per batch and reuses it round
// after round, so reading a message file into it costs no allocation, and it writes to pages that
// are already mapped instead of fresh ones that fault on first touch. Blocks are kept, never
// merged or resized, so the allocator is not asked to find a new large block every round.
// Header-only: the engine's pipeline owns the arenas and does not link ingest.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "ingest/prefault.h"

namespace dkimscan::ingest {

class ByteArena {
 public:
  static constexpr std::size_t kBlockBytes = 1u << 20;
  // Requests larger than this do not fit the arena's purpose (many small messages): the caller
  // gives them their own buffer. A quarter block wastes at most a quarter of a block.
  static constexpr std::size_t kLargestTake = kBlockBytes / 4;
  // take_large()'s buffers up to this size are kept for the next round (a 1 MiB mbox chunk and
  // the room after it need 1.25 MiB).
  static constexpr std::size_t kKeptLargeBytes = 2u << 20;

  // keep_blocks bounds the blocks reset() keeps for the next round.
  explicit ByteArena(std::size_t keep_blocks = 3) noexcept : keep_blocks_(keep_blocks) {}

  // size ≤ kLargestTake writable bytes, not zeroed. LIFETIME: valid until reset(); later calls
  // never move them.
  std::span<char> take(std::size_t size) {
    assert(size <= kLargestTake);
    // A fresh arena starts a block even for size 0: the span's pointer is never null, because
    // memcpy and friends may not be passed null even for zero bytes.
    if (cursor_ == nullptr || left_ < size) {  // the rest of this block is left unused
      if (next_ == blocks_.size()) {
        blocks_.push_back(std::make_unique_for_overwrite<char[]>(kBlockBytes));
        prefault_for_write(blocks_.back().get(), kBlockBytes);
      }
      cursor_ = blocks_[next_++].get();
      left_ = kBlockBytes;
    }
    char* begin = cursor_;
    cursor_ += size;
    left_ -= size;
    return {begin, size};
  }

  // size writable bytes of any size, not zeroed, for input read a window at a time (a chunk of an
  // mbox: mbox_chunks.h). LIFETIME: valid until reset(). The buffers are kept from round to round
  // too, up to keep_blocks of them and kKeptLargeBytes each.
  std::span<char> take_large(std::size_t size) {
    if (large_next_ == large_.size()) large_.emplace_back();
    Large& slot = large_[large_next_++];
    if (slot.size < size || slot.data == nullptr) {
      slot.data = std::make_unique_for_overwrite<char[]>(std::max<std::size_t>(size, 1));
      slot.size = size;
      prefault_for_write(slot.data.get(), size);
    }
    return {slot.data.get(), size};
  }

  // Gives back everything taken; keeps up to keep_blocks blocks (and large buffers) for the next round.
  void reset() noexcept {
    next_ = 0;
    cursor_ = nullptr;
    left_ = 0;
    if (blocks_.size() > keep_blocks_) blocks_.resize(keep_blocks_);
    large_next_ = 0;
    if (large_.size() > keep_blocks_) large_.resize(keep_blocks_);
    for (Large& slot : large_) {
      if (slot.size > kKeptLargeBytes) slot = Large{};
    }
  }

  // Bytes held now, in use or not.
  std::size_t capacity() const noexcept {
    std::size_t large = 0;
    for (const Large& slot : large_) large += slot.size;
    return blocks_.size() * kBlockBytes + large;
  }

 private:
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::size_t next_ = 0;      // the block take() starts when this one is full
  char* cursor_ = nullptr;    // the next free byte of the block being filled
  std::size_t left_ = 0;      // bytes left after cursor_
  std::size_t keep_blocks_;
  struct Large {
    std::unique_ptr<char[]> data;
    std::size_t size = 0;
  };
  std::vector<Large> large_;
  std::size_t large_next_ = 0;  // the slot take_large() uses next
};

}  // namespace dkimscan::ingest
