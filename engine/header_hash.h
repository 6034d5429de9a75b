// File: header_hash.h
// The header half of the signed data (RFC 6376 §3.7, §5.4.2): the fields named in h= picked
// bottom-up (a name listed more often than present adds nothing: over-signing), each
// canonicalized, then the signature's own field with its b= value emptied and no final CRLF.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "engine/crypto/digest.h"
#include "engine/message.h"
#include "engine/signature.h"

namespace dkimscan::engine {

// Calls fn(field) for each name of h= in order with the bottom-most field of that name not yet
// used, or fn(nullptr) when there is none left.
template <class Fn>
void select_signed_headers(const std::vector<HeaderField>& fields, std::string_view h_value, Fn&& fn);

// Hashes the header data of sig into digest (begun and finished here); returns the digest size.
std::size_t compute_header_hash(const ParsedMessage& message, const Signature& sig, Digest& digest,
                                DigestBytes& out) noexcept;

// Implementation of the template: the k-th listing of a name takes the k-th field of that name
// counted from the bottom (§5.4.2). Quadratic in the number of names, which is small.
template <class Fn>
void select_signed_headers(const std::vector<HeaderField>& fields, std::string_view h_value, Fn&& fn) {
  std::size_t listing = 0;
  std::string_view listed[256];
  for_each_signed_header(h_value, [&](std::string_view name) {
    std::size_t earlier = 0;
    for (std::size_t i = 0; i < listing && i < 256; ++i) earlier += iequals(listed[i], name) ? 1 : 0;
    if (listing < 256) listed[listing] = name;
    ++listing;
    const HeaderField* chosen = nullptr;
    std::size_t seen = 0;
    for (auto it = fields.rbegin(); it != fields.rend(); ++it) {
      if (!iequals(it->name, name)) continue;
      if (seen++ == earlier) {
        chosen = &*it;
        break;
      }
    }
    fn(chosen);
  });
}

}  // namespace dkimscan::engine
