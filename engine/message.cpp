// File: message.cpp
// Splits a message into header fields and body (RFC 5322 §2.1, §2.2, §3.6) without copying, and
// finds the From domain. CRLF and bare LF are both line ends; a lone CR is an ordinary byte.
// A line in the header that is neither a field nor a continuation is skipped (with the
// continuation lines that follow it): it belongs to no field, so no field's bytes change.
#include "engine/message.h"

#include <algorithm>
#include <cstring>

namespace dkimscan::engine {
namespace {

constexpr bool is_wsp(char c) noexcept { return c == ' ' || c == '\t'; }

// One physical line: its bytes without the line end, and where the next line starts.
struct Line {
  std::string_view text;  // without CRLF / LF
  std::size_t next = 0;   // offset just past the line end (or the input's end)
  bool has_eol = false;
};

Line read_line(std::string_view bytes, std::size_t pos) noexcept {
  const char* start = bytes.data() + pos;
  const std::size_t rest = bytes.size() - pos;
  const void* lf = std::memchr(start, '\n', rest);
  if (lf == nullptr) return Line{std::string_view(start, rest), bytes.size(), false};
  std::size_t len = static_cast<const char*>(lf) - start;
  const std::size_t next = pos + len + 1;
  if (len > 0 && start[len - 1] == '\r') --len;  // CRLF; a bare LF ends the line too
  return Line{std::string_view(start, len), next, true};
}

// RFC 5322 §2.2 / §3.6.8: ftext is printable US-ASCII except ':'. §4.5.x (obs-optional) allows
// WSP between the name and ':'. Returns the offset of ':' or npos when the line is no field.
std::size_t field_colon(std::string_view line) noexcept {
  std::size_t i = 0;
  while (i < line.size()) {
    const unsigned char c = static_cast<unsigned char>(line[i]);
    if (c == ':' || c < 33 || c > 126) break;
    ++i;
  }
  if (i == 0) return std::string_view::npos;
  std::size_t j = i;
  while (j < line.size() && is_wsp(line[j])) ++j;
  if (j < line.size() && line[j] == ':') return j;
  return std::string_view::npos;
}

constexpr char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool is_field_name(std::string_view name) noexcept {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) { return c >= 33 && c <= 126 && c != ':'; });
}

std::string_view field_name_trimmed(std::string_view name) noexcept {
  while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
  return name;
}

bool field_name_equals(std::string_view field_name, std::string_view wanted) noexcept {
  return iequals(field_name_trimmed(field_name), wanted);
}

void ParsedMessage::split(std::string_view bytes) {
  fields_.clear();
  header_block_ = {};
  body_ = bytes.substr(bytes.size());
  defect_ = MessageDefect::none;
  if (bytes.empty()) {
    defect_ = MessageDefect::empty;
    return;
  }
  auto note = [this](MessageDefect d) {
    if (defect_ == MessageDefect::none) defect_ = d;  // the first defect found is reported
  };

  std::size_t pos = 0;
  std::size_t header_end = 0;  // offset just past the last header line
  bool in_field = false;       // continuation lines extend the last field
  bool skipping = false;       // continuation lines of a skipped non-field line
  bool separator = false;
  bool last_line_ended = false;
  while (pos < bytes.size()) {
    const Line line = read_line(bytes, pos);
    if (line.has_eol && line.text.empty()) {  // RFC 5322 §2.1: the empty line ends the header
      separator = true;
      if (fields_.empty()) note(MessageDefect::no_header_fields);
      body_ = bytes.substr(line.next);
      break;
    }
    header_end = line.next;
    last_line_ended = line.has_eol;
    if (is_wsp(line.text.front())) {  // RFC 5322 §2.2.3: a folded continuation line
      if (in_field) {
        HeaderField& f = fields_.back();
        const char* begin = f.raw.data();
        f.raw = std::string_view(begin, bytes.data() + line.next - begin);
        f.value = std::string_view(f.value.data(), line.text.data() + line.text.size() - f.value.data());
      } else if (!skipping) {
        note(fields_.empty() ? MessageDefect::no_header_fields : MessageDefect::header_line_without_colon);
        skipping = true;
      }
      pos = line.next;
      continue;
    }
    const std::size_t colon = field_colon(line.text);
    if (colon == std::string_view::npos) {
      // Neither a field nor a continuation: skipped, with its continuations (see file comment).
      note(fields_.empty() ? MessageDefect::no_header_fields : MessageDefect::header_line_without_colon);
      in_field = false;
      skipping = true;
      pos = line.next;
      continue;
    }
    HeaderField f;
    f.raw = bytes.substr(pos, line.next - pos);
    f.name = line.text.substr(0, colon);
    f.value = line.text.substr(colon + 1);
    fields_.push_back(f);
    in_field = true;
    skipping = false;
    pos = line.next;
  }
  header_block_ = bytes.substr(0, header_end);
  if (!separator && !last_line_ended) note(MessageDefect::header_not_terminated);
}

