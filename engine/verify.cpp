// File: verify.cpp
// Verifying a message, signature by signature. SignatureCheck::run() follows the RFC 6376 §6.1
// checklist top to bottom with early returns: the signature field (§6.1.1), the key (§6.1.2),
// then the hashes and the signature itself (§6.1.3). Hashing is per-thread scratch; a body hash
// is computed once per distinct (c, a, l) and shared by the message's signatures.
#include "engine/verify.h"

#include <algorithm>
#include <array>

#include "engine/crypto/signature_check.h"
#include "engine/header_hash.h"

namespace dkimscan::engine {
namespace {

constexpr std::string_view kSignatureField = "DKIM-Signature";

// RFC 8301 §3.2: verifiers MUST NOT accept RSA keys under 1024 bits; the legacy policy (old
// archives) goes down to 512.
unsigned minimum_rsa_bits(Policy policy) noexcept { return policy == Policy::strict ? 1024 : 512; }

// The domain part of the decoded i= (or d= when i= is absent, §3.5 default "@d").
std::string_view auid_domain(const Signature& sig, std::array<char, 256>& buffer) noexcept {
  if (sig.auid.empty()) return sig.domain;
  std::size_t size = 0;
  if (!decode_dkim_quoted_printable(sig.auid, buffer, size)) return {};
  std::string_view decoded(buffer.data(), size);
  std::size_t at = decoded.rfind('@');
  return at == std::string_view::npos ? std::string_view{} : decoded.substr(at + 1);
}

class SignatureCheck {
 public:
  SignatureCheck(const VerifyOptions& options, const ParsedMessage& message, Signature& sig,
                 VerifyScratch& scratch, SignatureResult& result) noexcept
      : options_(options), message_(message), sig_(sig), scratch_(scratch), result_(result) {}

  Reason run(KeyProvider& keys) noexcept;

 private:
  Reason check_record(const KeyRecord& record) noexcept;
  Reason check_body_hash() noexcept;
  Reason check_crypto(const KeyRecord& record) noexcept;
  Reason check_local_policy(const KeyRecord& record) const noexcept;
  const BodyHash& body_hash() noexcept;

