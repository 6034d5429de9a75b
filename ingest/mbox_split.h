// File: ingest/mbox_split.h
// Splitting an mbox archive into messages (RFC 4155 and the mboxo/mboxrd/mboxcl/mboxcl2 family),
// over a window of bytes that is either the whole file (a mapping) or a block of a stream:
// the splitter says need_more until the window holds the whole next message. Boundaries are
// found with memmem/memchr over the window, never line by line.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "ingest/ingest_options.h"
#include "ingest/input_message.h"

namespace dkimscan::ingest {

inline constexpr std::size_t kNoPos = static_cast<std::size_t>(-1);

// The first p >= from where a From_ line starts a new message: "From " at the start of a line
// that follows an empty line (RFC 4155 §2: LF or CRLF). kNoPos if none. Positions 0 (the file
// start) and those whose empty line lies before the window are the caller's business.
std::size_t find_from_line(std::string_view data, std::size_t from) noexcept;

struct MboxCut {
  std::size_t begin = 0;  // the message: [begin, end), after the From_ line
  std::size_t end = 0;
  std::size_t next = 0;   // where the next From_ line starts (or data.size())
  bool by_length = false; // Content-Length located the end (mboxcl/cl2)
  IngestError error = IngestError::none;  // bad_content_length: cut at From_ lines instead; the
                                          // message becomes an error item, not verified (mbox_item.cpp)
  std::string error_detail;
};

enum class CutStatus : std::uint8_t { message, need_more, end };

class MboxSplitter {
 public:
  // format must not be auto_detect (see detect_mbox_format).
  explicit MboxSplitter(MboxFormat format) noexcept : format_(format) {}

  // Cuts the message whose From_ line starts at data[at]. The window data holds the archive from
  // some point up to its end when eof, or up to what was read so far: need_more asks for the
  // same call again with a longer window (the same at). end: at == data.size() and eof.
  CutStatus cut(std::string_view data, std::size_t at, bool eof, MboxCut& out);

  MboxFormat format() const noexcept { return format_; }
  // Forgets a need_more in progress (the caller skipped the message).
  void reset() noexcept { scan_ = 0; }

 private:
  CutStatus cut_by_length(std::string_view data, std::size_t begin, bool eof, MboxCut& out);
  CutStatus cut_by_from_line(std::string_view data, std::size_t at, std::size_t begin, bool eof,
                             MboxCut& out);

  MboxFormat format_;
  std::size_t scan_ = 0;  // after need_more: where the From_ search resumes (relative to at)
};

// Decides the variant from the first part of an archive (RFC 4155 §2 leaves it unmarked):
// Content-Length fields that each end exactly at the next From_ line → mboxcl2 (mboxcl when a
// ">From " body line shows mboxo quoting); a ">>From " line → mboxrd; otherwise mboxo, whose
// bytes are handed on as stored (un-quoting a lone ">From " is ambiguous, see repair.h).
MboxFormat detect_mbox_format(std::string_view prefix, bool eof);

// mboxrd: does any line of message match ">+From "?
bool has_quoted_from_line(std::string_view message) noexcept;
// mboxrd un-quoting: one '>' removed from every line matching ">+From ". Appends to out.
void unquote_mboxrd(std::string_view message, std::string& out);
// The same into out, which has room for message.size() bytes (un-quoting never adds any); the
// count written. out may be message.data(): the message is then un-quoted in place.
std::size_t unquote_mboxrd(std::string_view message, char* out) noexcept;
// The same in place, moving as few bytes as it can: the longest stretch between two quotes stays,
// the bytes before it move right and those after it move left. The un-quoted message is the view
// returned, which starts as many bytes into data as quotes were dropped before that stretch.
std::string_view unquote_mboxrd_in_place(char* data, std::size_t size) noexcept;
// too_large's detail for an mboxrd message of size bytes that would have to be un-quoted into a
// copy larger than IngestOptions::max_message_bytes.
std::string unquote_too_large_detail(std::size_t size);

// True when bytes starts like an mbox archive: a "From " line. Not when the line is a From header
// field written with space before its colon ("From : joe@example.org", RFC 5322 §4.5.1 obsolete
// syntax): that file is one message.
inline bool looks_like_mbox(std::string_view bytes) noexcept {
  if (bytes.substr(0, 5) != "From ") return false;
  const std::size_t after_space = bytes.find_first_not_of(" \t", 5);
  return after_space == std::string_view::npos || bytes[after_space] != ':';
}

}  // namespace dkimscan::ingest
