// File: signature.h
// One DKIM-Signature header field, parsed and checked against the grammar of RFC 6376 §3.5 and
// the per-signature rules of §6.1.1 that need neither the key nor the clock. Views point into the
// message; b= and bh= are decoded into fixed arrays, so parsing allocates nothing.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "engine/algorithms.h"
#include "engine/body_hash.h"
#include "engine/message.h"
#include "engine/tag_list.h"
#include "engine/verdict.h"

namespace dkimscan::engine {

struct Signature {
  // LIFETIME: all views point into the message the field came from.
  const HeaderField* field = nullptr;

  Algorithm algorithm = Algorithm::rsa_sha256;
  std::string_view algorithm_text;  // a= as written (reported even when unknown)
  Canon header_canon = Canon::simple;
  Canon body_canon = Canon::simple;
  std::string_view canon_text;  // c= as written, empty when absent
  std::string_view domain;      // d=
  std::string_view selector;    // s=
  std::string_view auid;        // i= as written (dkim-quoted-printable); empty when absent
  std::string_view signed_headers;  // h= as written: colon-separated names with FWS
  std::string_view copied_headers;  // z=, kept for reporting
  bool has_version = false;         // false only for draft-era signatures (legacy policy)
  std::optional<std::uint64_t> body_length;  // l=
  std::optional<std::uint64_t> timestamp;    // t=
  std::optional<std::uint64_t> expiration;   // x=

  // The b= value's raw span within field->value, to be emptied for the header hash (§3.7).
  std::size_t b_value_begin = 0;
  std::size_t b_value_end = 0;

  std::array<unsigned char, 2048> b{};  // RSA up to 16384 bits, OpenSSL's largest modulus
  std::size_t b_size = 0;
  std::array<unsigned char, 64> bh{};
  std::size_t bh_size = 0;
};

// The body hash sig's bh= is checked against: its body canonicalization, hash and l=.
inline BodyHashKey body_hash_key(const Signature& sig) noexcept {
  return BodyHashKey{sig.body_canon, hash_of(sig.algorithm), sig.body_length};
}

// Parses field (a DKIM-Signature field of message) into out, which it resets first. Returns
// Reason::ok or the first permerror reason found (§6.1.1); out's d=, s=, i=, a=, c= and h= views are
// those written in the field even then. The checks that need the clock are in check_signature_times().
Reason parse_signature(const HeaderField& field, Policy policy, Signature& out) noexcept;

// §3.5 t= and x=: x < t is malformed (checked at parse time); x in the past (before now) expires it.
Reason check_signature_times(const Signature& sig, std::int64_t now) noexcept;

// §3.5 d= (an RFC 5321 sub-domain) and §3.1 s= (dot-separated sub-domain labels): labels of
// letters, digits and '-', none empty, each at most 63 bytes, 253 in all. '_' is tolerated, as real
// selectors use it. Anything else names no key that may be asked for.
bool is_valid_dns_name(std::string_view text) noexcept;

// §3.5 i= as written (dkim-quoted-printable) against d=: ok; sig_bad_auid when, decoded, it is no
// [local-part]@domain; sig_auid_outside_sdid when its domain is neither d= nor a subdomain of it.
Reason check_auid_value(std::string_view written, std::string_view domain) noexcept;

// Decodes dkim-quoted-printable (§2.11) as used in i=, into out. Returns false if malformed.
bool decode_dkim_quoted_printable(std::string_view text, std::array<char, 256>& out, std::size_t& out_size) noexcept;

// Calls fn(name) for each name in h=, FWS removed, in order (names may repeat: over-signing).
template <class Fn>
void for_each_signed_header(std::string_view h_value, Fn&& fn) {
  for_each_colon_item(h_value, std::forward<Fn>(fn));
}

}  // namespace dkimscan::engine