  const VerifyOptions& options_;
  const ParsedMessage& message_;
  Signature& sig_;
  VerifyScratch& scratch_;
  SignatureResult& result_;
  DigestBytes header_digest_{};
  std::size_t header_digest_size_ = 0;
};

Reason SignatureCheck::run(KeyProvider& keys) noexcept {
  // §6.1.1: the clock-dependent check; the grammar was checked by parse_signature().
  if (Reason r = check_signature_times(sig_, options_.now); r != Reason::ok) return r;

  // §6.1.2: fetch the key records. A failed lookup decides the verdict on its own.
  assign_key_name(sig_.selector, sig_.domain, scratch_.key_name);
  KeySetPtr owned;  // set only when the provider cannot lend the answer
  const KeySet* key_set = keys.borrow(scratch_.key_name);
  if (key_set == nullptr) {
    owned = keys.lookup(scratch_.key_name);
    key_set = owned.get();
  }
  if (key_set->lookup != Reason::ok) {
    try {
      result_.key_detail = key_set->detail;
    } catch (...) {  // std::bad_alloc: the reason alone still says what failed
    }
    return key_set->lookup;
  }

  // Several TXT records (§6.1.2 step 3 leaves the choice open): try each in order; pass if any
  // verifies, otherwise report the first record's outcome (key_record.h documents the rule).
  if (key_set->records.empty()) return Reason::key_not_found;
  Reason first = Reason::ok;
  for (std::size_t i = 0; i < key_set->records.size(); ++i) {
    const KeyRecord& record = key_set->records[i];
    Reason r = check_record(record);
    if (r == Reason::ok) {
      result_.key_bits = record.bits;
      result_.key_testing = record.testing;
      return check_local_policy(record);
    }
    if (i == 0) first = r;
  }
  result_.key_bits = key_set->records.front().bits;
  result_.key_testing = key_set->records.front().testing;
  return first;
}

Reason SignatureCheck::check_record(const KeyRecord& record) noexcept {
  if (record.status != Reason::ok) return record.status;  // syntax, version, revoked, bad p=
  // §6.1.2 step 6: k= must match the algorithm's key type.
  if (record.type != key_type_of(sig_.algorithm)) return Reason::key_type_mismatch;
  // §3.6.1 h=: the hash algorithms the key may be used with.
  HashAlg hash = hash_of(sig_.algorithm);
  if ((hash == HashAlg::sha1 && !record.sha1_allowed) || (hash == HashAlg::sha256 && !record.sha256_allowed)) {
    return Reason::key_hash_not_allowed;
  }
  // §3.6.1 s=: the key must be usable for email.
  if (!record.email_service) return Reason::key_service_not_email;
  // §3.6.1 t=s: the i= domain must be exactly d=, not a subdomain.
  if (record.strict_subdomains) {
    std::array<char, 256> buffer;
    if (!iequals(auid_domain(sig_, buffer), sig_.domain)) return Reason::key_strict_subdomain;
  }
  if (record.type == KeyType::rsa && record.bits < minimum_rsa_bits(options_.policy)) return Reason::key_too_small;

  // §6.1.3: the body hash, then the signature over the header hash.
  if (Reason r = check_body_hash(); r != Reason::ok) return r;
  return check_crypto(record);
}

const BodyHash& SignatureCheck::body_hash() noexcept {
  const BodyHashKey key = body_hash_key(sig_);
  auto& table = scratch_.body_hashes;
  auto found = std::find_if(table.begin(), table.end(), [&](const auto& entry) { return entry.first == key; });
  if (found != table.end()) return found->second;
  table.emplace_back(key, compute_body_hash(message_.body(), key, scratch_.digest));
  return table.back().second;
}

Reason SignatureCheck::check_body_hash() noexcept {
  const BodyHash& computed = body_hash();
  if (sig_.body_length) {
    // §3.5 l=: a count larger than the canonical body cannot have been produced by a signer.
    if (*sig_.body_length > computed.canonical_length) return Reason::sig_body_length_exceeds_body;
    result_.unsigned_body_bytes = computed.canonical_length - *sig_.body_length;
  }
  bool match = computed.size == sig_.bh_size &&
               std::equal(sig_.bh.begin(), sig_.bh.begin() + sig_.bh_size, computed.digest.begin());
  return match ? Reason::ok : Reason::body_hash_mismatch;
}

Reason SignatureCheck::check_crypto(const KeyRecord& record) noexcept {
  if (header_digest_size_ == 0) {
    header_digest_size_ = compute_header_hash(message_, sig_, scratch_.digest, header_digest_);
  }
  switch (check_signature(scratch_.crypto, sig_.algorithm, record.key.get(), {header_digest_.data(), header_digest_size_},
                          {sig_.b.data(), sig_.b_size})) {
    case CryptoCheck::valid: return Reason::ok;
    case CryptoCheck::invalid: return Reason::signature_mismatch;
    case CryptoCheck::error: return Reason::internal_error;
  }
  return Reason::internal_error;
}

// Runs after the signature verified with record (check_body_hash() has set unsigned_body_bytes).
Reason SignatureCheck::check_local_policy(const KeyRecord& record) const noexcept {
  const LocalPolicy& local = options_.local;
  if (record.type == KeyType::rsa && record.bits < local.min_rsa_bits) return Reason::policy_key_too_small;
  if (local.reject_partial_body && result_.unsigned_body_bytes > 0) return Reason::policy_partial_body;
  for (const std::string& name : local.must_be_signed) {
    if (message_.first(name) == nullptr) continue;  // absent fields need no signature
    bool signed_name = false;
    for_each_signed_header(sig_.signed_headers, [&](std::string_view h) { signed_name = signed_name || iequals(h, name); });
    if (!signed_name) return Reason::policy_header_not_signed;
  }
  return Reason::ok;
}

void copy_facts(const Signature& sig, SignatureResult& result) noexcept {
  result.domain = sig.domain;
  result.selector = sig.selector;
  result.auid = sig.auid;
  result.algorithm = sig.algorithm_text;
  result.canonicalization = sig.canon_text;
  result.body_length = sig.body_length;
  result.b_value = sig.field != nullptr && sig.b_value_end > sig.b_value_begin
                       ? sig.field->value.substr(sig.b_value_begin, sig.b_value_end - sig.b_value_begin)
                       : std::string_view{};
}

std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\r' || text.front() == '\n')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' || text.back() == '\n')) text.remove_suffix(1);
  return text;
}

}  // namespace

void Verifier::verify(std::string_view bytes, KeyProvider& keys, VerifyScratch& scratch,
                      MessageResult& out) const noexcept {
  ParsedMessage& message = scratch.message;
  message.split(bytes);
  scratch.body_hashes.clear();
  out.signatures.clear();
  out.defect = message.defect();
  out.policy = options_.policy;
  const HeaderField* message_id = message.first("Message-ID");
  out.message_id = message_id ? trim(message_id->value) : std::string_view{};
  const HeaderField* from = message.first("From");
  out.from_domain = from ? from_domain(from->value) : std::string_view{};
  out.best = Verdict::none;
  out.best_reason = Reason::no_signature;

  std::size_t checked = 0;
  for (const HeaderField& field : message.fields()) {
    if (!field_name_equals(field.name, kSignatureField)) continue;  // "DKIM-Signature :" too (obs WSP)
    SignatureResult& result = out.signatures.emplace_back();
    if (checked == options_.max_signatures) {
      // The documented cap: reported with the d=, s=, i=, a= and c= written in it (none if its tag
      // list does not parse), but neither looked up nor checked.
      parse_signature(field, options_.policy, scratch.over_cap);  // which resets it first
      copy_facts(scratch.over_cap, result);
      result.reason = Reason::sig_over_cap;
    } else {
      if (scratch.signatures.size() <= checked) scratch.signatures.emplace_back();
      Signature& sig = scratch.signatures[checked++];
      result.reason = parse_signature(field, options_.policy, sig);  // which resets sig first
      copy_facts(sig, result);
      if (result.reason == Reason::ok) {
        result.reason = SignatureCheck(options_, message, sig, scratch, result).run(keys);
      }
    }
    result.verdict = classify(result.reason);
    if (out.signatures.size() == 1 || verdict_rank(result.verdict) > verdict_rank(out.best)) {
      out.best = result.verdict;
      out.best_reason = result.reason;
    }
  }
}

}  // namespace dkimscan::engine
