// File: ingest/open_inputs.cpp
// The top-level source: walks the paths, sniffs what each file holds (a message, an mbox, a
// compressed or packed archive) from its first bytes rather than its name, and hands the file to
// the matching reader. With defer_reads, the sniffing runs ahead on several threads
// (sniff_ahead.h): a small file comes back read whole, and a larger one that holds one message
// is handed on unread, for a worker to read (load_deferred()). One item per message, in order;
// errors are items too.
#include "ingest/open_inputs.h"

#include <unistd.h>  // STDIN_FILENO

#include "ingest/archive_source.h"
#include "ingest/dovecot_lz4.h"
#include "ingest/file_bytes.h"
#include "ingest/file_reader.h"
#include "ingest/mbox_chunks.h"
#include "ingest/mbox_source.h"
#include "ingest/mbox_split.h"
#include "ingest/message_check.h"
#include "ingest/path_walker.h"
#include "ingest/sniff_ahead.h"

namespace dkimscan::ingest {

namespace {

void set_error_item(InputMessage& out, std::string source, IngestError error, std::string detail) {
  out = InputMessage{};
  out.source = std::move(source);
  out.error = error;
  out.error_detail = std::move(detail);
}

// One whole file (or stdin) as one message, checked.
void set_single_message(InputMessage& out, std::string source, FileBytes&& bytes,
                        const IngestOptions& options) {
  out = InputMessage{};
  out.source = std::move(source);
  out.bytes = bytes.bytes;
  out.storage = std::move(bytes.storage);
  out.error = check_message(out.bytes, options.max_header_line, out.error_detail);
}

// A message dovecot stored in its own lz4 container, unpacked.
void set_dovecot_lz4_message(InputMessage& out, std::string path, std::string_view packed, const IngestOptions& options) {
  auto unpacked = std::make_shared<std::string>();
  std::string why;
  const IngestError error = unpack_dovecot_lz4(packed, options.max_message_bytes, *unpacked, why);
  if (error != IngestError::none) {
    set_error_item(out, std::move(path), error, std::move(why));
    return;
  }
  if (unpacked->empty()) {
    set_error_item(out, std::move(path), IngestError::empty, "zero bytes once unpacked");
    return;
  }
  FileBytes message;
  message.kind = FileBytes::Kind::bytes;
  message.bytes = *unpacked;
  message.storage = std::move(unpacked);
  set_single_message(out, std::move(path), std::move(message), options);
}

// A file known to hold one message, as read: the message (unpacked, when it was stored compressed),
// or the error item that says why not.
void set_message_file(InputMessage& out, std::string path, FileBytes&& bytes, const IngestOptions& options) {
  switch (bytes.kind) {
    case FileBytes::Kind::error:
      set_error_item(out, std::move(path), bytes.error, std::move(bytes.error_detail));
      return;
    case FileBytes::Kind::stream:  // beyond the buffering limit
    case FileBytes::Kind::mbox_stream:  // never for one message (read_file_bytes, read_file_into)
      set_error_item(out, std::move(path), IngestError::too_large, "message too large to read");
      return;
    case FileBytes::Kind::bytes:
      break;
  }
  if (bytes.bytes.empty()) {
    set_error_item(out, std::move(path), IngestError::empty, "zero bytes");
    return;
  }
  // dovecot's zlib plugin stores Maildir files compressed (gzip, bzip2, xz, zstd, or lz4 in a
  // container of its own); no message starts with these bytes.
  if (looks_compressed(bytes.bytes)) {
    unpack_message(std::move(path), std::move(bytes), options, out);
    return;
  }
  if (looks_dovecot_lz4(bytes.bytes)) {
    set_dovecot_lz4_message(out, std::move(path), bytes.bytes, options);
    return;
  }
  set_single_message(out, std::move(path), std::move(bytes), options);
}

class InputsSource final : public MessageSource {
 public:
  InputsSource(const std::vector<std::string>& paths, const IngestOptions& options)
      : walk_(paths, options), options_(options) {}

  bool next(InputMessage& out) override {
    for (;;) {
      if (current_) {
        if (current_->next(out)) return count(out);
        current_.reset();
      }
      WalkItem item;
      FileGuess guess = FileGuess::read_here;
      FileBytes read;
      if (!walk_.next(item, guess, read)) return false;
      if (guess == FileGuess::read_whole) {  // read by the sniff: a message, an mbox or an archive
        if (start_bytes(std::move(item.path), std::move(read), out)) return count(out);
        continue;
      }
      if (start(item, guess, out)) return count(out);
    }
  }

  IngestStats stats() const override { return stats_; }

 private:
  bool count(const InputMessage& out) {
    if (out.mbox_chunk) return true;  // its messages are cut later, by a worker: not counted here
    (out.error == IngestError::none ? stats_.read : stats_.errored) += 1;
    stats_.bytes += out.bytes.size();
    return true;
  }

