// File: header_hash.cpp
// The header hash input (RFC 6376 §3.7, §5.4.2): each field h= selects, canonicalized with the
// signature's header canonicalization, then the DKIM-Signature field itself with b= emptied.
#include "engine/header_hash.h"

namespace dkimscan::engine {

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
