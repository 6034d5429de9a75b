// File: ingest/mbox_chunks.h
// A large mbox file cut on many threads. The serial reader reads nothing: it hands the file out
// as chunks, the byte ranges [k·C, (k+1)·C) (C: IngestOptions::stream_block_bytes), each an
// InputMessage marked mbox_chunk. A worker reads a chunk and cuts the messages whose From_ line
// starts in it, reading on past the chunk's end for the last of them (cut_mbox_chunk()).
//
// This works because whether a From_ line starts a message shows in the three bytes before it
// (an empty line, RFC 4155 §2), whatever came earlier in the file: every message belongs to
// exactly one chunk, and the workers need not agree on anything. The Content-Length variants
// (mboxcl, mboxcl2) need the message before to find the next: they stay with the stream reader
// (mbox_source.h), as do compressed files and pipes.
//
// The serial reader's read() copy and From_ search bounded a run on many cores at about 150,000
// messages/s (bench/HISTORY.md, tenth round); now both run on the workers. What remains serial is
// counting: MboxNamer gives the cut messages their "path#N" names in input order.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ingest/byte_arena.h"
#include "ingest/ingest_options.h"
#include "ingest/input_message.h"

namespace dkimscan::ingest {

// Reads up to n bytes at offset of fd: the count (short only at the file's end), or -1 with errno
// set. Short counts before an error are allowed, as pread() gives them before a bad sector.
using ReadAtFn = std::function<long(int fd, char* out, std::size_t n, std::uint64_t offset)>;

// The chunks of the mbox file at path (it starts with a From_ line), or nullptr when the stream
// reader should read it instead: a Content-Length variant, or a file that cannot be opened or
// read (the stream reader then reports the failure as an item). The file is read up to the size
// it had here; a file that shrinks meanwhile marks the message it ends in as truncated.
// read_at replaces pread() (empty: pread()); tests make it fail to see what an I/O error does.
std::unique_ptr<MessageSource> open_mbox_chunks(const std::string& path, const IngestOptions& options,
                                                ReadAtFn read_at = {});

// On a worker: appends the items of chunk (an InputMessage with mbox_chunk) to out, in input
// order: its messages, their bytes in arena (LIFETIME: until arena.reset()), un-quoted and checked
// as the other mbox readers do it (mbox_item.h), and any read error as an item. Every item is
// final but for its name (name_pending). Thread-safe for distinct arenas.
//
// A read error loses only what it must: the messages before it are cut, the message it breaks in
// and the rest of the chunk become one `unreadable` item (count_lost), and the next chunks are
// read as usual, so one bad sector does not end the archive.
void cut_mbox_chunk(const InputMessage& chunk, std::vector<InputMessage>& out, ByteArena& arena);

// Gives the items cut from chunks their names, "path#N". Call it for every item, in input order.
// After an item with count_lost, how many messages the unreadable bytes held is unknown, so the
// archive's later messages are named by their byte offset, "path@OFFSET", not by a guessed number.
class MboxNamer {
 public:
  explicit MboxNamer(unsigned index_base) noexcept : base_(index_base) {}
  void name(InputMessage& item);

 private:
  unsigned base_;
  std::uint64_t next_ = 0;
  bool count_lost_ = false;
};

}  // namespace dkimscan::ingest
