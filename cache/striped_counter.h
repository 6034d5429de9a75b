// File: striped_counter.h
// A statistics counter many threads bump at once: one relaxed atomic per cache line, picked by
// the calling thread, summed when read (ripgrep's per-thread Stats, without a registry).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>

namespace dkimscan::cache {

class StripedCounter {
 public:
  void add(std::uint64_t n = 1) noexcept {
    slots_[slot_index()].value.fetch_add(n, std::memory_order_relaxed);
  }
  std::uint64_t sum() const noexcept {
    std::uint64_t total = 0;
    for (const Slot& slot : slots_) total += slot.value.load(std::memory_order_relaxed);
    return total;
  }

 private:
  static constexpr std::size_t kSlots = 16;
  struct alignas(64) Slot {
    std::atomic<std::uint64_t> value{0};
  };
  static std::size_t slot_index() noexcept {
    thread_local const std::size_t index = std::hash<std::thread::id>{}(std::this_thread::get_id()) % kSlots;
    return index;
  }
  std::array<Slot, kSlots> slots_;
};

}  // namespace dkimscan::cache
