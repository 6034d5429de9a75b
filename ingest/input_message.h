// File: ingest/input_message.h
// What ingest hands the engine: one message's bytes as a view, where it came from, and (when it
// could not be read as a message) an IngestError instead. Every message of the input produces
// exactly one InputMessage, in input order, errors included: nothing is lost or invented.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace dkimscan::ingest {

enum class IngestError : std::uint8_t {
  none,
  unreadable,         // open/read failed (permissions, I/O error, vanished file)
  empty,              // zero bytes
  not_a_message,      // binary junk: no header field at the start
  line_too_long,      // a header line beyond the limit
  truncated,          // an archive or compressed stream ended early
  bad_content_length, // mboxcl/cl2 Content-Length that lies
  symlink_loop,
  too_large,          // a buffered message or archive entry beyond max_message_bytes
  not_regular,        // a directory entry that is neither file, folder nor pipe (socket, device)
};

std::string_view ingest_error_code(IngestError e) noexcept;

// The container a message was stored in, which says what storing it may have changed (the mbox
// variants quote "From " lines; see ingest/repair.h). file: a message file, Maildir or archive entry.
enum class Container : std::uint8_t { file, mboxo, mboxrd, mboxcl, mboxcl2 };

struct InputMessage {
  // LIFETIME: bytes points into storage (a memory mapping or a buffer) and stays valid as long
  // as this InputMessage (or a copy of storage) lives.
  std::string_view bytes;
  std::shared_ptr<const void> storage;
  std::string source;        // the path, or "path#N" for the N-th message of an archive
  std::uint64_t offset = 0;  // byte offset of the message in its file (0 for single files)
  IngestError error = IngestError::none;
  std::string error_detail;  // for people: the errno text, the offending offset, ...
  Container container = Container::file;
  // True when a worker thread must finish the item with load_deferred() (ingest/open_inputs.h)
  // before its bytes are final; deferred_size is then what the batching counts. Two cases:
  //  - unquote_pending false: bytes have not been read; source is the file's path.
  //  - unquote_pending true: bytes are an mboxrd message as stored, any ">From " lines still quoted.
  //    writable: they lie in memory that is this item's alone to rewrite (a block of the mbox
  //    stream reader, not a read-only mapping), so they are un-quoted in place.
  bool deferred = false;
  bool unquote_pending = false;
  bool writable = false;
  std::uint64_t deferred_size = 0;
  // A chunk of a large mbox file, not a message (mbox_chunks.h): a worker cuts it into the
  // messages whose From_ line starts in [offset, offset + deferred_size) (cut_mbox_chunk()).
  // storage is what the chunks of the file share; deferred is set too.
  bool mbox_chunk = false;
  // Cut from a chunk: source is the archive's path until MboxNamer, which sees every item in
  // input order, appends "#N". archive_start: the first item of the archive (the count restarts).
  bool name_pending = false;
  bool archive_start = false;
  // A read error in a chunk: the bytes it could not read may have held messages, so MboxNamer
  // stops counting and names the archive's later messages by offset.
  bool count_lost = false;
};

// What a source has handed on so far: every item is counted once, read + errored = items.
struct IngestStats {
  std::uint64_t read = 0;     // items with error == none
  std::uint64_t errored = 0;  // items with an IngestError
  std::uint64_t bytes = 0;    // message bytes handed on (error items included)
  IngestStats& operator+=(const IngestStats& o) noexcept {
    read += o.read;
    errored += o.errored;
    bytes += o.bytes;
    return *this;
  }
};

// Yields the messages of all inputs in order. Serial: one thread calls next().
class MessageSource {
 public:
  virtual ~MessageSource() = default;
  // Fills out with the next message; false at the end of all input.
  virtual bool next(InputMessage& out) = 0;
  // Counts of what next() has handed on so far (sources that do not count return zeros).
  virtual IngestStats stats() const { return {}; }
};

}  // namespace dkimscan::ingest
