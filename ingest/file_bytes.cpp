// File: ingest/file_bytes.cpp
// How a file is brought into memory, decided in one place. Files are read, never mapped, unless a
// caller asks for ReadMode::mmap: a mapped file that another process truncates while it is read
// raises SIGBUS on the next touch of a page past the new end, which would end the run and lose
// every result not yet written. A large mbox is read in blocks (read_file_bytes' mbox_stream): its
// messages are views into the blocks, and read() measured 3-4x cheaper than first touches of
// mapped pages anyway. A large archive is streamed through libarchive; a large message is read
// whole, up to max_message_bytes.
#include "ingest/file_bytes.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <limits>

#include "ingest/archive_source.h"
#include "ingest/mbox_split.h"
#include "ingest/prefault.h"

namespace dkimscan::ingest {

namespace {

constexpr std::size_t kPageSize = 4096;

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

FileBytes error_bytes(IngestError error, std::string detail) {
  FileBytes out;
  out.kind = FileBytes::Kind::error;
  out.error = error;
  out.error_detail = std::move(detail);
  return out;
}

FileBytes errno_bytes(int err) { return error_bytes(error_from_errno(err), std::strerror(err)); }

// A file the caller reads itself, as a stream (kind stream) or in blocks (mbox_stream).
FileBytes stream_bytes(FileBytes::Kind kind) {
  FileBytes out;
  out.kind = kind;
  return out;
}

// Maps fd read-only; an empty result when mmap refuses (the caller then reads).
FileBytes try_map(int fd, std::size_t size) {
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) return {};
  ::madvise(p, size, MADV_SEQUENTIAL);
  auto mapping = std::make_shared<const Mapping>(p, size);
  FileBytes out;
  out.kind = FileBytes::Kind::bytes;
  out.bytes = mapping->bytes();
  out.mapping = mapping;
  out.storage = mapping;
  return out;
}

// Reads from fd until size bytes or the end of the file: the count read, or -1 with errno set.
// With expected (the size stat() gave), a read that comes back short with exactly that many bytes
// in is taken as the end: the file is as large as stat() said, and did not grow into the byte
// beyond, which the caller asked for to tell. That saves the read() that would only return 0:
// one system call per message file. Any other short read reads on to the end, as before.
ssize_t read_until_full(int fd, char* data, std::size_t size,
                        std::size_t expected = std::numeric_limits<std::size_t>::max()) noexcept {
  std::size_t got = 0;
  while (got < size) {
    const ssize_t n = ::read(fd, data + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
    if (got == expected && got < size) break;
  }
  return static_cast<ssize_t>(got);
}

// Reads exactly what fd holds, up to size bytes (a file that shrank gives fewer).
FileBytes read_exact(int fd, std::size_t size) {
  // One allocation for the bytes and the reference count, and no zeroing of bytes read over anyway.
  std::shared_ptr<char[]> buffer = std::make_shared_for_overwrite<char[]>(size == 0 ? 1 : size);
  prefault_for_write(buffer.get(), size);
  const ssize_t got = read_until_full(fd, buffer.get(), size);
  if (got < 0) return errno_bytes(errno);
  FileBytes out;
  out.kind = FileBytes::Kind::bytes;
  out.bytes = std::string_view(buffer.get(), static_cast<std::size_t>(got));
  out.storage = std::move(buffer);
  return out;
}

// What a large file holds, by its first bytes, read at offset 0 without moving the file position.
// 512 bytes: enough for looks_like_mbox() to see past "From " to a colon (a message whose first
// field is "From : joe@..." is one message, at any size), and for a tar header's magic.
enum class LargeFile : std::uint8_t { mbox, packed, other };
LargeFile sniff_large_file(int fd) noexcept {
  std::array<char, 512> head{};
  const ssize_t got = ::pread(fd, head.data(), head.size(), 0);
  const std::string_view bytes(head.data(), got > 0 ? static_cast<std::size_t>(got) : 0);
  if (looks_like_mbox(bytes)) return LargeFile::mbox;
  return looks_packed(bytes) ? LargeFile::packed : LargeFile::other;
}

}  // namespace

Mapping::~Mapping() {
  if (size_ != 0) ::munmap(const_cast<void*>(data_), size_);
}

void Mapping::release(std::size_t begin, std::size_t end) const noexcept {
  if (end > size_) end = size_;
  begin = (begin + kPageSize - 1) / kPageSize * kPageSize;  // whole pages inside the range only
  end = end / kPageSize * kPageSize;
  if (begin >= end) return;
  ::madvise(const_cast<char*>(static_cast<const char*>(data_)) + begin, end - begin, MADV_DONTNEED);
}

std::string_view read_file_head(const std::string& path, std::span<char> buffer) noexcept {
  Fd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (fd.fd < 0) return {};
  const ssize_t got = read_until_full(fd.fd, buffer.data(), buffer.size());
  return got <= 0 ? std::string_view{} : std::string_view(buffer.data(), static_cast<std::size_t>(got));
}

FileBytes read_file_into(const std::string& path, std::uint64_t expected_size, const IngestOptions& options,
                         ByteArena& arena) {
  // The arena holds small files only: a larger one gets its own buffer or mapping.
  const std::uint64_t arena_limit = std::min<std::uint64_t>(ByteArena::kLargestTake, options.large_file_bytes);
  if (options.read_mode == ReadMode::mmap || expected_size >= arena_limit) return read_file_bytes(path, options, true);
  // One byte more than expected tells a file that grew since the walk from one that did not.
  Fd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (fd.fd < 0) return errno_bytes(errno);
  const std::span<char> room = arena.take(static_cast<std::size_t>(expected_size) + 1);
  const ssize_t got = read_until_full(fd.fd, room.data(), room.size(), static_cast<std::size_t>(expected_size));
  if (got < 0) {
    const int err = errno;
    return err == EISDIR ? error_bytes(IngestError::unreadable, "is a directory") : errno_bytes(err);
  }
  if (static_cast<std::size_t>(got) == room.size()) return read_file_bytes(path, options, true);  // it grew
  FileBytes out;
  out.kind = FileBytes::Kind::bytes;
  out.bytes = std::string_view(room.data(), static_cast<std::size_t>(got));
  return out;
}

IngestError error_from_errno(int err) noexcept {
  return err == ELOOP ? IngestError::symlink_loop : IngestError::unreadable;
}

FileBytes read_file_bytes(const std::string& path, const IngestOptions& options, bool one_message) {
  Fd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (fd.fd < 0) return errno_bytes(errno);
  struct stat st {};
  if (::fstat(fd.fd, &st) != 0) return errno_bytes(errno);
  if (S_ISDIR(st.st_mode)) return error_bytes(IngestError::unreadable, "is a directory");
  if (!S_ISREG(st.st_mode)) {
    if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) return stream_bytes(FileBytes::Kind::stream);
    return error_bytes(IngestError::not_regular, "not a regular file");
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size == 0) return read_exact(fd.fd, 0);
  const bool large = size >= options.large_file_bytes;
  const bool too_large = size > options.max_message_bytes;  // to hold as one message
  if (options.read_mode == ReadMode::mmap) {
    FileBytes mapped = try_map(fd.fd, size);
    if (mapped.kind == FileBytes::Kind::bytes) return mapped;
    if (too_large) return stream_bytes(FileBytes::Kind::stream);
  } else if (!one_message && (large || too_large)) {
    switch (sniff_large_file(fd.fd)) {
      case LargeFile::mbox:  // read in blocks (or, in a test's tiny limits, streamed)
        return stream_bytes(large ? FileBytes::Kind::mbox_stream : FileBytes::Kind::stream);
      case LargeFile::packed:  // streamed: a 20 GB .tar.gz needs no 20 GB of memory
        return stream_bytes(FileBytes::Kind::stream);
      case LargeFile::other:  // a large message, or junk: read whole, if it can be one message
        break;
    }
  }
  if (too_large) {  // refused unread: buffering 256 MiB only to say so cost 560 MB of memory
    const std::string limit = std::to_string(options.max_message_bytes);
    return error_bytes(IngestError::too_large, one_message ? "message larger than " + limit + " bytes"
                                                           : "file larger than " + limit +
                                                                 " bytes, and not an mbox or an archive");
  }
  return read_exact(fd.fd, size);
}

}  // namespace dkimscan::ingest