const HeaderField* ParsedMessage::first(std::string_view name) const noexcept {
  for (const HeaderField& f : fields_) {
    if (field_name_equals(f.name, name)) return &f;
  }
  return nullptr;
}

// RFC 5322 §3.4: the domain of an addr-spec starts after '@'; CFWS may precede it.
namespace {

std::size_t skip_quoted(std::string_view s, std::size_t i) noexcept {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return s.size();
}

std::size_t skip_comment(std::string_view s, std::size_t i) noexcept {  // comments nest (§3.2.2)
  int depth = 0;
  for (; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '(') {
      ++depth;
    } else if (s[i] == ')' && --depth == 0) {
      return i + 1;
    }
  }
  return s.size();
}

std::string_view domain_at(std::string_view s, std::size_t i) noexcept {
  while (i < s.size()) {
    const char c = s[i];
    if (is_wsp(c) || c == '\r' || c == '\n') {
      ++i;
    } else if (c == '(') {
      i = skip_comment(s, i);
    } else {
      break;
    }
  }
  if (i < s.size() && s[i] == '[') {  // domain-literal
    const std::size_t close = s.find(']', i);
    return close == std::string_view::npos ? std::string_view{} : s.substr(i, close + 1 - i);
  }
  std::size_t j = i;
  while (j < s.size() && std::strchr(" \t\r\n()<>,;:\"@[]\\", s[j]) == nullptr) ++j;
  return s.substr(i, j - i);
}

}  // namespace

// Finds the first mailbox of the value: quoted strings and comments are skipped, an angle-addr
// wins over '@' seen in a display name, a group's "name:" prefix is passed over (§3.4).
std::string_view from_domain(std::string_view v) noexcept {
  std::size_t at = std::string_view::npos;        // last '@' outside <> in this mailbox
  std::size_t angle_at = std::string_view::npos;  // last '@' inside <> (after any obs-route)
  bool in_angle = false;
  std::size_t i = 0;
  while (i < v.size()) {
    const char c = v[i];
    if (c == '"') {
      i = skip_quoted(v, i);
      continue;
    }
    if (c == '(') {
      i = skip_comment(v, i);
      continue;
    }
    if (c == '\\') {
      i += 2;
      continue;
    }
    if (c == '<') {
      in_angle = true;
      angle_at = std::string_view::npos;
    } else if (c == '>' && in_angle) {
      in_angle = false;
      if (angle_at != std::string_view::npos) {
        const std::string_view d = domain_at(v, angle_at + 1);
        if (!d.empty()) return d;
      }
      at = std::string_view::npos;
    } else if (c == '@') {
      (in_angle ? angle_at : at) = i;
    } else if (c == ':' && !in_angle) {
      at = std::string_view::npos;  // what came before was a group's display name
    } else if ((c == ',' || c == ';') && !in_angle) {
      if (at != std::string_view::npos) {
        const std::string_view d = domain_at(v, at + 1);
        if (!d.empty()) return d;
      }
      at = std::string_view::npos;
    }
    ++i;
  }
  if (in_angle && angle_at != std::string_view::npos) return domain_at(v, angle_at + 1);
  if (at != std::string_view::npos) return domain_at(v, at + 1);
  return {};
}

}  // namespace dkimscan::engine