  // Either fills out with one item (true) or sets current_ to a reader of many (false).
  bool start(WalkItem& item, FileGuess guess, InputMessage& out) {
    switch (item.kind) {
      case WalkItem::Kind::error:
        set_error_item(out, std::move(item.path), item.error, std::move(item.error_detail));
        return true;
      case WalkItem::Kind::standard_input:
        return start_stdin(out);
      case WalkItem::Kind::file:
        break;
    }
    if (guess == FileGuess::one_message) {  // left for a worker to read (sniff_ahead.h)
      out = InputMessage{};
      out.source = std::move(item.path);
      out.deferred = true;
      out.deferred_size = item.size;
      return true;
    }
    if (item.maildir_message) {
      // One message by definition, read here at -j1 as a worker reads it at -jN: its bytes are not
      // sniffed, so that a Maildir gives the same report whatever -j is.
      FileBytes bytes = read_file_bytes(item.path, options_, /*one_message=*/true);
      set_message_file(out, std::move(item.path), std::move(bytes), options_);
      return true;
    }
    FileBytes bytes = read_file_bytes(item.path, options_);
    switch (bytes.kind) {
      case FileBytes::Kind::error:
        set_error_item(out, std::move(item.path), bytes.error, std::move(bytes.error_detail));
        return true;
      case FileBytes::Kind::stream:  // a pipe, a large archive, or too large to buffer
        current_ = open_archive_path(std::move(item.path), options_);
        return false;
      case FileBytes::Kind::mbox_stream: {  // a large mbox: cut by the workers, or read in blocks
        if (options_.cut_mbox_chunks) {
          current_ = open_mbox_chunks(item.path, options_);
          if (current_) return false;
        }
        auto reader = std::make_unique<FileReader>(item.path);
        current_ = open_mbox_stream(std::move(item.path), "", std::move(reader), options_);
        return false;
      }
      case FileBytes::Kind::bytes:
        break;
    }
    return start_bytes(std::move(item.path), std::move(bytes), out);
  }

  bool start_bytes(std::string path, FileBytes&& bytes, InputMessage& out) {
    if (bytes.bytes.empty()) {
      set_error_item(out, std::move(path), IngestError::empty, "zero bytes");
      return true;
    }
    if (looks_packed(bytes.bytes)) {
      current_ = open_archive_memory(std::move(path), std::move(bytes), options_);
      return false;
    }
    if (looks_like_mbox(bytes.bytes)) {
      current_ = open_mbox_view(std::move(path), std::move(bytes), options_);
      return false;
    }
    // A file in dovecot's lz4 container holds one message; a worker unpacks a larger one the same
    // way (load_deferred(): the sniff hands it on as one message), so -j does not change the result.
    if (looks_dovecot_lz4(bytes.bytes)) {
      set_dovecot_lz4_message(out, std::move(path), bytes.bytes, options_);
      return true;
    }
    set_single_message(out, std::move(path), std::move(bytes), options_);
    return true;
  }

  // Standard input is streamed through libarchive too, so "gzip -dc"-able input works as well.
  bool start_stdin(InputMessage&) {
    current_ = open_archive_fd("-", STDIN_FILENO, options_, options_.stdin_format);
    return false;
  }

  SniffAhead walk_;
  IngestOptions options_;
  std::unique_ptr<MessageSource> current_;
  IngestStats stats_;
};

}  // namespace

namespace {

// An mboxrd message as stored (unquote_pending): un-quoted, if it quotes anything, and checked.
void unquote_deferred(InputMessage& item, const IngestOptions& options, ByteArena& arena) {
  item.deferred = item.unquote_pending = false;
  if (item.writable) {
    // SAFETY: the block was allocated writable and only this item points into these bytes.
    // One pass: bytes with nothing quoted stay as they are (most mail has no "From " line).
    char* const data = const_cast<char*>(item.bytes.data());
    item.bytes = unquote_mboxrd_in_place(data, item.bytes.size());
  } else if (!has_quoted_from_line(item.bytes)) {
    // The bytes as stored are the message: most mail has no "From " line to quote.
  } else if (item.bytes.size() > options.max_message_bytes) {  // a mapped mbox (ReadMode::mmap): too large to copy
    item.error = IngestError::too_large;
    item.error_detail = unquote_too_large_detail(item.bytes.size());
    item.bytes = {};
    item.storage.reset();
    return;
  } else if (item.bytes.size() <= ByteArena::kLargestTake) {
    const std::span<char> room = arena.take(item.bytes.size());  // un-quoting only removes bytes
    item.bytes = std::string_view(room.data(), unquote_mboxrd(item.bytes, room.data()));
    item.storage.reset();  // the mbox mapping: the un-quoted copy no longer points into it
  } else {
    auto owned = std::make_shared<std::string>();
    unquote_mboxrd(item.bytes, *owned);
    item.bytes = *owned;
    item.storage = std::move(owned);
  }
  // A stream that broke inside this message (a truncated .gz) marked it already: that stands,
  // as it does when the reader checks the message itself (-j1).
  if (item.error == IngestError::none) item.error = check_message(item.bytes, options.max_header_line, item.error_detail);
}

}  // namespace

void load_deferred(InputMessage& item, const IngestOptions& options, ByteArena& arena) {
  if (!item.deferred) return;
  if (item.mbox_chunk) {  // a consumer that does not cut chunks must not ask for them
    set_error_item(item, std::move(item.source), IngestError::unreadable,
                   "an mbox chunk was not cut (IngestOptions::cut_mbox_chunks without cut_mbox_chunk())");
    return;
  }
  if (item.unquote_pending) {
    unquote_deferred(item, options, arena);
    return;
  }
  std::string path = std::move(item.source);
  // One message: a Maildir file by definition, any other file by its first bytes when it was found.
  // (Read before path is moved from: the order of a call's arguments is unspecified.)
  FileBytes bytes = read_file_into(path, item.deferred_size, options, arena);
  set_message_file(item, std::move(path), std::move(bytes), options);
}

std::unique_ptr<MessageSource> open_inputs(const std::vector<std::string>& paths,
                                           const IngestOptions& options) {
  return std::make_unique<InputsSource>(paths, options);
}

}  // namespace dkimscan::ingest
