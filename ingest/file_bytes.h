// File: ingest/file_bytes.h
// Brings one file into memory, deciding in this one place how: a file is read into one exact-size
// buffer, and what should not be held whole (a pipe, a large mbox or archive, a file too large to
// buffer) is left for the caller to stream. Files are mapped only when a caller asks for it
// (ReadMode::mmap): see Mapping.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "ingest/byte_arena.h"
#include "ingest/ingest_options.h"
#include "ingest/input_message.h"

namespace dkimscan::ingest {

// A read-only private file mapping, unmapped when the last owner goes.
// SAFETY: if another process truncates the file while it is mapped, touching the lost pages
// raises SIGBUS and ends the process. That is why the verifier never maps (ReadMode::auto_select
// reads): a mailbox being rewritten by a mail server while it is audited must cost at most that
// message, not the run.
class Mapping {
 public:
  Mapping(const void* data, std::size_t size) noexcept : data_(data), size_(size) {}
  ~Mapping();
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;

  std::string_view bytes() const noexcept { return {static_cast<const char*>(data_), size_}; }
  // Drops the resident pages fully inside [begin, end) (MADV_DONTNEED). Views into them stay
  // valid: a later read faults the page back in from the file, so this only bounds RSS.
  void release(std::size_t begin, std::size_t end) const noexcept;

 private:
  const void* data_;
  std::size_t size_;
};

struct FileBytes {
  enum class Kind : std::uint8_t { bytes, stream, mbox_stream, error };
  Kind kind = Kind::error;
  // LIFETIME: bytes points into storage (the Mapping or a heap buffer), or into the caller's
  // ByteArena when storage is empty (read_file_into()).
  std::string_view bytes;
  std::shared_ptr<const void> storage;
  std::shared_ptr<const Mapping> mapping;  // set when bytes are mapped (for release())
  IngestError error = IngestError::none;
  std::string error_detail;
};

// Opens path (following symlinks) and decides how to hold it per options.read_mode:
//   bytes:  the whole file (read, or mapped with ReadMode::mmap); an empty file gives empty bytes.
//   stream: a pipe or character device, a compressed file or packed archive of at least
//           large_file_bytes bytes (unless one_message), or a regular file larger than
//           max_message_bytes that was not mapped: read it as a stream instead
//           (open_archive_path(), archive_source.h).
//   mbox_stream: an mbox archive of at least large_file_bytes bytes, unless read_mode is mmap:
//           read it in blocks (cut in chunks by the workers, mbox_chunks.h, or with the mbox
//           stream reader, mbox_source.h and file_reader.h). Its messages are views into what
//           was read, as they would be into a mapping, but a first
//           touch of a mapped page costs a page fault where read() only copies: on the 2-core
//           VM, splitting a 137 MB mbox took 75-135 ms mapped and 20-43 ms read (bench/HISTORY.md).
//   error:  unreadable (errno text in error_detail) or symlink_loop (ELOOP).
// one_message: the caller already knows the file holds one message (read_file_into()), so it
// never gets mbox_stream.
FileBytes read_file_bytes(const std::string& path, const IngestOptions& options, bool one_message = false);

// The regular file at path, which held expected_size bytes when it was found, read into arena
// memory (storage stays empty: LIFETIME, the bytes live until the arena's reset()). It costs one
// open and one read, where read_file_bytes() also needs fstat and an allocation. A file too large
// for the arena (ByteArena::kLargestTake, or large_file_bytes if lower), or one that has grown
// since, goes through read_file_bytes() instead.
FileBytes read_file_into(const std::string& path, std::uint64_t expected_size, const IngestOptions& options,
                         ByteArena& arena);

// Up to buffer.size() bytes from the start of the file at path, in buffer: enough to sniff what it
// holds without reading it whole. Empty when it cannot be read (the full read reports why).
std::string_view read_file_head(const std::string& path, std::span<char> buffer) noexcept;

// The IngestError for an errno from open()/stat(): ELOOP → symlink_loop, others → unreadable.
IngestError error_from_errno(int err) noexcept;

}  // namespace dkimscan::ingest
