// File: ingest/mbox_item.cpp
// From a cut to an item, the same for every mbox reader.
#include "ingest/mbox_item.h"

#include <algorithm>
#include <cstring>

#include "ingest/message_check.h"

namespace dkimscan::ingest {

namespace {

constexpr std::size_t kDetectBytes = 1u << 20;  // the prefix detect_mbox_format looks at

}  // namespace

MboxFormat mbox_format_for(const IngestOptions& options, std::string_view prefix, bool eof) {
  if (options.mbox_format != MboxFormat::auto_detect) return options.mbox_format;
  return detect_mbox_format(prefix.substr(0, kDetectBytes), eof && prefix.size() <= kDetectBytes);
}

Container container_of(MboxFormat format) noexcept {
  switch (format) {
    case MboxFormat::mboxrd: return Container::mboxrd;
    case MboxFormat::mboxcl: return Container::mboxcl;
    case MboxFormat::mboxcl2: return Container::mboxcl2;
    case MboxFormat::mboxo:
    case MboxFormat::auto_detect: break;
  }
  return Container::mboxo;
}

std::string mbox_item_name(const std::string& name, std::uint64_t number) {
  const std::string digits = std::to_string(number);  // short: no allocation
  std::string out;  // one allocation per item: `name + "#" + digits` made two
  out.reserve(name.size() + 1 + digits.size());
  out.append(name).append(1, '#').append(digits);
  return out;
}

std::string mbox_too_large_detail(const IngestOptions& options) {
  return "message larger than " + std::to_string(options.max_message_bytes) + " bytes";
}

namespace {

// Where the text after the From_ line at window[at] starts, if that line ends within the limit
// (a longer one is too large whatever follows); kNoPos when it does not, or not in view.
std::size_t text_start(std::string_view window, std::size_t at, const IngestOptions& options) noexcept {
  const std::size_t span = std::min(window.size() - at, options.max_message_bytes + 1);
  const void* nl = std::memchr(window.data() + at, '\n', span);
  return nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - window.data()) + 1 : kNoPos;
}

}  // namespace

std::size_t too_large_known_at(std::string_view window, std::size_t at, const IngestOptions& options) noexcept {
  const std::size_t text = text_start(window, at, options);
  if (text == kNoPos) return at + options.max_message_bytes + 1;  // the From_ line alone is too long
  // The message ends at the empty line before the next "From ", which may begin up to 7 bytes
  // before the window's end ("\n\r\nFrom" cut by it): only text beyond that is certainly its own.
  constexpr std::size_t kUnseenBoundary = 7;
  return text + options.max_message_bytes + kUnseenBoundary + 1;
}

bool certainly_too_large(std::string_view window, std::size_t at, const IngestOptions& options) noexcept {
  return window.size() >= too_large_known_at(window, at, options);
}

std::size_t too_large_offset(std::string_view window, std::size_t at, const IngestOptions& options) noexcept {
  const std::size_t text = text_start(window, at, options);
  return text != kNoPos ? text : at;
}

void fill_mbox_item(InputMessage& out, std::string source, std::uint64_t offset, std::string_view window,
                    std::size_t at, const MboxCut& cut, const std::shared_ptr<const void>& storage, char* block,
                    const IngestOptions& options, MboxFormat format) {
  const bool buffered = block != nullptr;
  out = InputMessage{};
  out.source = std::move(source);
  out.offset = offset;
  out.container = container_of(format);
  const std::string_view message = window.substr(cut.begin, cut.end - cut.begin);
  // A From_ line longer than the limit is too large as certainly_too_large() says, even when
  // its end was in view: how the archive was read must not decide.
  // (No line end within its first max_message_bytes + 1 bytes; at the archive's end it may have none.)
  const std::size_t line = cut.begin - at;
  const bool ended = line > 0 && window[cut.begin - 1] == '\n';
  const bool long_from_line = line > options.max_message_bytes + (ended ? 1 : 0);
  if (buffered && (message.size() > options.max_message_bytes || long_from_line)) {
    out.error = IngestError::too_large;
    out.error_detail = mbox_too_large_detail(options);
    if (long_from_line) out.offset -= cut.begin - at;  // at its From_ line, as too_large_offset() says
    return;
  }
  const bool mboxrd = format == MboxFormat::mboxrd;
  if (mboxrd && options.defer_reads && cut.error == IngestError::none) {
    out.bytes = message;  // as stored; load_deferred() un-quotes (if need be) and checks it
    out.storage = storage;
    out.writable = buffered;  // in place, in the block
    out.deferred = out.unquote_pending = true;
    out.deferred_size = message.size();
    return;
  }
  if (mboxrd && buffered) {
    // The block's bytes of this message are its alone (the reader only appends after them). One
    // pass un-quotes them, and leaves them as they are when nothing is quoted.
    out.bytes = unquote_mboxrd_in_place(block + cut.begin, message.size());
    out.storage = storage;
  } else if (mboxrd && has_quoted_from_line(message)) {
    if (message.size() > options.max_message_bytes) {  // the copy would be too large
      out.error = IngestError::too_large;
      out.error_detail = unquote_too_large_detail(message.size());
      return;
    }
    auto owned = std::make_shared<std::string>();
    unquote_mboxrd(message, *owned);
    out.bytes = *owned;
    out.storage = std::move(owned);
  } else {
    out.bytes = message;
    out.storage = storage;
  }
  if (cut.error != IngestError::none) {
    out.error = cut.error;
    out.error_detail = cut.error_detail;
  } else {
    out.error = check_message(out.bytes, options.max_header_line, out.error_detail);
  }
}

}  // namespace dkimscan::ingest
