// File: ingest/sniff_ahead.h
// The walk, read a little ahead so that deferred reads need no serial system call per file. A
// file outside a Maildir may be one message, an mbox or an archive, and only its first bytes tell
// (open_inputs.cpp); a deferred read also needs the file's size, which the walk does not stat()
// when the folder listing already says the entry is a regular file. The stat() and the sniff (an
// open, a read and a close) cost about 8 µs per file here, which on the one reader thread would
// cap a many-core run over a folder of files. SniffAhead pulls the next chunk of walk items and
// examines them on several threads at once; the items still come out one by one, in walk order.
// A small file is read whole while it is open for the sniff, so that no worker opens it again.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ingest/file_bytes.h"
#include "ingest/ingest_options.h"
#include "ingest/path_walker.h"

namespace dkimscan::ingest {

// What a walk item's first bytes say, for the choice between a deferred and a serial read.
enum class FileGuess : std::uint8_t {
  one_message,  // a Maildir file, or a file larger than kReadWholeBytes (and at most
                // max_message_bytes) that starts like a message: a worker reads it
  read_whole,   // a file of at most kReadWholeBytes, read whole by the sniff: its bytes come along
  read_here,    // anything else (mbox, archive, large, empty, gone, stdin, error): the serial reader
                // reads it and decides
};

class SniffAhead {
 public:
  // With options.defer_reads off nothing is sniffed: every item is read_here.
  SniffAhead(std::vector<std::string> roots, const IngestOptions& options);
  // A file up to this size is read whole when it is sniffed: the one open() serves both, where a
  // sniff and then a worker's read cost two (about 4 µs each on the 2-core VM). Larger files are
  // sniffed by their first bytes only, so that the sniff, which the serial reader waits for,
  // copies little.
  static constexpr std::uint64_t kReadWholeBytes = 16 * 1024;

  // The next walk item and its guess; false at the end of the walk. With read_whole, bytes holds
  // the file (FileBytes::Kind::bytes); otherwise it is left as it was.
  bool next(WalkItem& out, FileGuess& guess, FileBytes& bytes);

 private:
  static constexpr std::size_t kChunk = 64;

  void refill();
  bool small_enough(const WalkItem& item) const noexcept;
  FileGuess examine(WalkItem& item, FileBytes& bytes) const noexcept;

  PathWalker walker_;
  IngestOptions options_;
  std::vector<WalkItem> items_;  // the chunk; items_[pos_] is next
  std::size_t pos_ = 0;
  std::vector<std::size_t> to_examine_;  // indexes into items_ (kept: its capacity is reused)
  // Written by the sniffing threads, read by the reader: atomics make that hand-over visible to
  // ThreadSanitizer, which cannot see the synchronization inside Debian's uninstrumented libtbb.
  std::array<std::atomic<FileGuess>, kChunk> guesses_;
  std::array<FileBytes, kChunk> read_;  // a read_whole item's bytes, published by its guess
};

}  // namespace dkimscan::ingest
