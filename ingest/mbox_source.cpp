// File: ingest/mbox_source.cpp
// mbox readers. Both hand on views (zero copy): the mapped reader into the mapping, dropping the
// pages far behind its cursor so a multi-GB archive keeps a bounded resident set; the stream
// reader into the blocks it reads, each freed when its last message is done. Copies are few:
// mboxrd un-quoting of a mapped archive (a block is rewritten in place), and the message in
// progress when a block fills, which moves to the next block.
#include "ingest/mbox_source.h"

#include <algorithm>
#include <cstring>

#include "ingest/mbox_item.h"
#include "ingest/mbox_split.h"
#include "ingest/prefault.h"

namespace dkimscan::ingest {

namespace {

constexpr std::size_t kDetectBytes = 1u << 20;      // the prefix detect_mbox_format looks at
constexpr std::size_t kReleaseStep = 64u << 20;     // drop mapped pages in steps of this size,
constexpr std::size_t kReleaseLag = 64u << 20;      // this far behind the cursor

class MboxViewSource final : public MessageSource {
 public:
  MboxViewSource(std::string name, FileBytes file, const IngestOptions& options)
      : name_(std::move(name)),
        file_(std::move(file)),
        options_(options),
        splitter_(mbox_format_for(options, file_.bytes, true)) {}

  bool next(InputMessage& out) override {
    MboxCut cut;
    if (splitter_.cut(file_.bytes, at_, true, cut) != CutStatus::message) return false;
    fill_mbox_item(out, mbox_item_name(name_, options_.mbox_index_base + count_++), cut.begin, file_.bytes, at_,
                   cut, file_.storage, nullptr, options_, splitter_.format());
    at_ = cut.next;
    release_behind(cut.begin);
    return true;
  }

 private:
  // RSS bound: pages far behind the cursor are dropped; a view that still points there (a message
  // not yet verified) faults them back from the file, so this never invalidates anything.
  void release_behind(std::size_t cursor) {
    if (!file_.mapping || cursor < released_ + kReleaseStep + kReleaseLag) return;
    file_.mapping->release(released_, cursor - kReleaseLag);
    released_ = cursor - kReleaseLag;
  }

  std::string name_;
  FileBytes file_;
  IngestOptions options_;
  MboxSplitter splitter_;
  std::size_t at_ = 0;
  std::uint64_t count_ = 0;
  std::size_t released_ = 0;
};

class MboxStreamSource final : public MessageSource {
 public:
  MboxStreamSource(std::string name, std::string initial, std::unique_ptr<ByteReader> reader,
                   const IngestOptions& options)
      : name_(std::move(name)), reader_(std::move(reader)), options_(options), splitter_(MboxFormat::mboxo) {
    start_block(std::max(options.stream_block_bytes, initial.size()), initial);
    if (options.mbox_format == MboxFormat::auto_detect) {
      while (size_ < kDetectBytes && !eof_) fill();
    }
    splitter_ = MboxSplitter(mbox_format_for(options, window(), eof_));
  }

  bool next(InputMessage& out) override {
    for (;;) {
      if (discarding_) {
        skip_to_boundary();
        continue;
      }
      MboxCut cut;
      const CutStatus status = splitter_.cut(window(), at_, eof_, cut);
      if (status == CutStatus::end) return report_failure(out);
      if (status == CutStatus::message) {
        fill_mbox_item(out, mbox_item_name(name_, options_.mbox_index_base + count_++), base_ + cut.begin,
                       window(), at_, cut, block_owner_, block_, options_, splitter_.format());
        if (failed_ != IngestError::none && cut.next == size_) mark_failure(out);
        at_ = cut.next;
        return true;
      }
      if (certainly_too_large(window(), at_, options_)) return start_discarding(out);
      fill_for_message();
    }
  }

 private:
  std::string_view window() const noexcept { return {block_, size_}; }

  // A fresh block that starts with carried (the message in progress), with room for capacity bytes.
  void start_block(std::size_t capacity, std::string_view carried) {
    capacity = std::max<std::size_t>(capacity, 1);
    auto fresh = std::make_shared_for_overwrite<char[]>(capacity);
    // What the copy and the next read will write; not the rest of a block grown for one large
    // message, which may end well before the block does and should not count in RSS.
    prefault_for_write(fresh.get(), std::min(capacity, carried.size() + options_.stream_block_bytes));
    if (!carried.empty()) std::memcpy(fresh.get(), carried.data(), carried.size());
    block_ = fresh.get();
    block_owner_ = std::move(fresh);
    capacity_ = capacity;
    size_ = carried.size();
  }

