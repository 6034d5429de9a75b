// File: tag_list.cpp
// The RFC 6376 §3.2 tag=value list parser shared by DKIM-Signature fields and key records, and the
// FWS-tolerant base64 decoder both need. Views point into the caller's text; nothing is allocated.
// Each tag's raw value span (after '=' up to ';') is kept so b= can be blanked exactly (§3.7).
#include "engine/tag_list.h"

namespace dkimscan::engine {
namespace {

constexpr bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// RFC 6376 §3.2: VALCHAR = %x21-3A / %x3C-7E (printable ASCII except ';').
constexpr bool is_valchar(char c) noexcept {
  auto u = static_cast<unsigned char>(c);
  return (u >= 0x21 && u <= 0x3A) || (u >= 0x3C && u <= 0x7E);
}

std::size_t skip_fws(std::string_view text, std::size_t pos) noexcept {
  while (pos < text.size() && is_fws_char(text[pos])) ++pos;
  return pos;
}

// RFC 6376 §3.2: tag-value = [ tval *( 1*(WSP / FWS) tval ) ], tval = 1*VALCHAR.
bool is_valid_value(std::string_view value) noexcept {
  for (char c : value) {
    if (!is_valchar(c) && !is_fws_char(c)) return false;
  }
  return true;
}

// RFC 4648 §4 alphabet; -1 for anything else.
constexpr int base64_value(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

TagListStatus TagList::parse(std::string_view text) noexcept {
  size_ = 0;
  std::size_t pos = 0;
  for (;;) {
    pos = skip_fws(text, pos);
    // §3.2: tag-list = tag-spec *( ";" tag-spec ) [ ";" ]: at least one tag, one trailing ';' allowed.
    if (pos == text.size()) return size_ > 0 ? TagListStatus::ok : TagListStatus::syntax_error;
    // §3.2: tag-name = ALPHA *ALNUMPUNC, ALNUMPUNC = ALPHA / DIGIT / "_".
    const std::size_t name_begin = pos;
    if (!is_alpha(text[pos])) return TagListStatus::syntax_error;
    while (pos < text.size() && (is_alpha(text[pos]) || is_digit(text[pos]) || text[pos] == '_')) ++pos;
    const std::string_view name = text.substr(name_begin, pos - name_begin);
    pos = skip_fws(text, pos);
    if (pos == text.size() || text[pos] != '=') return TagListStatus::syntax_error;
    ++pos;
    std::size_t value_end = text.find(';', pos);
    if (value_end == std::string_view::npos) value_end = text.size();
    const std::string_view value = trim_fws(text.substr(pos, value_end - pos));
    if (!is_valid_value(value)) return TagListStatus::syntax_error;
    // §3.2: "Tags with duplicate names MUST NOT occur within a single tag-list".
    if (find(name) != nullptr) return TagListStatus::duplicate_tag;
    if (size_ == kMaxTags) return TagListStatus::too_many_tags;
    tags_[size_++] = Tag{name, value, pos, value_end};
    if (value_end == text.size()) return TagListStatus::ok;
    pos = value_end + 1;
  }
}

const Tag* TagList::find(std::string_view name) const noexcept {
  // §3.2: tag names are case-sensitive.
  for (const Tag& tag : *this) {
    if (tag.name == name) return &tag;
  }
  return nullptr;
}

std::string_view trim_fws(std::string_view text) noexcept {
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && is_fws_char(text[begin])) ++begin;
  while (end > begin && is_fws_char(text[end - 1])) --end;
  return text.substr(begin, end - begin);
}

// §3.5 base64string = ALPHADIGITPS *([FWS] ALPHADIGITPS) [ [FWS] "=" [ [FWS] "=" ] ]: FWS may
// appear anywhere and '=' only at the end. Unpadded input is accepted when its length is whole
// bytes (2 or 3 characters in the last group); a lone sixth-of-a-byte group is not.
std::ptrdiff_t decode_base64_fws(std::string_view text, unsigned char* out, std::size_t capacity) noexcept {
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t chars = 0;
  std::size_t pad = 0;
  std::size_t size = 0;
  for (char c : text) {
    if (is_fws_char(c)) continue;
    if (c == '=') {
      if (++pad > 2) return -1;
      continue;
    }
    if (pad > 0) return -1;  // data after padding
    const int v = base64_value(c);
    if (v < 0) return -1;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    ++chars;
    if (bits >= 8) {
      bits -= 8;
      if (size == capacity) return -1;
      out[size++] = static_cast<unsigned char>(acc >> bits);
      acc &= (1u << bits) - 1;
    }
  }
  if (chars % 4 == 1) return -1;
  if (pad > 0 && (chars + pad) % 4 != 0) return -1;
  return static_cast<std::ptrdiff_t>(size);
}

}  // namespace dkimscan::engine
