// File: ingest/archive_source.cpp
// libarchive in one streaming pass. Only the formats and filters dkimscan means to read are
// enabled (no external filter programs); "raw" turns a lone compressed file into one entry. Each
// entry is sniffed from its first 64 KiB: an mbox goes to the streaming splitter, a nested
// compressed file or archive to one more ArchiveSource (one level only), anything else is one
// message, buffered up to max_message_bytes.
#include "ingest/archive_source.h"

#include <cstring>

#include "ingest/byte_reader.h"
#include "ingest/libarchive_loader.h"
#include "ingest/mbox_source.h"
#include "ingest/mbox_split.h"
#include "ingest/message_check.h"

namespace dkimscan::ingest {

namespace {

constexpr int kMaxDepth = 2;                // an archive inside an archive, and no deeper
constexpr std::size_t kSniffBytes = 64u << 10;
constexpr std::size_t kBlock = 64u << 10;

// The library, once open_archive_*() has loaded it: an ArchiveSource exists only then.
const LibArchive& la() noexcept {
  std::string unused;
  return *load_libarchive(unused);
}

std::string archive_text(archive* a) {
  const char* s = la().error_string(a);
  return s ? s : "unknown libarchive error";
}

// Entries that are not mail in a packed Maildir: deliveries in progress (tmp/), hidden files,
// the quota file (maildirsize), and the index and control files of dovecot and courier.
bool skip_entry(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  const std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (base.empty() || base[0] == '.') return true;
  if (base.starts_with("dovecot") || base.starts_with("courierimap") || base == "maildirfolder" ||
      base == "maildirsize" || base == "subscriptions") {
    return true;
  }
  if (slash == std::string_view::npos) return false;
  const std::string_view dir = path.substr(0, slash);
  const std::size_t up = dir.rfind('/');
  return (up == std::string_view::npos ? dir : dir.substr(up + 1)) == "tmp";
}

// The data of the current entry, block by block as libarchive decompresses it.
//
// archive_read_data() would copy blocks into the caller's buffer, and when the stream breaks partway
// through a request it returns only the error: every block it had copied is lost, up to a whole
// request (1 MiB for the mbox reader). A truncated .gz then lost the messages before the damage
// too. archive_read_data_block() hands each block over as soon as it is whole, so all of them
// arrive; only the block the stream broke in is lost (libarchive's 64 KiB of output for gzip; a
// whole compressed block for bzip2).
// After a fatal read error (ARCHIVE_FATAL: a broken stream) libarchive cannot go on and the owner
// stops there; ARCHIVE_FAILED concerns this entry only (an encrypted zip entry, an unsupported
// compression method), and the next entry can still be read.
class EntryData {
 public:
  explicit EntryData(archive* a) noexcept : a_(a) {}

  // At each new entry: nothing of the last one is left.
  void start_entry() noexcept {
    data_ = nullptr;
    left_ = 0;
    hole_ = 0;
    position_ = 0;
    entry_only_ = false;
  }

  // Up to n bytes into buffer: the count, 0 at the end of the entry, -1 on a read error.
  long read(char* buffer, std::size_t n) {
    while (left_ == 0 && hole_ == 0) {
      const void* block = nullptr;
      std::size_t size = 0;
      la_int64_t offset = 0;
      const int status = la().read_data_block(a_, &block, &size, &offset);
      if (status == ARCHIVE_EOF) return 0;
      if (status != ARCHIVE_OK && status != ARCHIVE_WARN) {  // FATAL, FAILED, or a RETRY that may recur
        detail_ = archive_text(a_);
        entry_only_ = status == ARCHIVE_FAILED;
        return -1;
      }
      // A sparse tar entry skips its holes: they read as zeros, as archive_read_data() gives them.
      hole_ = offset > position_ ? static_cast<std::uint64_t>(offset - position_) : 0;
      data_ = static_cast<const char*>(block);
      left_ = size;
    }
    if (hole_ != 0) {
      n = static_cast<std::size_t>(std::min<std::uint64_t>(n, hole_));
      std::memset(buffer, 0, n);
      hole_ -= n;
    } else {
      n = std::min(n, left_);
      std::memcpy(buffer, data_, n);
      data_ += n;
      left_ -= n;
    }
    position_ += static_cast<la_int64_t>(n);
    return static_cast<long>(n);
  }

  const std::string& detail() const noexcept { return detail_; }
  // The last read error spoiled this entry only: the archive goes on with the next one.
  bool entry_only() const noexcept { return entry_only_; }
  // What the entry gets for the last read error: an intact archive with an entry that cannot be
  // read is not truncated.
  IngestError error() const noexcept { return entry_only_ ? IngestError::unreadable : IngestError::truncated; }