  // Reads on into the block. A full block is left to the messages that point into it: the
  // message in progress moves to a new one, twice its size if it fills a whole block. Past
  // max_message_bytes it grows by one block at a time: enough to see that it is too large.
  void fill() {
    if (size_ == capacity_) {
      const std::string_view carried = window().substr(at_);
      if (discarding_) discard_from_ -= at_;
      base_ += at_;
      at_ = 0;
      const std::size_t block = std::max<std::size_t>(options_.stream_block_bytes, 1);
      std::size_t capacity = std::max(block, std::min(2 * carried.size(), options_.max_message_bytes + block));
      if (capacity <= carried.size()) capacity = carried.size() + block;  // always room to read into
      start_block(capacity, carried);
    }
    const long n = reader_->read(block_ + size_, capacity_ - size_);
    if (n > 0) size_ += static_cast<std::size_t>(n);
    if (n <= 0) eof_ = true;
    if (n < 0) {
      failed_ = reader_->error();
      failed_detail_ = reader_->error_detail();
    }
  }

  // Reads on by as much as the message in progress has already, one read at least. The splitter
  // searches the message from its From_ line again after each read; a pipe or a decompressor
  // hands over 64 KiB a read, so a message (or a From_ line without an end) hundreds of MB long
  // would be searched thousands of times over. Doubling keeps it linear.
  void fill_for_message() {
    const std::size_t want = std::max<std::size_t>(size_ - at_, 1);
    for (std::size_t got = 0; got < want && !eof_;) {
      const std::size_t before = size_ - at_;
      fill();
      got += (size_ - at_) - before;
    }
  }

  // The stream broke (a truncated .gz): the message it broke in is marked, not dropped.
  void mark_failure(InputMessage& out) {
    failure_reported_ = true;
    out.error = failed_;
    out.error_detail = failed_detail_;
  }

  bool report_failure(InputMessage& out) {
    if (failed_ == IngestError::none || failure_reported_) return false;
    out = InputMessage{};
    out.source = name_;
    out.offset = base_ + size_;
    mark_failure(out);
    return true;
  }

  bool start_discarding(InputMessage& out) {
    out = InputMessage{};
    out.source = mbox_item_name(name_, options_.mbox_index_base + count_++);
    out.container = container_of(splitter_.format());
    out.offset = base_ + too_large_offset(window(), at_, options_);
    out.error = IngestError::too_large;
    out.error_detail = mbox_too_large_detail(options_);
    discarding_ = true;
    discard_from_ = at_ + 1;
    splitter_.reset();
    return true;
  }

  // Skips the too-large message: searches for the next From_ line keeping only a few bytes of
  // context (the empty line before it) to carry into the next block.
  void skip_to_boundary() {
    const std::size_t p = find_from_line(window(), discard_from_);
    if (p != kNoPos || eof_) {
      at_ = p != kNoPos ? p : size_;
      discarding_ = false;
      return;
    }
    constexpr std::size_t kKeep = 8;  // "\n\r\nFrom" straddling the next read
    const std::size_t keep = std::min(size_ - at_, kKeep);
    at_ = size_ - keep;
    discard_from_ = at_ + (keep >= 5 ? keep - 4 : 1);  // positions before it were searched already
    fill();
  }

  std::string name_;
  std::unique_ptr<ByteReader> reader_;
  IngestOptions options_;
  // LIFETIME: the messages handed on point into block_ and share block_owner_; reads only append
  // behind them, and a full block is replaced, never reused, so their bytes stay put until the
  // last of them is done.
  char* block_ = nullptr;
  std::shared_ptr<const void> block_owner_;
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;      // bytes read into block_
  MboxSplitter splitter_;
  std::size_t at_ = 0;        // the current From_ line in block_
  std::uint64_t base_ = 0;    // stream offset of block_[0]
  std::uint64_t count_ = 0;
  bool eof_ = false;
  bool discarding_ = false;
  std::size_t discard_from_ = 0;
  IngestError failed_ = IngestError::none;
  std::string failed_detail_;
  bool failure_reported_ = false;
};

}  // namespace

std::unique_ptr<MessageSource> open_mbox_view(std::string name, FileBytes bytes, const IngestOptions& options) {
  return std::make_unique<MboxViewSource>(std::move(name), std::move(bytes), options);
}

std::unique_ptr<MessageSource> open_mbox_stream(std::string name, std::string initial,
                                                std::unique_ptr<ByteReader> reader,
                                                const IngestOptions& options) {
  return std::make_unique<MboxStreamSource>(std::move(name), std::move(initial), std::move(reader), options);
}

}  // namespace dkimscan::ingest
