// File: pinned_keys.h
// The key answers one batch of messages needs, asked for once before the batch is verified and
// held ("pinned") until the batch is done. Verify reads them from here, not from the shared
// provider, so that:
//   - a name is asked for once per batch, however many of the batch's signatures use it;
//   - verify never waits on a lookup: every answer is in before the batch reaches a worker;
//   - an answer that expires from the cache between the two steps cannot become a second,
//     blocking query (or a different verdict for the same batch).
// Not thread-safe while filling (one thread calls reset/want/ask); lookup() is read-only and
// safe from any thread once every answer has arrived.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/key_provider.h"

namespace dkimscan::engine {

class PinnedKeys final : public KeyProvider {
 public:
  // Starts over for a new batch: forgets the answers, keeps the memory for the names.
  void reset(KeyProvider& source) noexcept;

  // Adds <selector>._domainkey.<domain> to the names to ask for (once, however often it comes).
  void want(std::string_view selector, std::string_view domain);

  // Asks the source for every wanted name without blocking. For each name, arrivals->key_ready()
  // is called once: at once when the answer is known now, else later from the thread that has it.
  // Call expect(count) on the arrivals counter first if it needs to know how many will come:
  // wanted() tells.
  void ask(KeyWaiter& arrivals);

  std::size_t wanted() const noexcept { return used_; }

  // The pinned answer for name; a name that was never wanted goes to the source (and may block).
  KeySetPtr lookup(std::string_view name) override;
  // The pinned answer, valid until reset(); null for a name that was never wanted.
  const KeySet* borrow(std::string_view name) const noexcept override;

 private:
  struct Slot final : KeyWaiter {
    std::string name;
    KeySetPtr answer;
    KeyWaiter* arrivals = nullptr;
    void key_ready(KeySetPtr keys) noexcept override;
  };

  const Slot* find(std::string_view name) const noexcept;  // among the used slots
  void index_slot(std::size_t slot) noexcept;  // adds slots_[slot] to index_ (room is left)
  void rebuild_index();                         // index_ for the used slots, with room to grow

  // A batch usually holds tens of distinct names, which a linear scan finds fastest. A batch cut
  // from an mbox chunk of tiny messages can hold tens of thousands, and scanning them for each
  // name made such an archive take hours: past kScanLimit names an open-addressing index is kept.
  static constexpr std::size_t kScanLimit = 32;

  KeyProvider* source_ = nullptr;
  std::vector<Slot> slots_;  // the first used_ are this batch's; the rest keep their capacity
  std::size_t used_ = 0;
  std::vector<std::uint32_t> index_;  // slot + 1 (0: free), by name hash; keeps its memory
  bool indexed_ = false;              // index_ is in use, and valid, for this batch (used_ > kScanLimit)
};

}  // namespace dkimscan::engine
