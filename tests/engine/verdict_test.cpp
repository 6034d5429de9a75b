// File: verdict_test.cpp
// The reason table: every Reason has a code equal to its enumerator name, a sentence, and the
// verdict the design assigns it; verdict names follow RFC 8601 and ranks order the best result.
#include "engine/verdict.h"

#include <array>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "tests/engine/reason_printing.h"

namespace dkimscan::engine {
namespace {

// The enumerators of Reason, spelled as in verdict.h, in declaration order.
constexpr std::array<std::string_view, kReasonCount> kEnumeratorNames = {
    "ok", "no_signature",
    "sig_syntax", "sig_duplicate_tag", "sig_missing_v", "sig_missing_a", "sig_missing_b", "sig_missing_bh",
    "sig_missing_d", "sig_missing_h", "sig_missing_s", "sig_no_version", "sig_bad_version",
    "sig_unknown_algorithm", "sig_bad_canonicalization", "sig_bad_base64", "sig_bad_domain",
    "sig_bad_selector", "sig_bad_auid", "sig_auid_outside_sdid", "sig_bad_signed_headers", "sig_from_not_signed",
    "sig_bad_body_length", "sig_body_length_exceeds_body", "sig_bad_timestamp", "sig_bad_expiration",
    "sig_expiration_before_timestamp", "sig_expired", "sig_unsupported_query_method", "sig_rsa_sha1_rejected",
    "key_not_found", "key_dns_timeout", "key_dns_servfail", "key_syntax", "key_bad_version", "key_revoked",
    "key_unknown_type", "key_type_mismatch", "key_hash_not_allowed", "key_service_not_email",
    "key_strict_subdomain", "key_bad_data", "key_too_small",
    "body_hash_mismatch", "signature_mismatch",
    "policy_key_too_small", "policy_partial_body", "policy_header_not_signed",
    "sig_over_cap", "internal_error"};

Reason reason_at(std::size_t i) { return static_cast<Reason>(i); }

TEST(ReasonTable, CodeIsTheEnumeratorName) {
  for (std::size_t i = 0; i < kReasonCount; ++i) EXPECT_EQ(reason_code(reason_at(i)), kEnumeratorNames[i]);
  EXPECT_EQ(reason_code(Reason::key_too_small), "key_too_small");
}

TEST(ReasonTable, CodesAreUniqueAndEveryReasonHasASentence) {
  std::set<std::string_view> codes;
  for (std::size_t i = 0; i < kReasonCount; ++i) {
    EXPECT_TRUE(codes.insert(reason_code(reason_at(i))).second) << reason_code(reason_at(i));
    EXPECT_GT(reason_text(reason_at(i)).size(), 20u) << reason_code(reason_at(i));
  }
}

TEST(ReasonTable, TextsSayWhatToDo) {
  EXPECT_EQ(reason_text(Reason::key_too_small),
            "RSA key is smaller than 1024 bits (RFC 8301 §3.2); --legacy accepts keys from 512 bits");
  EXPECT_NE(reason_text(Reason::sig_rsa_sha1_rejected).find("--legacy"), std::string_view::npos);
  EXPECT_NE(reason_text(Reason::sig_no_version).find("--legacy"), std::string_view::npos);
}

TEST(Classify, OkIsPassAndNoSignatureIsNone) {
  EXPECT_EQ(classify(Reason::ok), Verdict::pass);
  EXPECT_EQ(classify(Reason::no_signature), Verdict::none);
}

TEST(Classify, SignatureReasonsArePermerrorExceptOverCapWhichIsNeutral) {
  for (std::size_t i = 0; i < kReasonCount; ++i) {
    if (!kEnumeratorNames[i].starts_with("sig_")) continue;
    SCOPED_TRACE(kEnumeratorNames[i]);
    EXPECT_EQ(classify(reason_at(i)), reason_at(i) == Reason::sig_over_cap ? Verdict::neutral : Verdict::permerror);
  }
}

TEST(Classify, KeyReasonsArePermerrorExceptDnsFailuresWhichAreTemperror) {
  for (std::size_t i = 0; i < kReasonCount; ++i) {
    if (!kEnumeratorNames[i].starts_with("key_")) continue;
    SCOPED_TRACE(kEnumeratorNames[i]);
    const bool transient = reason_at(i) == Reason::key_dns_timeout || reason_at(i) == Reason::key_dns_servfail;
    EXPECT_EQ(classify(reason_at(i)), transient ? Verdict::temperror : Verdict::permerror);
  }
  EXPECT_EQ(classify(Reason::key_not_found), Verdict::permerror);
}

TEST(Classify, LocalPolicyReasonsArePolicyAndNothingElseIs) {
  for (std::size_t i = 0; i < kReasonCount; ++i) {
    SCOPED_TRACE(kEnumeratorNames[i]);
    EXPECT_EQ(classify(reason_at(i)) == Verdict::policy, kEnumeratorNames[i].starts_with("policy_"));
  }
}

TEST(Classify, CryptographicMismatchesAreFail) {
  EXPECT_EQ(classify(Reason::body_hash_mismatch), Verdict::fail);
  EXPECT_EQ(classify(Reason::signature_mismatch), Verdict::fail);
}

TEST(Classify, InternalErrorIsTemperror) { EXPECT_EQ(classify(Reason::internal_error), Verdict::temperror); }

TEST(VerdictName, IsTheRfc8601Word) {
  EXPECT_EQ(verdict_name(Verdict::none), "none");
  EXPECT_EQ(verdict_name(Verdict::pass), "pass");
  EXPECT_EQ(verdict_name(Verdict::fail), "fail");
  EXPECT_EQ(verdict_name(Verdict::neutral), "neutral");
  EXPECT_EQ(verdict_name(Verdict::policy), "policy");
  EXPECT_EQ(verdict_name(Verdict::temperror), "temperror");
  EXPECT_EQ(verdict_name(Verdict::permerror), "permerror");
}

TEST(VerdictRank, OrdersPassFailPolicyNeutralTemperrorPermerrorNone) {
  EXPECT_EQ(verdict_rank(Verdict::pass), 6);
  EXPECT_EQ(verdict_rank(Verdict::fail), 5);
  EXPECT_EQ(verdict_rank(Verdict::policy), 4);
  EXPECT_EQ(verdict_rank(Verdict::neutral), 3);
  EXPECT_EQ(verdict_rank(Verdict::temperror), 2);
  EXPECT_EQ(verdict_rank(Verdict::permerror), 1);
  EXPECT_EQ(verdict_rank(Verdict::none), 0);
}

}  // namespace
}  // namespace dkimscan::engine
