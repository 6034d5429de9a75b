// File: verdict.cpp
// The one table of reasons (after simdjson's error_tables.cpp): per Reason its Verdict, its stable
// snake_case code (the enumerator's name) and a sentence a person can act on. classify(),
// reason_code() and reason_text() only index it; static_asserts keep it complete and in order.
#include "engine/verdict.h"

#include <array>
#include <cstddef>

namespace dkimscan::engine {
namespace {

struct ReasonInfo {
  Reason reason;
  Verdict verdict;
  std::string_view code;
  std::string_view text;
};

using enum Reason;
constexpr Verdict kPermerror = Verdict::permerror;
constexpr Verdict kTemperror = Verdict::temperror;

// Tables are the exception to the function-length rule (STYLE.md).
constexpr std::array<ReasonInfo, kReasonCount> kReasonTable{{
    {ok, Verdict::pass, "ok", "The signature verified"},
    {no_signature, Verdict::none, "no_signature", "The message has no DKIM-Signature header field"},

    // RFC 6376 §3.5 and §6.1.1: the signature field itself.
    {sig_syntax, kPermerror, "sig_syntax",
     "The DKIM-Signature tag list is malformed (RFC 6376 §3.2): a tag without '=', a bad tag name or an "
     "empty element such as ';;'"},
    {sig_duplicate_tag, kPermerror, "sig_duplicate_tag",
     "A tag appears more than once in the DKIM-Signature field (RFC 6376 §3.2)"},
    {sig_missing_v, kPermerror, "sig_missing_v", "The v= tag is empty; RFC 6376 §3.5 requires v=1"},
    {sig_missing_a, kPermerror, "sig_missing_a", "The required a= tag (algorithm) is missing (RFC 6376 §3.5)"},
    {sig_missing_b, kPermerror, "sig_missing_b", "The required b= tag (signature) is missing (RFC 6376 §3.5)"},
    {sig_missing_bh, kPermerror, "sig_missing_bh",
     "The required bh= tag (body hash) is missing (RFC 6376 §3.5)"},
    {sig_missing_d, kPermerror, "sig_missing_d",
     "The required d= tag (signing domain) is missing (RFC 6376 §3.5)"},
    {sig_missing_h, kPermerror, "sig_missing_h",
     "The required h= tag (signed header fields) is missing (RFC 6376 §3.5)"},
    {sig_missing_s, kPermerror, "sig_missing_s", "The required s= tag (selector) is missing (RFC 6376 §3.5)"},
    {sig_no_version, kPermerror, "sig_no_version",
     "The signature has no v= tag, a pre-RFC draft format (RFC 6376 §3.5 requires v=1); --legacy accepts it"},
    {sig_bad_version, kPermerror, "sig_bad_version",
     "The v= tag is not 1 (RFC 6376 §3.5); --legacy also accepts the draft version 0.5"},
    {sig_unknown_algorithm, kPermerror, "sig_unknown_algorithm",
     "The a= algorithm is not rsa-sha256, ed25519-sha256 or rsa-sha1 (RFC 6376 §3.3, RFC 8463 §3)"},
    {sig_bad_canonicalization, kPermerror, "sig_bad_canonicalization",
     "The c= value is not simple or relaxed, as header/body or header alone (RFC 6376 §3.5)"},
    {sig_bad_base64, kPermerror, "sig_bad_base64", "The b= or bh= value is empty, not base64, or longer than any signature or hash (RSA keys go up to 16384 bits) (RFC 6376 §3.5)"},
    {sig_bad_domain, kPermerror, "sig_bad_domain", "The d= value is not a domain name (RFC 6376 §3.5)"},
    {sig_bad_selector, kPermerror, "sig_bad_selector",
     "The s= value is not a selector of dot-separated labels (RFC 6376 §3.1)"},
    {sig_bad_auid, kPermerror, "sig_bad_auid",
     "The i= value is not [local-part]@domain in dkim-quoted-printable (RFC 6376 §3.5, §2.11)"},
    {sig_auid_outside_sdid, kPermerror, "sig_auid_outside_sdid",
     "The i= domain is neither the d= domain nor a subdomain of it (RFC 6376 §3.5)"},
    {sig_bad_signed_headers, kPermerror, "sig_bad_signed_headers",
     "The h= list has an empty item (as in 'from::to' or a trailing ':') or a name that is not a header "
     "field name (RFC 6376 §3.5); --legacy skips empty items"},
    {sig_from_not_signed, kPermerror, "sig_from_not_signed",
     "The h= list does not include the From field, which must be signed (RFC 6376 §5.4)"},
    {sig_bad_body_length, kPermerror, "sig_bad_body_length",
     "The l= value is not a decimal number of at most 76 digits (RFC 6376 §3.5)"},
    {sig_body_length_exceeds_body, kPermerror, "sig_body_length_exceeds_body",
     "l= counts more body bytes than the message has: the body was cut after signing (RFC 6376 §3.4.5)"},
    {sig_bad_timestamp, kPermerror, "sig_bad_timestamp",
     "The t= value is not a decimal number of seconds since 1970 (RFC 6376 §3.5)"},
    {sig_bad_expiration, kPermerror, "sig_bad_expiration",
     "The x= value is not a decimal number of seconds since 1970 (RFC 6376 §3.5)"},
    {sig_expiration_before_timestamp, kPermerror, "sig_expiration_before_timestamp",
     "The expiry x= is earlier than the signing time t= (RFC 6376 §3.5)"},
    {sig_expired, kPermerror, "sig_expired",
     "The signature expired: x= is before the verification time (RFC 6376 §3.5); verify old archives with "
     "a verification time from when they were received"},
    {sig_unsupported_query_method, kPermerror, "sig_unsupported_query_method",
     "q= lists no supported key query method; RFC 6376 §3.5 defines only dns/txt (--legacy also accepts "
     "the draft spelling dns)"},
    {sig_rsa_sha1_rejected, kPermerror, "sig_rsa_sha1_rejected",
     "rsa-sha1 signatures are not accepted (RFC 8301 §3.1); --legacy accepts them"},

    // RFC 6376 §3.6 and §6.1.2: the key record.
    {key_not_found, kPermerror, "key_not_found",
     "No key record exists at s=._domainkey.d= (NXDOMAIN or no TXT record, RFC 6376 §6.1.2)"},
    {key_dns_timeout, kTemperror, "key_dns_timeout", "The DNS query for the key timed out; try again later"},
    {key_dns_servfail, kTemperror, "key_dns_servfail",
     "The DNS query for the key failed (SERVFAIL, REFUSED or a network error); try again later"},
    {key_syntax, kPermerror, "key_syntax",
     "The key record is not a valid tag list or has no p= tag (RFC 6376 §3.6.1)"},
    {key_bad_version, kPermerror, "key_bad_version",
     "The key record's v= is not DKIM1 or is not the first tag (RFC 6376 §3.6.1)"},
    {key_revoked, kPermerror, "key_revoked", "The key was revoked: its p= is empty (RFC 6376 §3.6.1)"},
    {key_unknown_type, kPermerror, "key_unknown_type",
     "The key record's k= is neither rsa nor ed25519 (RFC 6376 §3.6.1, RFC 8463 §4)"},
    {key_type_mismatch, kPermerror, "key_type_mismatch",
     "The key's type (k=) does not match the signature's algorithm (a=) (RFC 6376 §6.1.2)"},
    {key_hash_not_allowed, kPermerror, "key_hash_not_allowed",
     "The key record's h= does not allow the hash that a= uses (RFC 6376 §3.6.1)"},
    {key_service_not_email, kPermerror, "key_service_not_email",
     "The key record's s= names neither email nor * (RFC 6376 §3.6.1)"},
    {key_strict_subdomain, kPermerror, "key_strict_subdomain",
     "The key record has t=s but the i= domain is a subdomain of d= (RFC 6376 §3.6.1)"},
    {key_bad_data, kPermerror, "key_bad_data",
     "The key record's p= is not base64 or not a public key of the type k= names (RFC 6376 §3.6.1)"},
    {key_too_small, kPermerror, "key_too_small",
     "RSA key is smaller than 1024 bits (RFC 8301 §3.2); --legacy accepts keys from 512 bits"},

    // RFC 6376 §6.1.3: the cryptographic checks.
    {body_hash_mismatch, Verdict::fail, "body_hash_mismatch",
     "The body hash differs from bh=: the body was changed after signing (RFC 6376 §6.1.3)"},
    {signature_mismatch, Verdict::fail, "signature_mismatch",
     "b= does not verify: a signed header field was changed after signing, or the key does not match "
     "(RFC 6376 §6.1.3)"},

    // Local policy: the signature verified, but a rule given on the command line refuses it.
    {policy_key_too_small, Verdict::policy, "policy_key_too_small",
     "The signature verified, but its RSA key is smaller than --min-rsa-bits"},
    {policy_partial_body, Verdict::policy, "policy_partial_body",
     "The signature verified, but its l= leaves body bytes unsigned, which --reject-partial-body refuses "
     "(RFC 6376 §8.2)"},
    {policy_header_not_signed, Verdict::policy, "policy_header_not_signed",
     "The signature verified, but h= does not cover a header field that --must-be-signed names and the "
     "message has"},

    {sig_over_cap, Verdict::neutral, "sig_over_cap",
     "Not checked: the message has more signatures than --max-signatures allows"},
    {internal_error, kTemperror, "internal_error",
     "OpenSSL refused an operation it should accept; please report this as a bug"},
}};

constexpr bool table_is_in_enum_order() {
  for (std::size_t i = 0; i < kReasonTable.size(); ++i) {
    if (static_cast<std::size_t>(kReasonTable[i].reason) != i) return false;
    if (kReasonTable[i].code.empty() || kReasonTable[i].text.empty()) return false;
  }
  return true;
}
static_assert(kReasonTable.size() == kReasonCount, "every Reason needs a row in kReasonTable");
static_assert(table_is_in_enum_order(), "kReasonTable rows must follow the Reason enumerators in order");

const ReasonInfo& info(Reason reason) noexcept {
  auto index = static_cast<std::size_t>(reason);
  return index < kReasonTable.size() ? kReasonTable[index] : kReasonTable[static_cast<std::size_t>(internal_error)];
}

}  // namespace

std::string_view verdict_name(Verdict verdict) noexcept {
  switch (verdict) {
    case Verdict::none: return "none";
    case Verdict::pass: return "pass";
    case Verdict::fail: return "fail";
    case Verdict::neutral: return "neutral";
    case Verdict::policy: return "policy";
    case Verdict::temperror: return "temperror";
    case Verdict::permerror: return "permerror";
  }
  return "temperror";
}

Verdict classify(Reason reason) noexcept { return info(reason).verdict; }
std::string_view reason_code(Reason reason) noexcept { return info(reason).code; }
std::string_view reason_text(Reason reason) noexcept { return info(reason).text; }

int verdict_rank(Verdict verdict) noexcept {
  switch (verdict) {
    case Verdict::pass: return 6;
    case Verdict::fail: return 5;
    case Verdict::policy: return 4;
    case Verdict::neutral: return 3;
    case Verdict::temperror: return 2;
    case Verdict::permerror: return 1;
    case Verdict::none: return 0;
  }
  return 0;
}

}  // namespace dkimscan::engine
