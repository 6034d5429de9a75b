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
  std::string& name = slots_[used_].name;
  assign_key_name(selector, domain, name);
  // A batch holds tens of distinct names: a linear scan is cheaper than hashing them.
  for (std::size_t i = 0; i < used_; ++i) {
    if (slots_[i].name == name) return;
  }
  ++used_;
}

void PinnedKeys::ask(KeyWaiter& arrivals) {
  // No slot may move from here on: the source holds pointers to them until it answers.
  for (std::size_t i = 0; i < used_; ++i) {
    Slot& slot = slots_[i];
    slot.arrivals = &arrivals;
    if (KeySetPtr known = source_->lookup_or_wait(slot.name, &slot)) slot.key_ready(std::move(known));
  }
}

const KeySet* PinnedKeys::borrow(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < used_; ++i) {
    if (slots_[i].name == name) return slots_[i].answer.get();
  }
  return nullptr;
}

KeySetPtr PinnedKeys::lookup(std::string_view name) {
  for (std::size_t i = 0; i < used_; ++i) {
    if (slots_[i].name == name) return slots_[i].answer;
  }
  return source_->lookup(name);
}

}  // namespace dkimscan::engine
