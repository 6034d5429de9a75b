// File: message.h
// A message split into header fields and body, as views over the caller's bytes (no copy). Both
// CRLF and bare-LF line ends are accepted: canonicalization emits CRLF either way, which is how
// bare-LF archives verify like their CRLF originals.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace dkimscan::engine {

struct HeaderField {
  std::string_view raw;    // the whole field: name, ':', value, folded lines, final line end
  std::string_view name;   // as written, before the ':' (case-insensitive)
  std::string_view value;  // after the ':' up to (not including) the final line end
};

// Problems found while splitting. The message is still split as well as it can be.
enum class MessageDefect : std::uint8_t {
  none,
  empty,                  // no bytes at all
  no_header_fields,       // the first line is not a header field (it is skipped, e.g. mbox "From ")
  // The input ends inside the header, on a line without a line end (cut off?): all header, empty
  // body. A header that ends with its last line end and no empty line is no defect: RFC 5322
  // §3.5 makes the body optional, and such a message verifies with an empty body.
  header_not_terminated,
  header_line_without_colon,  // a line in the header is neither a field nor a continuation:
                              // it is skipped with its continuation lines, so no field grows
};
// When several defects occur, defect() reports the first one found.

// LIFETIME: every view points into the bytes given to split(); keep them alive while this lives.
// Reused per thread: split() clears the field list but keeps its capacity.
class ParsedMessage {
 public:
  void split(std::string_view bytes);

  const std::vector<HeaderField>& fields() const noexcept { return fields_; }
  std::string_view header_block() const noexcept { return header_block_; }
  std::string_view body() const noexcept { return body_; }
  MessageDefect defect() const noexcept { return defect_; }

  // The topmost field with this name, or nullptr.
  const HeaderField* first(std::string_view name) const noexcept;

 private:
  std::vector<HeaderField> fields_;
  std::string_view header_block_;
  std::string_view body_;
  MessageDefect defect_ = MessageDefect::none;
};

bool iequals(std::string_view a, std::string_view b) noexcept;

// Whether name is an RFC 5322 field-name (§3.6.8): 1*ftext, printable US-ASCII except ':'.
bool is_field_name(std::string_view name) noexcept;
// A field name without the WSP that RFC 5322 obs syntax allows before ':' ("Subject :").
std::string_view field_name_trimmed(std::string_view name) noexcept;
// Whether a field's raw name is `wanted`, compared trimmed and case-insensitively.
bool field_name_equals(std::string_view field_name, std::string_view wanted) noexcept;

// The domain of the first address in a From field value ("Joe <joe@Example.com>" → "Example.com"),
// or empty when none can be found.
std::string_view from_domain(std::string_view from_value) noexcept;

}  // namespace dkimscan::engine
