// File: header_hash.h
// The header half of the signed data (RFC 6376 §3.7, §5.4.2): the fields named in h= picked
// bottom-up (a name listed more often than present adds nothing: over-signing), each
// canonicalized, then the signature's own field with its b= value emptied and no final CRLF.
#pragma once

#include <algorithm>
#include <cstdint>
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

namespace detail {

// Past this many name comparisons (fields × h= listings) the fields are indexed by name first.
// Real messages stay far below it and take the allocation-free scan; a crafted one with 50,000
// fields and as many listings took 1.5 s per signature scanning, and the index keeps it linear.
inline constexpr std::size_t kSelectScanLimit = std::size_t{1} << 16;

// What select_signed_headers() chooses, in h= order, through an index of the fields by name.
std::vector<const HeaderField*> select_by_name_index(const std::vector<HeaderField>& fields, std::string_view h_value);

}  // namespace detail

// Implementation of the template: each listing takes the bottom-most field of that name not yet
// taken, so the k-th listing of a name gets the k-th such field from the bottom (§5.4.2). Names
// are compared with the WSP before ':' trimmed (RFC 5322 obs-field-name). Taken fields are marked
// in a stack bitmap (a heap one only past kInlineFields fields), so any number of listings works.
template <class Fn>
void select_signed_headers(const std::vector<HeaderField>& fields, std::string_view h_value, Fn&& fn) {
  const std::size_t most_listings = detail::kSelectScanLimit / std::max<std::size_t>(fields.size(), 1);
  // h= holds at most (size + 1) / 2 listings (a name, then a colon): most h= values are too short
  // to pass the limit, and are not counted.
  if (h_value.size() / 2 >= most_listings) {
    std::size_t listings = 0;
    for_each_signed_header(h_value, [&](std::string_view) { ++listings; });
    if (listings > most_listings) {
      for (const HeaderField* field : detail::select_by_name_index(fields, h_value)) fn(field);
      return;
    }
  }
  constexpr std::size_t kInlineFields = 512;
  std::uint64_t inline_taken[kInlineFields / 64] = {};
  std::vector<std::uint64_t> heap_taken;
  std::uint64_t* taken = inline_taken;
  if (fields.size() > kInlineFields) {
    heap_taken.assign((fields.size() + 63) / 64, 0);
    taken = heap_taken.data();
  }
  for_each_signed_header(h_value, [&](std::string_view name) {
    const HeaderField* chosen = nullptr;
    for (std::size_t i = fields.size(); i-- > 0;) {
      if ((taken[i / 64] >> (i % 64)) & 1U) continue;
      if (!field_name_equals(fields[i].name, name)) continue;
      taken[i / 64] |= std::uint64_t{1} << (i % 64);
      chosen = &fields[i];
      break;
    }
    fn(chosen);
  });
}

}  // namespace dkimscan::engine
