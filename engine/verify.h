// File: verify.h
// Verifying a message: every DKIM-Signature, top to bottom, up to a cap, each to one
// SignatureResult. SignatureCheck::run() in verify.cpp reads as the RFC 6376 §6.1 checklist.
// A Verifier is immutable after construction and safe to call from many threads at once; each
// thread brings its own VerifyScratch (reused buffers and hash contexts: no per-message setup).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/algorithms.h"
#include "engine/body_hash.h"
#include "engine/crypto/digest.h"
#include "engine/crypto/signature_check.h"
#include "engine/key_provider.h"
#include "engine/message.h"
#include "engine/signature.h"
#include "engine/verdict.h"

namespace dkimscan::engine {

// Local policy (RFC 8601 §2.7.1 "policy"; cf. opendkim's MustBeSigned and MinimumKeyBits): rules
// a receiver adds on top of the RFCs. They are checked only for a signature that passes every RFC
// check; one that breaks a rule gets Verdict::policy, with the rule as its reason.
struct LocalPolicy {
  std::vector<std::string> must_be_signed;  // field names that h= must cover when the message has them
  bool reject_partial_body = false;         // refuse an l= that leaves body bytes unsigned (§8.2)
  unsigned min_rsa_bits = 0;                // above the policy's own floor (RFC 8301: 1024); 0: none
};

struct VerifyOptions {
  Policy policy = Policy::strict;
  std::int64_t now = 0;               // the clock for x= (unix seconds); injected, never global
  std::size_t max_signatures = 16;    // signatures beyond it get neutral / sig_over_cap
  LocalPolicy local;                  // rules on top of the policy; empty by default
};

// What one signature concluded, and the facts a person needs to act on it.
// LIFETIME: the views point into the message bytes given to verify().
struct SignatureResult {
  Verdict verdict = Verdict::none;
  Reason reason = Reason::ok;
  std::string_view domain, selector, auid, algorithm, canonicalization;
  std::string_view b_value;                  // b= as written, FWS included (header.b, RFC 6008)
  unsigned key_bits = 0;
  bool key_testing = false;                  // the key record says t=y
  std::optional<std::uint64_t> body_length;  // l=
  std::uint64_t unsigned_body_bytes = 0;     // canonical body bytes after l= (not covered)
  // A failed key lookup in its own words (KeySet::detail: "NXDOMAIN", "SERVFAIL at CNAME target
  // ...", a key file's "!TEMPFAIL" text); empty otherwise, so a passing signature allocates nothing.
  std::string key_detail;
};

struct MessageResult {
  MessageDefect defect = MessageDefect::none;
  Policy policy = Policy::strict;
  std::string_view message_id;   // LIFETIME: into the message
  std::string_view from_domain;  // LIFETIME: into the message
  std::vector<SignatureResult> signatures;  // one per DKIM-Signature field, top to bottom
  Verdict best = Verdict::none;  // the best signature verdict (verdict_rank); none if unsigned
  Reason best_reason = Reason::no_signature;
};

// Per-thread working memory, reused from message to message.
struct VerifyScratch {
  ParsedMessage message;
  std::vector<Signature> signatures;
  Signature over_cap;  // parsed only for its facts: signatures beyond the cap are not checked
  std::vector<std::pair<BodyHashKey, BodyHash>> body_hashes;
  Digest digest;
  CryptoContexts crypto;  // this thread's OpenSSL context for Ed25519
  std::string key_name;   // the name being looked up (its capacity is reused)
};

class Verifier {
 public:
  explicit Verifier(VerifyOptions options) noexcept : options_(options) {}

  // Verifies every signature of message. Never throws; every problem becomes a Reason.
  void verify(std::string_view message, KeyProvider& keys, VerifyScratch& scratch,
              MessageResult& out) const noexcept;

  const VerifyOptions& options() const noexcept { return options_; }

 private:
  VerifyOptions options_;
};

}  // namespace dkimscan::engine
