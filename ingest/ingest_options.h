// File: ingest/ingest_options.h
// The choices a user makes about reading input (mbox variant, stdin format, limits), validated
// once by the CLI and then passed by const reference to every reader. Defaults suit real archives.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace dkimscan::ingest {

// The mbox variants (see the LoC format descriptions and qmail's mbox(5)):
//   mboxo   "From " body lines quoted as ">From " (irreversibly); bytes handed on as stored.
//   mboxrd  ">*From " quoted with one more '>'; un-quoted on reading (the only copying path).
//   mboxcl  mboxo quoting plus a Content-Length field that locates the next message.
//   mboxcl2 Content-Length, no quoting at all.
enum class MboxFormat : std::uint8_t { auto_detect, mboxo, mboxrd, mboxcl, mboxcl2 };

// What "-" (standard input) holds.
enum class StdinFormat : std::uint8_t {
  auto_detect,  // an mbox when it starts with a "From " line, one message otherwise
  message,      // exactly one message
  mbox,         // an mbox archive (variant per mbox_format)
};

// How plain files are brought into memory (decided in file_bytes.cpp).
enum class ReadMode : std::uint8_t {
  auto_select,  // read() files, stream large mbox files and archives (never map: file_bytes.h)
  mmap,         // always try mmap first (read() still when mmap fails); tests only: SIGBUS risk
  read,         // the same as auto_select
};

struct IngestOptions {
  MboxFormat mbox_format = MboxFormat::auto_detect;
  StdinFormat stdin_format = StdinFormat::auto_detect;
  ReadMode read_mode = ReadMode::auto_select;
  // A header line (RFC 5322 §2.1.1 says 998 octets) longer than this is line_too_long.
  std::size_t max_header_line = 64 * 1024;
  // A message or archive entry that must be buffered (read(), an mbox read in blocks, stdin,
  // compressed, mboxrd un-quoting) larger than this is too_large. Mapped files (ReadMode::mmap)
  // have no limit.
  std::size_t max_message_bytes = 256u * 1024 * 1024;
  // Files from this size on are large: an mbox this large is read in blocks, a compressed file or
  // archive streamed, and a message read by the serial reader into a buffer of its own rather
  // than by a worker into its batch's arena (file_bytes.h, sniff_ahead.h).
  std::size_t large_file_bytes = 4u * 1024 * 1024;
  // The stream reader reads an mbox (a large file, stdin, an archive entry) in blocks of this
  // size, and a large mbox file is cut in chunks of this size (cut_mbox_chunks); messages point
  // into them. Tests make it tiny so that messages straddle blocks and chunks.
  std::size_t stream_block_bytes = 1u << 20;
  // The N of "path#N" for the first message of an mbox (1: "mbox#1" is the first message).
  unsigned mbox_index_base = 1;
  // Hand out single-message files unread (InputMessage::deferred) so that a parallel stage reads
  // them (load_deferred()): the serial reader then only walks folders, and files outside a
  // Maildir (a message, an mbox or an archive?) are sniffed ahead on several threads, the small
  // ones read whole as they are sniffed (sniff_ahead.h).
  bool defer_reads = false;
  // Hand out a large mbox file on disk (one that would be read in blocks) as chunks, for the
  // workers to cut (mbox_chunks.h). The consumer must then cut every item marked mbox_chunk with
  // cut_mbox_chunk() and name all items, in order, with an MboxNamer: the pipeline does both
  // (PipelineOptions::expand and name).
  bool cut_mbox_chunks = false;
};

std::string_view mbox_format_name(MboxFormat format) noexcept;
std::optional<MboxFormat> parse_mbox_format(std::string_view name) noexcept;  // "auto", "mboxo", ...
std::optional<StdinFormat> parse_stdin_format(std::string_view name) noexcept;  // "auto", "message", "mbox"

}  // namespace dkimscan::ingest
