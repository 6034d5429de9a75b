// File: ingest/sniff_ahead.cpp
#include "ingest/sniff_ahead.h"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>
#include <sys/stat.h>

#include <new>

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
    : walker_(std::move(roots)), options_(options) {
  items_.reserve(kChunk);
  to_examine_.reserve(kChunk);
}

bool SniffAhead::next(WalkItem& out, FileGuess& guess, FileBytes& bytes) {
  if (pos_ == items_.size()) refill();
  if (pos_ == items_.size()) return false;
  guess = guesses_[pos_].load(std::memory_order_acquire);
  if (guess == FileGuess::read_whole) bytes = std::move(read_[pos_]);
  out = std::move(items_[pos_++]);
  return true;
}

// A file outside a Maildir that a worker could read whole, if its first bytes show a message:
// anything up to the message size limit, since nothing is mapped (file_bytes.h), so that large
// messages are read in parallel too. Empty files and larger ones stay with the serial reader.
bool SniffAhead::small_enough(const WalkItem& item) const noexcept {
  return item.size != 0 && item.size <= options_.max_message_bytes;
}

// On a sniffing thread: the item's size if the walk left it unknown, then its guess, and for a
// small file its bytes.
FileGuess SniffAhead::examine(WalkItem& item, FileBytes& bytes) const noexcept {
  if (!find_size(item)) return FileGuess::read_here;
  if (item.maildir_message) return FileGuess::one_message;
  if (!small_enough(item)) return FileGuess::read_here;
  if (item.size > kReadWholeBytes) return sniff(item.path);
  // As the serial reader would read it (one open, fstat, read, close), with the same checks; what
  // the bytes hold (a message, an mbox, an archive) the serial reader decides.
  try {
    bytes = read_file_bytes(item.path, options_);
  } catch (const std::bad_alloc&) {
    return FileGuess::read_here;  // the serial reader tries again, and reports
  }
  // An error, or a file that became large or empty since: the serial reader reads it and reports.
  const bool usable = bytes.kind == FileBytes::Kind::bytes && !bytes.bytes.empty();
  if (!usable) bytes = FileBytes{};
  return usable ? FileGuess::read_whole : FileGuess::read_here;
}

void SniffAhead::refill() {
  items_.clear();
  pos_ = 0;
  // Without deferred reads nothing is examined, so there is nothing to gain by reading ahead.
  const std::size_t chunk = options_.defer_reads ? kChunk : 1;
  to_examine_.clear();
  WalkItem item;
  while (items_.size() < chunk && walker_.next(item)) {
    const std::size_t i = items_.size();
    const bool file = item.kind == WalkItem::Kind::file;
    FileGuess guess = FileGuess::read_here;
    if (options_.defer_reads && file && item.size_known && item.maildir_message) {
      guess = FileGuess::one_message;
    } else if (options_.defer_reads && file && (!item.size_known || small_enough(item))) {
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
      guesses_[i].store(examine(items_[i], read_[i]), std::memory_order_release);
    }
  };
  // Isolated: while it waits for the chunk, the reader's thread must not pick up a batch to
  // verify, which would hold the serial stage up far longer than the examining.
  tbb::this_task_arena::isolate([&] {
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, to_examine_.size(), 4), examine_range);
  });
}

}  // namespace dkimscan::ingest