 private:
  archive* a_;
  const char* data_ = nullptr;  // LIFETIME: libarchive's, valid until the next read_data_block
  std::size_t left_ = 0;
  std::uint64_t hole_ = 0;
  la_int64_t position_ = 0;
  std::string detail_;
  bool entry_only_ = false;
};

// The rest of the current entry as a stream (the mbox splitter's, or a nested archive's input).
class EntryReader final : public ByteReader {
 public:
  EntryReader(EntryData* data, bool* failed) noexcept : data_(data), failed_(failed) {}
  long read(char* buffer, std::size_t n) override {
    const long got = data_->read(buffer, n);
    if (got < 0 && !data_->entry_only()) *failed_ = true;
    return got;
  }
  IngestError error() const override { return data_->error(); }
  std::string error_detail() const override { return data_->detail(); }

 private:
  EntryData* data_;
  bool* failed_;
};

// First the bytes already read for sniffing, then the rest of the stream.
class PrefixedReader final : public ByteReader {
 public:
  PrefixedReader(std::string prefix, std::unique_ptr<ByteReader> rest)
      : prefix_(std::move(prefix)), rest_(std::move(rest)) {}
  long read(char* buffer, std::size_t n) override {
    if (pos_ < prefix_.size()) {
      n = std::min(n, prefix_.size() - pos_);
      std::memcpy(buffer, prefix_.data() + pos_, n);
      pos_ += n;
      return static_cast<long>(n);
    }
    return rest_->read(buffer, n);
  }
  IngestError error() const override { return rest_->error(); }
  std::string error_detail() const override { return rest_->error_detail(); }

 private:
  std::string prefix_;
  std::size_t pos_ = 0;
  std::unique_ptr<ByteReader> rest_;
};

// Reads up to limit bytes of the current entry into out; false (with detail) on a read error, with
// out holding what came before it.
bool read_entry(EntryData& data, std::size_t limit, std::string& out, std::string& detail) {
  while (out.size() < limit) {
    const std::size_t old = out.size();
    out.resize(old + std::min(kBlock, limit - old));
    const long got = data.read(out.data() + old, out.size() - old);
    out.resize(old + (got > 0 ? static_cast<std::size_t>(got) : 0));
    if (got < 0) {
      detail = data.detail();
      return false;
    }
    if (got == 0) break;
  }
  return true;
}

void set_error(InputMessage& out, std::string source, IngestError error, std::string detail) {
  out = InputMessage{};
  out.source = std::move(source);
  out.error = error;
  out.error_detail = std::move(detail);
}

// What an ArchiveSource opens: archives (tar, zip) and compressed files, or compressed data only.
enum class Formats : std::uint8_t { archives, compressed_only };

class ArchiveSource final : public MessageSource {
 public:
  ArchiveSource(std::string name, const IngestOptions& options, StdinFormat entries, int depth,
                Formats formats = Formats::archives)
      : name_(std::move(name)), options_(options), entries_format_(entries), depth_(depth),
        a_(la().read_new()) {
    // RFC-free zone: these are the containers mail archives come in (README.md, "Input formats").
    la().read_support_filter_gzip(a_);
    la().read_support_filter_bzip2(a_);
    la().read_support_filter_xz(a_);
    la().read_support_filter_lzma(a_);
    la().read_support_filter_zstd(a_);
    if (formats == Formats::archives) {
      la().read_support_format_tar(a_);
      la().read_support_format_zip(a_);
    }
    la().read_support_format_empty(a_);
    la().read_support_format_raw(a_);
  }
  ~ArchiveSource() override {
    current_.reset();  // its EntryReader points into a_ and entry_data_
    la().read_free(a_);
  }

  void open_memory(FileBytes bytes) {
    memory_ = std::move(bytes);
    check_open(la().read_open_memory(a_, memory_.bytes.data(), memory_.bytes.size()));
  }
  void open_path(const std::string& path) { check_open(la().read_open_filename(a_, path.c_str(), kBlock)); }
  void open_fd(int fd) { check_open(la().read_open_fd(a_, fd, kBlock)); }
  void open_reader(std::unique_ptr<ByteReader> reader) {
    upstream_ = std::move(reader);
    check_open(la().read_open(a_, this, nullptr, &ArchiveSource::upstream_read, nullptr));
  }

