// File: ingest/mbox_split.cpp
// The mbox boundary rules in one place. A message runs from the line after its From_ line to the
// empty line before the next From_ line (RFC 4155 §2), or, for mboxcl/cl2, to its header's
// Content-Length. A Content-Length that is not a number or does not end at a From_ line (or the
// archive's end) marks the cut bad_content_length and the split falls back to From_ lines, so a lying
// length never swallows or invents messages; fill_mbox_item() (mbox_item.cpp) makes that message an
// error item, reported but not verified, and the next message is cut as usual.
#include "ingest/mbox_split.h"

#include <array>
#include <cstring>

#include "ingest/find_text.h"

namespace dkimscan::ingest {

namespace {

constexpr std::string_view kFrom = "From ";
constexpr std::size_t kLookahead = 8;  // enough to see "\r\nFrom " after a cut

const char* find(std::string_view data, std::size_t from, std::string_view needle) noexcept {
  return find_text(data, from, needle);
}

// The offset just after the empty line that ends the header starting at begin, or kNoPos.
std::size_t header_end(std::string_view data, std::size_t begin) noexcept {
  std::size_t line = begin;
  while (line < data.size()) {
    if (data[line] == '\n') return line + 1;
    if (data[line] == '\r' && line + 1 < data.size() && data[line + 1] == '\n') return line + 2;
    const void* nl = std::memchr(data.data() + line, '\n', data.size() - line);
    if (nl == nullptr) return kNoPos;
    line = static_cast<std::size_t>(static_cast<const char*>(nl) - data.data()) + 1;
  }
  return kNoPos;
}

bool starts_with_icase(std::string_view s, std::string_view prefix) noexcept {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

enum class Length : std::uint8_t { absent, valid, invalid };

// The Content-Length field of a header block (its first occurrence).
Length content_length(std::string_view header, std::uint64_t& value) noexcept {
  std::size_t line = 0;
  while (line < header.size()) {
    std::size_t nl = header.find('\n', line);
    if (nl == std::string_view::npos) nl = header.size();
    std::string_view text = header.substr(line, nl - line);
    if (starts_with_icase(text, "content-length:")) {
      std::size_t i = 15;
      while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
      std::size_t digits = 0;
      value = 0;
      for (; i < text.size() && text[i] >= '0' && text[i] <= '9' && digits < 18; ++i, ++digits) {
        value = value * 10 + static_cast<std::uint64_t>(text[i] - '0');
      }
      while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r')) ++i;
      return digits > 0 && i == text.size() ? Length::valid : Length::invalid;
    }
    line = nl + 1;
  }
  return Length::absent;
}

bool only_line_ends(std::string_view s) noexcept {
  return s.find_first_not_of("\r\n") == std::string_view::npos;
}

// The position of the '>' run before "From " at k if it starts a line, else kNoPos.
std::size_t quoted_line_start(std::string_view s, std::size_t k) noexcept {
  std::size_t j = k;
  while (j > 0 && s[j - 1] == '>') --j;
  return (j == 0 || s[j - 1] == '\n') ? j : kNoPos;
}

}  // namespace

std::size_t find_from_line(std::string_view data, std::size_t from) noexcept {
  std::size_t search = from == 0 ? 0 : from - 1;
  while (const char* hit = find(data, search, "\nFrom ")) {
    const std::size_t q = static_cast<std::size_t>(hit - data.data());  // the '\n'
    // RFC 4155 §2: the From_ line follows an empty line: "\n\n" or "\n\r\n".
    const bool blank = (q >= 1 && data[q - 1] == '\n') ||
                       (q >= 2 && data[q - 1] == '\r' && data[q - 2] == '\n');
    if (blank && q + 1 >= from) return q + 1;
    search = q + 1;
  }
  return kNoPos;
}

CutStatus MboxSplitter::cut(std::string_view data, std::size_t at, bool eof, MboxCut& out) {
  out = MboxCut{};
  if (at >= data.size()) return eof ? CutStatus::end : CutStatus::need_more;
  const void* nl = std::memchr(data.data() + at, '\n', data.size() - at);
  if (nl == nullptr) {  // a From_ line and nothing after it
    if (!eof) return CutStatus::need_more;
    out.begin = out.end = out.next = data.size();
    return CutStatus::message;
  }
  const std::size_t begin = static_cast<std::size_t>(static_cast<const char*>(nl) - data.data()) + 1;
  if (format_ == MboxFormat::mboxcl || format_ == MboxFormat::mboxcl2) {
    CutStatus s = cut_by_length(data, begin, eof, out);
    if (s == CutStatus::message) scan_ = 0;
    if (s != CutStatus::end) return s;  // end: no usable length, split at From_ lines instead
  }
  CutStatus s = cut_by_from_line(data, at, begin, eof, out);
  if (s == CutStatus::need_more) {
    // Resume a little before the window's end: "\n\r\nFrom " may straddle the next read.
    scan_ = std::max(begin, data.size() >= kLookahead ? data.size() - kLookahead : 0) - at;
  } else {
    scan_ = 0;
  }
  return s;
}

CutStatus MboxSplitter::cut_by_from_line(std::string_view data, std::size_t at, std::size_t begin,
                                         bool eof, MboxCut& out) {
  std::size_t p = find_from_line(data, std::max(begin, at + scan_));
  out.begin = begin;
  if (p == kNoPos) {
    if (!eof) return CutStatus::need_more;
    std::string_view tail = data.substr(begin);
    // The writer's empty line after the last message (mboxo/mboxrd always add one), also when the
    // message itself is empty: then the line is all there is, as in the middle of an archive.
    const std::size_t strip = tail == "\r\n" || tail.ends_with("\n\r\n") ? 2
                              : tail == "\n" || tail.ends_with("\n\n")     ? 1
                                                                          : 0;
    out.end = data.size() - strip;
    out.next = data.size();
  } else {
    // Drop the empty line before the From_ line: it belongs to the archive, not the message.
    std::size_t end = data[p - 2] == '\r' ? p - 2 : p - 1;
    out.end = std::max(end, begin);
    out.next = p;
  }
  return CutStatus::message;
}

CutStatus MboxSplitter::cut_by_length(std::string_view data, std::size_t begin, bool eof, MboxCut& out) {
  const std::size_t body = header_end(data, begin);
  if (body == kNoPos) return eof ? CutStatus::end : CutStatus::need_more;
  std::uint64_t length = 0;
  const Length found = content_length(data.substr(begin, body - begin), length);
  if (found == Length::absent) return CutStatus::end;
  auto lie = [&](std::string detail) {
    out.error = IngestError::bad_content_length;
    out.error_detail = std::move(detail);
    return CutStatus::end;
  };
  if (found == Length::invalid) return lie("Content-Length is not a number");
  const std::uint64_t end = body + length;
  if (end > data.size()) {
    if (!eof) return CutStatus::need_more;
    return lie("Content-Length: " + std::to_string(length) + " runs past the end of the archive");
  }
  std::string_view rest = data.substr(static_cast<std::size_t>(end));
  if (!eof && rest.size() < kLookahead) return CutStatus::need_more;
  std::size_t next = kNoPos;
  if (rest.starts_with(kFrom)) next = end;
  else if (rest.starts_with("\nFrom ")) next = end + 1;
  else if (rest.starts_with("\r\nFrom ")) next = end + 2;
  else if (only_line_ends(rest)) {
    if (!eof) return CutStatus::need_more;
    next = data.size();
  }
  if (next == kNoPos) {
    return lie("Content-Length: " + std::to_string(length) + " does not end at a From_ line");
  }
  out.begin = begin;
  out.end = static_cast<std::size_t>(end);
  out.next = next;
  out.by_length = true;
  return CutStatus::message;
}

bool has_quoted_from_line(std::string_view message) noexcept {
  std::size_t search = 0;
  while (const char* hit = find(message, search, ">From ")) {
    const std::size_t k = static_cast<std::size_t>(hit - message.data());
    if (quoted_line_start(message, k) != kNoPos) return true;
    search = k + 1;
  }
  return false;
}

namespace {

// mboxrd un-quoting as the offsets of the '>' to drop, in order: fn(j) for each. Reads message
// up to the hit and back to its line's start, nothing before the last '>' found but that line.
template <class Fn>
void for_each_dropped_quote(std::string_view message, Fn&& fn) {
  std::size_t search = 0;
  while (const char* hit = find(message, search, ">From ")) {
    const std::size_t k = static_cast<std::size_t>(hit - message.data());
    const std::size_t j = quoted_line_start(message, k);
    if (j != kNoPos) fn(j);  // the first '>' of the run
    search = k + 1;
  }
}

// The same as the runs of message to keep, in order: fn(run) for each.
template <class Fn>
void for_each_unquoted_run(std::string_view message, Fn&& fn) {
  std::size_t copied = 0;
  for_each_dropped_quote(message, [&](std::size_t j) {
    fn(message.substr(copied, j - copied));
    copied = j + 1;
  });
  fn(message.substr(copied));
}

}  // namespace

// In place (out == message.data()) each run moves left, onto bytes already passed: the search
// only reads beyond the last run found, and back to the start of that run's line.
std::size_t unquote_mboxrd(std::string_view message, char* out) noexcept {
  char* const begin = out;
  for_each_unquoted_run(message, [&](std::string_view run) {
    if (!run.empty()) std::memmove(out, run.data(), run.size());
    out += run.size();
  });
  return static_cast<std::size_t>(out - begin);
}

std::string_view unquote_mboxrd_in_place(char* data, std::size_t size) noexcept {
  const std::string_view message(data, size);
  constexpr std::size_t kTracked = 64;
  std::array<std::size_t, kTracked> dropped;
  std::size_t count = 0;
  bool overflow = false;
  for_each_dropped_quote(message, [&](std::size_t j) {
    if (count < kTracked) dropped[count++] = j;
    else overflow = true;
  });
  if (count == 0) return message;
  if (overflow) return {data, unquote_mboxrd(message, data)};  // every run moves left
  // Run i lies between the '>' dropped before it and the one after it: [begin(i), end(i)).
  const auto begin = [&](std::size_t i) { return i == 0 ? 0 : dropped[i - 1] + 1; };
  const auto end = [&](std::size_t i) { return i == count ? size : dropped[i]; };
  std::size_t stay = 0;  // the longest run, which stays where it is
  for (std::size_t i = 1; i <= count; ++i) {
    if (end(i) - begin(i) > end(stay) - begin(stay)) stay = i;
  }
  for (std::size_t i = stay; i-- > 0;) {  // right, nearest first: each lands on bytes already moved
    std::memmove(data + begin(i) + (stay - i), data + begin(i), end(i) - begin(i));
  }
  for (std::size_t i = stay + 1; i <= count; ++i) {  // left, nearest first
    std::memmove(data + begin(i) - (i - stay), data + begin(i), end(i) - begin(i));
  }
  return {data + stay, size - count};
}

// Appends run by run: resizing first would zero the whole message only to overwrite it.
void unquote_mboxrd(std::string_view message, std::string& out) {
  out.reserve(out.size() + message.size());
  for_each_unquoted_run(message, [&](std::string_view run) { out.append(run); });
}

std::string unquote_too_large_detail(std::size_t size) {
  return "message of " + std::to_string(size) + " bytes to un-quote";
}

MboxFormat detect_mbox_format(std::string_view prefix, bool eof) {
  MboxSplitter trial(MboxFormat::mboxcl2);
  std::size_t at = 0;
  int with_length = 0, lying = 0;
  bool quoted = false, unquoted = false;
  for (int i = 0; i < 64; ++i) {
    MboxCut cut;
    if (trial.cut(prefix, at, eof, cut) != CutStatus::message) break;
    std::string_view message = prefix.substr(cut.begin, cut.end - cut.begin);
    if (cut.by_length) {
      ++with_length;
      unquoted = unquoted || message.find("\nFrom ") != std::string_view::npos;
      quoted = quoted || message.find("\n>From ") != std::string_view::npos;
    } else if (cut.error == IngestError::bad_content_length) {
      ++lying;
    }
    at = cut.next;
  }
  if (with_length > 0 && lying == 0) return quoted && !unquoted ? MboxFormat::mboxcl : MboxFormat::mboxcl2;
  std::size_t search = 0;
  while (const char* hit = find(prefix, search, ">>From ")) {
    const std::size_t k = static_cast<std::size_t>(hit - prefix.data()) + 1;
    if (quoted_line_start(prefix, k) != kNoPos) return MboxFormat::mboxrd;
    search = k;
  }
  return MboxFormat::mboxo;
}

}  // namespace dkimscan::ingest
