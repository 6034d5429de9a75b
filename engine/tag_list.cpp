// File: tag_list.cpp
// The RFC 6376 §3.2 tag=value list parser shared by DKIM-Signature fields and key records, and the
// FWS-tolerant base64 decoder both need. Views point into the caller's text; nothing is allocated.
// Each tag's raw value span (after '=' up to ';') is kept so b= can be blanked exactly (§3.7).
#include "engine/tag_list.h"

#include <array>
#include <cstdint>

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

// Per-byte answers from one table each: a branch per byte instead of a chain of comparisons
// (these loops run over every DKIM-Signature value, b= included, twice per message).
constexpr std::uint8_t kBase64Fws = 64, kBase64Pad = 65, kBase64Bad = 0xFF;

// RFC 4648 §4 alphabet value (0-63), kBase64Fws for FWS characters, kBase64Pad for '='.
constexpr std::array<std::uint8_t, 256> make_base64_table() noexcept {
  std::array<std::uint8_t, 256> table{};
  for (auto& v : table) v = kBase64Bad;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = static_cast<std::uint8_t>(c - 'A');
  for (int c = 'a'; c <= 'z'; ++c) table[c] = static_cast<std::uint8_t>(c - 'a' + 26);
  for (int c = '0'; c <= '9'; ++c) table[c] = static_cast<std::uint8_t>(c - '0' + 52);
  table['+'] = 62;
  table['/'] = 63;
  for (int c = 0; c < 256; ++c) {
    if (is_fws_char(static_cast<char>(c))) table[c] = kBase64Fws;
  }
  table['='] = kBase64Pad;
  return table;
}
constexpr std::array<std::uint8_t, 256> kBase64 = make_base64_table();

// RFC 6376 §3.2: tag-value = [ tval *( 1*(WSP / FWS) tval ) ], tval = 1*VALCHAR.
constexpr std::array<bool, 256> make_value_table() noexcept {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c) table[c] = is_valchar(static_cast<char>(c)) || is_fws_char(static_cast<char>(c));
  return table;
}
constexpr std::array<bool, 256> kValueChar = make_value_table();

bool is_valid_value(std::string_view value) noexcept {
  bool ok = true;
  for (char c : value) ok &= kValueChar[static_cast<unsigned char>(c)];  // no early exit: vectorizes
  return ok;
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
  std::uint32_t acc = 0;  // the sextets of the group being read
  std::size_t chars = 0;
  std::size_t pad = 0;
  std::size_t size = 0;
  for (char c : text) {
    const std::uint8_t v = kBase64[static_cast<unsigned char>(c)];
    if (v < 64) [[likely]] {
      if (pad > 0) return -1;  // data after padding
      acc = (acc << 6) | v;
      if ((++chars & 3) == 0) {  // a whole group: three bytes
        if (capacity - size < 3) return -1;
        out[size] = static_cast<unsigned char>(acc >> 16);
        out[size + 1] = static_cast<unsigned char>(acc >> 8);
        out[size + 2] = static_cast<unsigned char>(acc);
        size += 3;
        acc = 0;
      }
    } else if (v == kBase64Pad) {
      if (++pad > 2) return -1;
    } else if (v != kBase64Fws) {
      return -1;
    }
  }
  switch (chars & 3) {
    case 1: return -1;  // six bits: not a whole byte
    case 2:             // twelve bits: one byte
      if (capacity - size < 1) return -1;
      out[size++] = static_cast<unsigned char>(acc >> 4);
      break;
    case 3:  // eighteen bits: two bytes
      if (capacity - size < 2) return -1;
      out[size++] = static_cast<unsigned char>(acc >> 10);
      out[size++] = static_cast<unsigned char>(acc >> 2);
      break;
  }
  if (pad > 0 && (chars + pad) % 4 != 0) return -1;
  return static_cast<std::ptrdiff_t>(size);
}

}  // namespace dkimscan::engine
