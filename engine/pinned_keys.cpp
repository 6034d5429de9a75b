// File: pinned_keys.cpp
#include "engine/pinned_keys.h"

namespace dkimscan::engine {

void PinnedKeys::Slot::key_ready(KeySetPtr keys) noexcept {
  answer = std::move(keys);
  arrivals->key_ready(nullptr);  // the counter needs the event, not the answer
}

void PinnedKeys::reset(KeyProvider& source) noexcept {
  source_ = &source;
  for (std::size_t i = 0; i < used_; ++i) slots_[i].answer.reset();  // unpin: the cache may drop them
  used_ = 0;
}

void PinnedKeys::want(std::string_view selector, std::string_view domain) {
  if (used_ == slots_.size()) slots_.emplace_back();
  std::string& name = slots_[used_].name;  // the next free slot's, to reuse its capacity
  assign_key_name(selector, domain, name);
  if (find(name) == nullptr) ++used_;
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
  // A batch holds tens of distinct names: a linear scan is cheaper than hashing them.
  for (std::size_t i = 0; i < used_; ++i) {
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
