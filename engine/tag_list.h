// File: tag_list.h
// The RFC 6376 §3.2 tag=value list that both DKIM-Signature fields and key records use. The parser
// hands out views into the text it was given (no copy) and the exact span of each raw value, so
// the signature's b= value can later be blanked byte for byte (§3.7), never by pattern matching.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace dkimscan::engine {

// Packs a short tag name into an integer so callers can dispatch with a switch:
//   switch (tag_key(tag.name)) { case tag_key("bh"): ... }
// Names longer than 8 bytes map to 0 (no DKIM tag is that long; they are ignored as unknown).
constexpr std::uint64_t tag_key(std::string_view name) noexcept {
  if (name.size() > 8) return 0;
  std::uint64_t key = 0;
  for (char c : name) key = (key << 8) | static_cast<unsigned char>(c);
  return key;
}

struct Tag {
  std::string_view name;       // tag-name, case-sensitive (§3.2)
  std::string_view value;      // tag-value without leading/trailing FWS; may contain inner FWS
  std::size_t raw_value_begin;  // offset in the parsed text just after '='
  std::size_t raw_value_end;    // offset of the ';' ending the value, or the text's end
};

enum class TagListStatus : std::uint8_t { ok, syntax_error, duplicate_tag, too_many_tags };

// Up to kMaxTags tags, in the order they appear. Fixed capacity: parsing allocates nothing.
class TagList {
 public:
  static constexpr std::size_t kMaxTags = 64;

  TagListStatus parse(std::string_view text) noexcept;

  const Tag* find(std::string_view name) const noexcept;
  const Tag* begin() const noexcept { return tags_.data(); }
  const Tag* end() const noexcept { return tags_.data() + size_; }
  std::size_t size() const noexcept { return size_; }

 private:
  std::array<Tag, kMaxTags> tags_{};
  std::size_t size_ = 0;
};

// True for the RFC 5322 FWS characters the tag grammar allows between tokens (SP, HTAB, CR, LF).
constexpr bool is_fws_char(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Removes leading and trailing FWS.
std::string_view trim_fws(std::string_view text) noexcept;

// Calls fn(item) for each item of a colon-separated tag value (§3.5 q=; §3.6.1 h=, s=, t=), with
// FWS trimmed and empty items skipped, in order.
template <class Fn>
void for_each_colon_item(std::string_view list, Fn&& fn) {
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t colon = list.find(':', start);
    if (colon == std::string_view::npos) colon = list.size();
    std::string_view item = trim_fws(list.substr(start, colon - start));
    if (!item.empty()) fn(item);
    start = colon + 1;
  }
}

// Decodes base64 that may contain FWS anywhere (§3.5 b=, bh=; §3.6.1 p=) into out.
// Returns the decoded length, or -1 when the text is not valid base64 or does not fit.
std::ptrdiff_t decode_base64_fws(std::string_view text, unsigned char* out, std::size_t capacity) noexcept;

}  // namespace dkimscan::engine
