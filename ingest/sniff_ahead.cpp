// File: ingest/sniff_ahead.cpp
#include "ingest/sniff_ahead.h"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>
#include <sys/stat.h>

#include "ingest/archive_source.h"
#include "ingest/file_bytes.h"
#include "ingest/mbox_split.h"

namespace dkimscan::ingest {

namespace {

// Enough for every sniff: tar's "ustar" magic ends at byte 262.
constexpr std::size_t kHeadBytes = 512;

// Fills in the size of a file the walk did not stat(); false when it is gone or not regular
// (the serial reader then reports it).
bool find_size(WalkItem& item) noexcept {
  if (item.size_known) return true;
  struct stat st {};
  if (::stat(item.path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  item.size = static_cast<std::uint64_t>(st.st_size);
  item.size_known = true;
  return true;
}

FileGuess sniff(const std::string& path) noexcept {
  std::array<char, kHeadBytes> buffer;
  const std::string_view head = read_file_head(path, buffer);
  return !head.empty() && !looks_packed(head) && !looks_like_mbox(head) ? FileGuess::one_message
                                                                         : FileGuess::read_here;
}

}  // namespace

SniffAhead::SniffAhead(std::vector<std::string> roots, const IngestOptions& options)
    : walker_(std::move(roots)),
      defer_reads_(options.defer_reads),
      mmap_threshold_(options.mmap_threshold),
      max_message_bytes_(options.max_message_bytes) {
  items_.reserve(kChunk);
  to_examine_.reserve(kChunk);
}

bool SniffAhead::next(WalkItem& out, FileGuess& guess) {
  if (pos_ == items_.size()) refill();
  if (pos_ == items_.size()) return false;
  guess = guesses_[pos_].load(std::memory_order_acquire);
  out = std::move(items_[pos_++]);
  return true;
}

// A file outside a Maildir that a worker could read whole: mapped (large) files and empty ones
// stay with the serial reader, as before.
bool SniffAhead::small_enough(const WalkItem& item) const noexcept {
  return item.size != 0 && item.size < mmap_threshold_ && item.size <= max_message_bytes_;
}

// On a sniffing thread: the item's size if the walk left it unknown, then its guess.
FileGuess SniffAhead::examine(WalkItem& item) const noexcept {
  if (!find_size(item)) return FileGuess::read_here;
  if (item.maildir_message) return FileGuess::one_message;
  return small_enough(item) ? sniff(item.path) : FileGuess::read_here;
}

void SniffAhead::refill() {
  items_.clear();
  pos_ = 0;
  // Without deferred reads nothing is examined, so there is nothing to gain by reading ahead.
  const std::size_t chunk = defer_reads_ ? kChunk : 1;
  to_examine_.clear();
  WalkItem item;
  while (items_.size() < chunk && walker_.next(item)) {
    const std::size_t i = items_.size();
    const bool file = item.kind == WalkItem::Kind::file;
    FileGuess guess = FileGuess::read_here;
    if (defer_reads_ && file && item.size_known && item.maildir_message) {
      guess = FileGuess::one_message;
    } else if (defer_reads_ && file && (!item.size_known || small_enough(item))) {
      to_examine_.push_back(i);
    }
    guesses_[i].store(guess, std::memory_order_relaxed);
    items_.push_back(std::move(item));
    item = WalkItem{};
  }
  if (to_examine_.empty()) return;
  const auto examine_range = [&](const tbb::blocked_range<std::size_t>& range) {
    for (std::size_t k = range.begin(); k != range.end(); ++k) {
      const std::size_t i = to_examine_[k];
      // The release publishes the item's size too: next() acquires the guess before the item.
      guesses_[i].store(examine(items_[i]), std::memory_order_release);
    }
  };
  // Isolated: while it waits for the chunk, the reader's thread must not pick up a batch to
  // verify, which would hold the serial stage up far longer than the examining.
  tbb::this_task_arena::isolate([&] {
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, to_examine_.size(), 4), examine_range);
  });
}

}  // namespace dkimscan::ingest
