// File: verdict.h
// What one DKIM signature check concluded: a Verdict in RFC 8601 §2.7.1 words and one Reason, a
// stable code a person can act on. classify() is the only place a Reason becomes a Verdict; all
// texts live in one table (verdict.cpp), so output strings and grep always match.
#pragma once

#include <cstdint>
#include <string_view>

namespace dkimscan::engine {

enum class Verdict : std::uint8_t { none, pass, fail, neutral, policy, temperror, permerror };

enum class Reason : std::uint16_t {
  ok,
  no_signature,  // → none

  // The DKIM-Signature field itself (RFC 6376 §3.5, §6.1.1) → permerror.
  sig_syntax,
  sig_duplicate_tag,
  sig_missing_v,   // v= is there but empty ("v=;"): refused under either policy
  sig_missing_a,
  sig_missing_b,
  sig_missing_bh,
  sig_missing_d,
  sig_missing_h,
  sig_missing_s,
  sig_no_version,  // no v= tag at all, as draft-era signatures have: accepted only with --legacy
  sig_bad_version,
  sig_unknown_algorithm,
  sig_bad_canonicalization,
  sig_bad_base64,
  sig_bad_domain,
  sig_bad_selector,
  sig_bad_auid,
  sig_auid_outside_sdid,
  sig_bad_signed_headers,
  sig_from_not_signed,
  sig_bad_body_length,
  sig_body_length_exceeds_body,
  sig_bad_timestamp,
  sig_bad_expiration,
  sig_expiration_before_timestamp,
  sig_expired,
  sig_unsupported_query_method,
  sig_rsa_sha1_rejected,  // RFC 8301 §3.1 (strict policy)

  // The key record (RFC 6376 §3.6, §6.1.2).
  key_not_found,      // NXDOMAIN or no TXT record → permerror
  key_dns_timeout,    // → temperror
  key_dns_servfail,   // SERVFAIL, REFUSED, network error → temperror
  key_syntax,         // → permerror from here on
  key_bad_version,
  key_revoked,
  key_unknown_type,
  key_type_mismatch,
  key_hash_not_allowed,
  key_service_not_email,
  key_strict_subdomain,
  key_bad_data,
  key_too_small,  // RFC 8301 §3.2

  // The cryptographic checks (RFC 6376 §6.1.3) → fail.
  body_hash_mismatch,
  signature_mismatch,

  // Local policy (VerifyOptions::local): the signature verified, but a rule refuses it → policy.
  policy_key_too_small,
  policy_partial_body,
  policy_header_not_signed,

  // Not checked at all.
  sig_over_cap,    // beyond --max-signatures → neutral
  internal_error,  // OpenSSL refused an operation it should not → temperror

  count_  // not a reason: the number of reasons
};

inline constexpr std::size_t kReasonCount = static_cast<std::size_t>(Reason::count_);

// The RFC 8601 word for a verdict ("pass", "permerror", ...).
std::string_view verdict_name(Verdict verdict) noexcept;
// The verdict a reason implies (the only reason→verdict mapping).
Verdict classify(Reason reason) noexcept;
// A stable snake_case code for machines ("body_hash_mismatch") and a sentence for people.
std::string_view reason_code(Reason reason) noexcept;
std::string_view reason_text(Reason reason) noexcept;

// Orders verdicts for "the message's best result": pass beats fail beats policy, neutral,
// temperror, permerror, none. A larger rank is better.
int verdict_rank(Verdict verdict) noexcept;

}  // namespace dkimscan::engine
