// File: header_hash.cpp
// The header hash input (RFC 6376 §3.7, §5.4.2): each field h= selects, canonicalized with the
// signature's header canonicalization, then the DKIM-Signature field itself with b= emptied.
#include "engine/header_hash.h"

#include <string>
#include <unordered_map>

namespace dkimscan::engine {

namespace detail {

std::vector<const HeaderField*> select_by_name_index(const std::vector<HeaderField>& fields, std::string_view h_value) {
  // The key of a name as field_name_equals() compares it: ASCII letters folded, and for a field
  // the WSP before its colon dropped.
  auto key = [](std::string_view name) {
    std::string folded(name);
    for (char& c : folded) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    return folded;
  };
  std::unordered_map<std::string, std::vector<const HeaderField*>> by_name;  // each top to bottom
  for (const HeaderField& field : fields) by_name[key(field_name_trimmed(field.name))].push_back(&field);
  std::vector<const HeaderField*> chosen;
  for_each_signed_header(h_value, [&](std::string_view name) {
    auto found = by_name.find(key(name));
    if (found == by_name.end() || found->second.empty()) {
      chosen.push_back(nullptr);  // §5.4.2: listed more often than present
      return;
    }
    chosen.push_back(found->second.back());  // the bottom-most not yet taken
    found->second.pop_back();
  });
  return chosen;
}

}  // namespace detail

std::size_t compute_header_hash(const ParsedMessage& message, const Signature& sig, Digest& digest,
                                DigestBytes& out) noexcept {
  digest.begin(hash_of(sig.algorithm));
  // §5.4.2: a name listed more often than present (over-signing) contributes nothing.
  select_signed_headers(message.fields(), sig.signed_headers, [&](const HeaderField* field) {
    if (field != nullptr) canon_header(sig.header_canon, field->raw, digest);
  });
  if (sig.field != nullptr) {
    // §3.7: the signature field last, b= value empty, no final CRLF. b_value_* are offsets in
    // field->value, which is a view into field->raw.
    const HeaderField& f = *sig.field;
    const std::size_t value_offset = static_cast<std::size_t>(f.value.data() - f.raw.data());
    canon_signature_header(sig.header_canon, f.raw, value_offset + sig.b_value_begin,
                           value_offset + sig.b_value_end, digest);
  }
  return digest.finish(out);
}

}  // namespace dkimscan::engine
