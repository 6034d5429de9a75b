// File: pinned_keys.cpp
#include "engine/pinned_keys.h"

#include <functional>
#include <string_view>

namespace dkimscan::engine {

void PinnedKeys::Slot::key_ready(KeySetPtr keys) noexcept {
  answer = std::move(keys);
  arrivals->key_ready(nullptr);  // the counter needs the event, not the answer
}

void PinnedKeys::reset(KeyProvider& source) noexcept {
  source_ = &source;
  for (std::size_t i = 0; i < used_; ++i) slots_[i].answer.reset();  // unpin: the cache may drop them
  used_ = 0;
  indexed_ = false;  // index_ keeps its memory for the next large batch
}

void PinnedKeys::want(std::string_view selector, std::string_view domain) {
  if (used_ == slots_.size()) slots_.emplace_back();
  std::string& name = slots_[used_].name;  // the next free slot's, to reuse its capacity
  assign_key_name(selector, domain, name);
  if (find(name) != nullptr) return;
  ++used_;
  if (indexed_ && 2 * used_ <= index_.size()) {
    index_slot(used_ - 1);
  } else if (used_ > kScanLimit) {
    rebuild_index();
  }
}

void PinnedKeys::index_slot(std::size_t slot) noexcept {
  const std::size_t mask = index_.size() - 1;
  std::size_t at = std::hash<std::string_view>{}(slots_[slot].name) & mask;
  while (index_[at] != 0) at = (at + 1) & mask;
  index_[at] = static_cast<std::uint32_t>(slot + 1);
}

void PinnedKeys::rebuild_index() {
  std::size_t size = 4 * kScanLimit;
  while (size < 4 * used_) size *= 2;  // at most half full after this round's growth
  index_.assign(size, 0);
  for (std::size_t i = 0; i < used_; ++i) index_slot(i);
  indexed_ = true;
}

void PinnedKeys::ask(KeyWaiter& arrivals) {
  // No slot may move from here on: the source holds pointers to them until it answers.
  for (std::size_t i = 0; i < used_; ++i) {
    Slot& slot = slots_[i];
    slot.arrivals = &arrivals;
    if (KeySetPtr known = source_->lookup_or_wait(slot.name, &slot)) slot.key_ready(std::move(known));
  }
}

const PinnedKeys::Slot* PinnedKeys::find(std::string_view name) const noexcept {
  if (indexed_) {
    const std::size_t mask = index_.size() - 1;
    for (std::size_t at = std::hash<std::string_view>{}(name) & mask; index_[at] != 0; at = (at + 1) & mask) {
      const Slot& slot = slots_[index_[at] - 1];
      if (slot.name == name) return &slot;
    }
    return nullptr;
  }
  for (std::size_t i = 0; i < used_; ++i) {  // few names: a scan is cheaper than hashing them
    if (slots_[i].name == name) return &slots_[i];
  }
  return nullptr;
}

const KeySet* PinnedKeys::borrow(std::string_view name) const noexcept {
  const Slot* slot = find(name);
  return slot ? slot->answer.get() : nullptr;
}

KeySetPtr PinnedKeys::lookup(std::string_view name) {
  const Slot* slot = find(name);
  return slot ? slot->answer : source_->lookup(name);
}

}  // namespace dkimscan::engine