  bool next(InputMessage& out) override {
    for (;;) {
      if (current_) {
        if (current_->next(out)) return true;
        current_.reset();
      }
      if (done_) return false;
      if (!open_error_.empty()) {
        done_ = true;
        set_error(out, name_, IngestError::unreadable, std::move(open_error_));
        return true;
      }
      archive_entry* entry = nullptr;
      const int status = la().read_next_header(a_, &entry);
      if (status == ARCHIVE_EOF) {
        done_ = true;
        if (entries_ > 0) return false;
        // libarchive's "empty" format is a stream that unpacked to nothing (a gzip of no bytes);
        // otherwise a tar or zip held no message entries.
        set_error(out, name_, IngestError::empty,
                  la().format(a_) == ARCHIVE_FORMAT_EMPTY ? "zero bytes once unpacked" : "no messages in the archive");
        return true;
      }
      if (status < ARCHIVE_WARN) {  // a damaged or truncated archive: report it and stop here
        done_ = true;
        set_error(out, name_, opened_ ? IngestError::truncated : IngestError::unreadable, archive_text(a_));
        return true;
      }
      opened_ = true;
      entry_data_.start_entry();
      if (la().entry_filetype(entry) != AE_IFREG) continue;
      const bool raw = la().format(a_) == ARCHIVE_FORMAT_RAW;
      const char* path = la().entry_pathname(entry);
      if (!raw && skip_entry(path ? path : "")) continue;
      ++entries_;
      if (start_entry(raw ? name_ : name_ + "!" + (path ? path : ""), out)) return true;
    }
  }

 private:
  static la_ssize_t upstream_read(archive*, void* client, const void** buffer) {
    auto* self = static_cast<ArchiveSource*>(client);
    self->upstream_buffer_.resize(kBlock);
    const long n = self->upstream_->read(self->upstream_buffer_.data(), kBlock);
    *buffer = self->upstream_buffer_.data();
    if (n < 0) {
      la().set_error(self->a_, EIO, "%s", self->upstream_->error_detail().c_str());
      return ARCHIVE_FATAL;
    }
    return n;
  }

  void check_open(int status) {
    if (status != ARCHIVE_OK && status != ARCHIVE_WARN) open_error_ = archive_text(a_);
  }

  // One entry: fills out (true) or sets current_ to a reader of its messages (false).
  bool start_entry(std::string source, InputMessage& out) {
    std::string head;
    std::string detail;
    if (!read_entry(entry_data_, kSniffBytes, head, detail)) {
      done_ = !entry_data_.entry_only();
      set_error(out, std::move(source), entry_data_.error(), std::move(detail));
      return true;
    }
    if (head.empty()) {
      set_error(out, std::move(source), IngestError::empty, "zero bytes");
      return true;
    }
    const bool one_message = entries_format_ == StdinFormat::message;
    if (!one_message && looks_packed(head) && depth_ + 1 < kMaxDepth) {
      auto nested = std::make_unique<ArchiveSource>(source, options_, entries_format_, depth_ + 1);
      nested->open_reader(std::make_unique<PrefixedReader>(std::move(head), std::make_unique<EntryReader>(&entry_data_, &done_)));
      current_ = std::move(nested);
      return false;
    }
    if (looks_compressed(head) || (!one_message && looks_packed(head))) {
      // Still compressed at the deepest level: libarchive hands a stream it cannot decompress
      // (one cut or damaged within its first bytes) over as raw data, once per level. Read as
      // a message it would be "not_a_message", which hides what the file is.
      set_error(out, std::move(source), IngestError::unreadable,
                "compressed data that cannot be unpacked: damaged or cut at its start, or an archive nested"
                " inside more than one other");
      return true;
    }
    if (!one_message) {
      if (looks_like_mbox(head)) {
        current_ = open_mbox_stream(std::move(source), std::move(head), std::make_unique<EntryReader>(&entry_data_, &done_), options_);
        return false;
      }
      if (entries_format_ == StdinFormat::mbox) {
        set_error(out, std::move(source), IngestError::not_a_message, "not an mbox: no From_ line at the start");
        return true;
      }
    }
    return whole_message(std::move(source), std::move(head), out);
  }

