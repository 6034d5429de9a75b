// File: tag_list_fuzz.cpp
// libFuzzer target for the RFC 6376 §3.2 tag-list parser and the FWS-tolerant base64 decoder:
// no crash, no out-of-bounds span, and the invariants the b= blanking relies on (§3.7).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engine/tag_list.h"

using dkimscan::engine::Tag;
using dkimscan::engine::TagList;
using dkimscan::engine::TagListStatus;

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

void check_tags(std::string_view text, const TagList& tags) {
  check(tags.size() <= TagList::kMaxTags);
  for (const Tag& tag : tags) {
    check(!tag.name.empty());
    check(tag.raw_value_begin <= tag.raw_value_end && tag.raw_value_end <= text.size());
    check(tag.raw_value_end == text.size() || text[tag.raw_value_end] == ';');
    check(text[tag.raw_value_begin - 1] == '=');
    // The trimmed value lies inside the raw span.
    const char* raw_begin = text.data() + tag.raw_value_begin;
    const char* raw_end = text.data() + tag.raw_value_end;
    check(tag.value.data() >= raw_begin && tag.value.data() + tag.value.size() <= raw_end);
    check(tags.find(tag.name) == &tag);  // names are unique
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  TagList tags;
  if (tags.parse(text) == TagListStatus::ok) {
    check(tags.size() > 0);
    check_tags(text, tags);
  }
  const std::string_view trimmed = dkimscan::engine::trim_fws(text);
  check(trimmed.size() <= text.size());

  unsigned char out[96];
  const std::ptrdiff_t decoded = dkimscan::engine::decode_base64_fws(text, out, sizeof out);
  check(decoded >= -1 && decoded <= static_cast<std::ptrdiff_t>(sizeof out));
  check(decoded <= static_cast<std::ptrdiff_t>(size * 3 / 4 + 1));
  return 0;
}
