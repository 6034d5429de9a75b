// File: ingest/block_pool.cpp
#include "ingest/block_pool.h"

#include "ingest/prefault.h"

namespace dkimscan::ingest {

std::shared_ptr<char[]> BlockPool::take() {
  std::unique_ptr<char[]> block;
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      block = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (block == nullptr) {
    block = std::make_unique_for_overwrite<char[]>(block_bytes_);
    prefault_for_write(block.get(), block_bytes_);  // a returned block is mapped already
  }
  // The deleter keeps the pool alive. Should the control block's allocation throw, shared_ptr
  // calls the deleter, and the block comes back here.
  return std::shared_ptr<char[]>(block.release(), GiveBack{shared_from_this()});
}

void BlockPool::give_back(char* block) noexcept {
  std::unique_ptr<char[]> owned(block);
  std::lock_guard lock(mutex_);
  // push_back may throw only when the vector grows past its largest size so far, which the
  // blocks' own count bounds; if it does, the block is freed instead of kept.
  try {
    idle_.push_back(std::move(owned));
  } catch (...) {
  }
}

std::size_t BlockPool::idle() const {
  std::lock_guard lock(mutex_);
  return idle_.size();
}

}  // namespace dkimscan::ingest