  bool whole_message(std::string source, std::string head, InputMessage& out) {
    auto owned = std::make_shared<std::string>(std::move(head));
    std::string detail;
    if (!read_entry(entry_data_, options_.max_message_bytes + 1, *owned, detail)) {
      done_ = !entry_data_.entry_only();
      set_error(out, std::move(source), entry_data_.error(), std::move(detail));
      return true;
    }
    if (owned->size() > options_.max_message_bytes) {
      set_error(out, std::move(source), IngestError::too_large,
                "entry larger than " + std::to_string(options_.max_message_bytes) + " bytes");
      return true;
    }
    out = InputMessage{};
    out.source = std::move(source);
    out.bytes = *owned;
    out.storage = std::move(owned);
    out.error = check_message(out.bytes, options_.max_header_line, out.error_detail);
    return true;
  }

  std::string name_;
  IngestOptions options_;
  StdinFormat entries_format_;
  int depth_;
  archive* a_;
  EntryData entry_data_{a_};               // the current entry's data; after a_ (initialized from it)
  FileBytes memory_;                        // LIFETIME: a_ reads from it when opened on memory
  std::unique_ptr<ByteReader> upstream_;    // a_ reads from it when nested
  std::string upstream_buffer_;
  std::unique_ptr<MessageSource> current_;  // an mbox entry or a nested archive
  std::uint64_t entries_ = 0;
  bool opened_ = false;
  std::string open_error_;  // why archive_read_open failed (reported once, first)
  bool done_ = false;  // the end, or an error after which libarchive cannot go on
};

// Stands in for an archive when libarchive cannot be loaded: the input is one error item.
class UnreadableSource final : public MessageSource {
 public:
  UnreadableSource(std::string name, std::string why) : name_(std::move(name)), why_(std::move(why)) {}
  bool next(InputMessage& out) override {
    if (done_) return false;
    done_ = true;
    set_error(out, std::move(name_), IngestError::unreadable, std::move(why_));
    return true;
  }

 private:
  std::string name_;
  std::string why_;
  bool done_ = false;
};

// An ArchiveSource, or an UnreadableSource saying why libarchive is missing.
template <class Open>
std::unique_ptr<MessageSource> open_archive(std::string name, const IngestOptions& options, StdinFormat entries,
                                            Open&& open, Formats formats = Formats::archives) {
  std::string why;
  if (load_libarchive(why) == nullptr) return std::make_unique<UnreadableSource>(std::move(name), std::move(why));
  auto source = std::make_unique<ArchiveSource>(std::move(name), options, entries, 0, formats);
  open(*source);
  return source;
}

// bzip2: "BZh", the block size '1'-'9', then the magic of the first block (pi) or, for an empty
// stream, of the end (sqrt(pi)). The whole of it, because "BZh" alone can start a header field.
bool looks_bzip2(std::string_view b) noexcept {
  if (b.size() < 10 || !b.starts_with("BZh") || b[3] < '1' || b[3] > '9') return false;
  const std::string_view magic = b.substr(4, 6);
  return magic == "\x31\x41\x59\x26\x53\x59" || magic == "\x17\x72\x45\x38\x50\x90";
}

}  // namespace

bool looks_compressed(std::string_view b) noexcept {
  return b.starts_with("\x1f\x8b") || looks_bzip2(b) || b.starts_with(std::string_view("\xfd" "7zXZ\0", 6)) ||
         b.starts_with("\x28\xb5\x2f\xfd");
}

bool looks_packed(std::string_view b) noexcept {
  return looks_compressed(b) || b.starts_with("PK\x03\x04") || b.starts_with("PK\x05\x06") ||
         (b.size() >= 262 && b.substr(257, 5) == "ustar");
}

void unpack_message(std::string name, FileBytes bytes, const IngestOptions& options, InputMessage& out) {
  const auto source = open_archive(
      name, options, StdinFormat::message, [&bytes](ArchiveSource& s) { s.open_memory(std::move(bytes)); },
      Formats::compressed_only);
  if (!source->next(out)) set_error(out, std::move(name), IngestError::empty, "zero bytes once unpacked");
}

std::unique_ptr<MessageSource> open_archive_memory(std::string name, FileBytes bytes, const IngestOptions& options) {
  return open_archive(std::move(name), options, StdinFormat::auto_detect,
                      [&bytes](ArchiveSource& source) { source.open_memory(std::move(bytes)); });
}

std::unique_ptr<MessageSource> open_archive_path(std::string path, const IngestOptions& options) {
  return open_archive(path, options, StdinFormat::auto_detect, [&path](ArchiveSource& source) { source.open_path(path); });
}

std::unique_ptr<MessageSource> open_archive_fd(std::string name, int fd, const IngestOptions& options,
                                               StdinFormat entries) {
  return open_archive(std::move(name), options, entries, [fd](ArchiveSource& source) { source.open_fd(fd); });
}

}  // namespace dkimscan::ingest
