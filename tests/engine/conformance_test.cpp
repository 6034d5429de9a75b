// File: tests/engine/conformance_test.cpp
// Issue 2, point 7: every public corpus message in tests/data/*/ (tests/data/SOURCE.md) verified by
// the engine, one GoogleTest per message and policy, with the exact Verdict and Reason of each
// signature. Strict must agree with every asserted upstream verdict except where the RFCs say
// otherwise (basis `rfc`, one line of why each); Mail::DKIM must also agree under legacy, except
// the rows judged wrong in tests/data/DECISIONS.md (basis `decision`).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "engine/verify.h"
#include "tests/engine/corpus.h"

namespace dkimscan::engine {
namespace {

using dkimscan::testing::CorpusMessage;
using dkimscan::testing::CorpusKeys;
using dkimscan::testing::corpus_messages;
using dkimscan::testing::read_bytes;

// The clock for rows without verify_time: 2023-11-14, after every t= in the corpora and after
// mail-dkim ignore_7's x= (2007), which upstream expects expired. Fixed, never the wall clock.
constexpr std::int64_t kCorpusClock = 1700000000;

// Why an expectation is what it is.
enum class Basis : std::uint8_t {
  upstream,    // the row's asserted verdict (strict_result in strict mode, where the row has one)
  rfc,         // the row asserts another verdict; its rfc_notes say the RFCs give this one
  decision,    // the row asserts another verdict that we judge wrong: tests/data/DECISIONS.md
  unasserted,  // the row says "unknown"; the engine's verdict is pinned so that changes show
};

struct Expected {
  std::string_view signature;  // "<corpus>/<file stem>#<index>", index 0 = topmost
  Verdict verdict;
  Reason reason;
  Basis basis;
  std::string_view why;
};

using V = Verdict;
using R = Reason;
using B = Basis;

// Strict policy (RFC 6376 + RFC 8301), every signature of every corpus.
constexpr Expected kStrict[] = {
    {"dkimpy/ed25519test2.msg#0", V::pass, R::ok, B::upstream, ""},
    {"dkimpy/rfc6376.signed.msg#0", V::pass, R::ok, B::upstream, ""},
    {"dkimpy/rfc6376.signed.msg#1", V::pass, R::ok, B::unasserted,
     "unasserted (dkimpy checks idx=0 only); dkimpy: pass"},
    {"dkimpy/rfc6376.signed.rsa.msg#0", V::permerror, R::key_bad_data, B::upstream, ""},
    {"dkimpy/test.message.baddomain#0", V::permerror, R::sig_bad_domain, B::upstream, ""},
    {"dkimpy/test2.message#0", V::pass, R::ok, B::upstream, ""},
    {"dkimpy/message.mbox#0", V::permerror, R::key_not_found, B::unasserted,
     "unasserted: kitterman.com's key is not in the test DNS → NXDOMAIN (§6.1.2)"},
    {"go-msgauth/rfc6376-A2#0", V::pass, R::ok, B::upstream, ""},
    {"go-msgauth/raw-rsa-key#0", V::pass, R::ok, B::upstream, ""},
    {"go-msgauth/rfc8463-A3#0", V::pass, R::ok, B::upstream, ""},
    {"go-msgauth/rfc8463-A3#1", V::fail, R::signature_mismatch, B::unasserted,
     "unasserted: go-msgauth's DNS serves the RFC 6376 key at this name, not RFC 8463's; dkimpy: fail"},
    {"go-msgauth/too-many-signatures#0", V::pass, R::ok, B::unasserted,
     "unasserted (limit test, see TooManySignatures below); dkimpy: pass"},
    {"go-msgauth/too-many-signatures#1", V::pass, R::ok, B::unasserted,
     "unasserted (limit test, see TooManySignatures below); dkimpy: pass"},
    {"go-msgauth/too-many-signatures#2", V::pass, R::ok, B::unasserted,
     "unasserted (limit test, see TooManySignatures below); dkimpy: pass"},
    {"go-msgauth/signed-rsa#0", V::pass, R::ok, B::upstream, ""},
    {"go-msgauth/signed-ed25519#0", V::pass, R::ok, B::upstream, ""},
    {"mail-auth/001#0", V::pass, R::ok, B::unasserted,
     "unasserted (the test checks the last output only); dkimpy: pass"},
    {"mail-auth/001#1", V::pass, R::ok, B::upstream, ""},
    {"mail-auth/002#0", V::pass, R::ok, B::upstream, ""},
    {"mail-auth/003#0", V::pass, R::ok, B::unasserted,
     "unasserted (the test checks the last output only); dkimpy: pass"},
    {"mail-auth/003#1", V::pass, R::ok, B::upstream, ""},
    {"mail-auth/004#0", V::pass, R::ok, B::upstream, ""},
    {"mail-auth/005#0", V::pass, R::ok, B::upstream, ""},
    {"mail-auth/006#0", V::pass, R::ok, B::upstream, ""},
    {"mail-dkim/bad_1#0", V::permerror, R::sig_no_version, B::rfc,
     "RFC 6376 §3.5: v= is REQUIRED (draft signature) → permerror; RFC 8301 §3.2 also rejects its 768-bit key"},
    {"mail-dkim/bad_1878954#0", V::permerror, R::sig_rsa_sha1_rejected, B::rfc,
     "RFC 8301 §3.1: rsa-sha1 MUST NOT be accepted → permerror"},
    {"mail-dkim/bad_ietf01_1#0", V::permerror, R::sig_no_version, B::rfc,
     "RFC 6376 §3.5: v= is REQUIRED (draft signature) → permerror; RFC 8301 §3.2 also rejects its 768-bit key"},
    {"mail-dkim/bad_ietf01_2#0", V::permerror, R::sig_no_version, B::rfc,
     "RFC 6376 §3.5: v= is REQUIRED (draft signature) → permerror; RFC 8301 §3.2 also rejects its 768-bit key"},
    {"mail-dkim/bad_ietf01_3#0", V::permerror, R::sig_no_version, B::rfc,
     "RFC 6376 §3.5: v= is REQUIRED (draft signature) → permerror; RFC 8301 §3.2 also rejects its 768-bit key"},
    {"mail-dkim/badkey1_ed25519#0", V::permerror, R::key_bad_data, B::upstream, ""},
    {"mail-dkim/badkey2_ed25519#0", V::fail, R::signature_mismatch, B::upstream, ""},
    {"mail-dkim/badkey3_ed25519#0", V::fail, R::body_hash_mismatch, B::upstream, ""},
    {"mail-dkim/badkey4_ed25519#0", V::permerror, R::key_not_found, B::upstream, ""},
    {"mail-dkim/badkey5_ed25519#0", V::permerror, R::key_syntax, B::upstream, ""},
    {"mail-dkim/badkey_1#0", V::permerror, R::sig_bad_version, B::upstream,
     "verdict agrees; strict stops at v=0.5 before the key check upstream reports"},
    {"mail-dkim/badkey_10#0", V::permerror, R::sig_rsa_sha1_rejected, B::upstream,
     "verdict agrees; strict stops at rsa-sha1 before the key check upstream reports"},
    {"mail-dkim/badkey_11#0", V::permerror, R::key_hash_not_allowed, B::upstream, ""},
    {"mail-dkim/badkey_12#0", V::permerror, R::sig_rsa_sha1_rejected, B::upstream,
     "verdict agrees; strict stops at rsa-sha1 before the key check upstream reports"},
    {"mail-dkim/badkey_13#0", V::permerror, R::sig_rsa_sha1_rejected, B::upstream,
     "verdict agrees; strict stops at rsa-sha1 before the key check upstream reports"},
    {"mail-dkim/badkey_14#0", V::permerror, R::sig_rsa_sha1_rejected, B::rfc,
     "RFC 8301 §3.1: rsa-sha1 MUST NOT be accepted; rejected before the DNS lookup that times out"},
    {"mail-dkim/badkey_15#0", V::permerror, R::sig_rsa_sha1_rejected, B::rfc,
     "RFC 8301 §3.1: rsa-sha1 MUST NOT be accepted; rejected before the DNS lookup that SERVFAILs"},
    {"mail-dkim/badkey_2#0", V::permerror, R::sig_bad_version, B::upstream,
     "verdict agrees; strict stops at v=0.5 before the key check upstream reports"},
    {"mail-dkim/badkey_3#0", V::permerror, R::sig_bad_version, B::upstream,
     "verdict agrees; strict stops at v=0.5 before the key check upstream reports"},
    {"mail-dkim/badkey_4#0", V::permerror, R::sig_bad_version, B::upstream,
     "verdict agrees; strict stops at v=0.5 before the key check upstream reports"},
    {"mail-dkim/badkey_5#0", V::permerror, R::sig_bad_version, B::upstream,
     "verdict agrees; strict stops at v=0.5 before the key check upstream reports"},
    {"mail-dkim/badkey_6#0", V::permerror, R::sig_bad_version, B::upstream,
     "verdict agrees; strict stops at v=0.5 before the key check upstream reports"},
    {"mail-dkim/badkey_7#0", V::permerror, R::sig_bad_version, B::upstream,
     "verdict agrees; strict stops at v=0.5 before the key check upstream reports"},
    {"mail-dkim/badkey_8#0", V::permerror, R::sig_rsa_sha1_rejected, B::upstream,
     "verdict agrees; strict stops at rsa-sha1 before the key check upstream reports"},
    {"mail-dkim/badkey_9#0", V::permerror, R::sig_rsa_sha1_rejected, B::upstream,
     "verdict agrees; strict stops at rsa-sha1 before the key check upstream reports"},
    {"mail-dkim/good_1878523#0", V::permerror, R::sig_rsa_sha1_rejected, B::upstream, ""},
    {"mail-dkim/good_83176#0", V::permerror, R::sig_rsa_sha1_rejected, B::rfc,
     "RFC 8301 §3.1: rsa-sha1 MUST NOT be accepted → permerror"},
    {"mail-dkim/good_ietf00_1#0", V::permerror, R::sig_no_version, B::unasserted,
     "unasserted (upstream SKIP): draft signature without v= (§3.5); dkimpy: error"},
    {"mail-dkim/good_ietf00_2#0", V::permerror, R::sig_no_version, B::unasserted,
     "unasserted (upstream SKIP): draft signature without v= (§3.5); dkimpy: error"},
    {"mail-dkim/good_ietf00_3#0", V::permerror, R::sig_no_version, B::unasserted,
     "unasserted (upstream SKIP): draft signature without v= (§3.5); dkimpy: error"},
    {"mail-dkim/good_ietf00_4#0", V::permerror, R::sig_no_version, B::unasserted,
     "unasserted (upstream SKIP): draft signature without v= (§3.5); dkimpy: error"},
    {"mail-dkim/good_ietf00_5#0", V::permerror, R::sig_no_version, B::unasserted,
     "unasserted (upstream SKIP): draft signature without v= (§3.5); dkimpy: error"},
    {"mail-dkim/good_ietf01_1#0", V::permerror, R::sig_no_version, B::rfc,
     "RFC 6376 §3.5: v= is REQUIRED (draft signature) → permerror; RFC 8301 §3.2 also rejects its 768-bit key"},
    {"mail-dkim/good_ietf01_2#0", V::permerror, R::sig_no_version, B::rfc,
     "RFC 6376 §3.5: v= is REQUIRED (draft signature) → permerror; also rsa-sha1 and a 768-bit key (RFC 8301)"},
    {"mail-dkim/good_qp_1#0", V::permerror, R::sig_rsa_sha1_rejected, B::upstream, ""},
    {"mail-dkim/good_qp_2#0", V::permerror, R::sig_rsa_sha1_rejected, B::rfc,
     "RFC 8301 §3.1/§3.2: rsa-sha1 and a 512-bit key MUST NOT be accepted → permerror"},
    {"mail-dkim/good_qp_3#0", V::permerror, R::sig_rsa_sha1_rejected, B::rfc,
     "RFC 8301 §3.1/§3.2: rsa-sha1 and a 512-bit key MUST NOT be accepted → permerror"},
    {"mail-dkim/good_rfc4871_3#0", V::permerror, R::sig_rsa_sha1_rejected, B::rfc,
     "RFC 8301 §3.1/§3.2: rsa-sha1 and a 512-bit key MUST NOT be accepted → permerror"},
    {"mail-dkim/good_rfc4871_4#0", V::permerror, R::sig_rsa_sha1_rejected, B::rfc,
     "RFC 8301 §3.1/§3.2: rsa-sha1 and a 512-bit key MUST NOT be accepted → permerror"},
    {"mail-dkim/goodkey_1#0", V::permerror, R::sig_rsa_sha1_rejected, B::rfc,
     "RFC 8301 §3.1/§3.2: rsa-sha1 and a 512-bit key MUST NOT be accepted → permerror"},
    {"mail-dkim/goodkey_2#0", V::permerror, R::sig_rsa_sha1_rejected, B::rfc,
     "RFC 8301 §3.1/§3.2: rsa-sha1 and a 512-bit key MUST NOT be accepted → permerror"},
    {"mail-dkim/goodkey_3#0", V::permerror, R::sig_rsa_sha1_rejected, B::rfc,
     "RFC 8301 §3.1/§3.2: rsa-sha1 and a 512-bit key MUST NOT be accepted → permerror"},
    {"mail-dkim/goodkey_4#0", V::permerror, R::sig_rsa_sha1_rejected, B::rfc,
     "RFC 8301 §3.1/§3.2: rsa-sha1 and a 512-bit key MUST NOT be accepted → permerror"},
    {"mail-dkim/goodkey_ed25519#0", V::pass, R::ok, B::upstream, ""},
    {"mail-dkim/ignore_1#0", V::permerror, R::sig_bad_version, B::upstream, ""},
    {"mail-dkim/ignore_2#0", V::permerror, R::sig_bad_version, B::upstream,
     "verdict agrees; strict stops at v=0.5 before the tag upstream reports"},
    {"mail-dkim/ignore_3#0", V::permerror, R::sig_bad_version, B::upstream,
     "verdict agrees; strict stops at v=0.5 before the tag upstream reports"},
    {"mail-dkim/ignore_4#0", V::permerror, R::sig_bad_version, B::upstream,
     "verdict agrees; strict stops at v=0.5 before the tag upstream reports"},
    {"mail-dkim/ignore_5#0", V::permerror, R::sig_rsa_sha1_rejected, B::upstream,
     "verdict agrees; strict stops at rsa-sha1 before the tag upstream reports"},
    {"mail-dkim/ignore_6#0", V::permerror, R::sig_rsa_sha1_rejected, B::upstream,
     "verdict agrees; strict stops at rsa-sha1 before the tag upstream reports"},
    {"mail-dkim/ignore_7#0", V::permerror, R::sig_rsa_sha1_rejected, B::upstream,
     "verdict agrees; strict stops at rsa-sha1 before the tag upstream reports"},
    {"mail-dkim/ignore_8#0", V::permerror, R::sig_rsa_sha1_rejected, B::upstream,
     "verdict agrees; strict stops at rsa-sha1 before the tag upstream reports"},
    {"mail-dkim/mine_ietf01_1#0", V::permerror, R::sig_no_version, B::rfc,
     "RFC 6376 §3.5: v= is REQUIRED (draft signature) → permerror; also rsa-sha1 (RFC 8301 §3.1)"},
    {"mail-dkim/mine_ietf01_2#0", V::permerror, R::sig_no_version, B::rfc,
     "RFC 6376 §3.5: v= is REQUIRED (draft signature) → permerror; also rsa-sha1 (RFC 8301 §3.1)"},
    {"mail-dkim/mine_ietf01_3#0", V::permerror, R::sig_no_version, B::rfc,
     "RFC 6376 §3.5: v= is REQUIRED (draft signature) → permerror (Mail::DKIM Strict does not require v=)"},
    {"mail-dkim/mine_ietf01_4#0", V::permerror, R::sig_no_version, B::rfc,
     "RFC 6376 §3.5: v= is REQUIRED (draft signature) → permerror (Mail::DKIM Strict does not require v=)"},
    {"mail-dkim/mine_ietf05_1#0", V::permerror, R::sig_bad_version, B::rfc,
     "RFC 6376 §3.5: v= must be 1; the draft's v=0.5 → permerror; also rsa-sha1 (RFC 8301 §3.1)"},
    {"mail-dkim/multiple_1#0", V::permerror, R::sig_no_version, B::unasserted,
     "unasserted: draft signature without v= (§3.5); dkimpy: error"},
    {"mail-dkim/multiple_1#1", V::permerror, R::sig_no_version, B::unasserted,
     "unasserted: draft signature without v= (§3.5); dkimpy: error"},
    {"mail-dkim/multiple_1#2", V::permerror, R::sig_no_version, B::unasserted,
     "unasserted: draft signature without v= (§3.5); dkimpy: error"},
    {"mail-dkim/multiple_1#3", V::permerror, R::sig_no_version, B::unasserted,
     "unasserted: draft signature without v= (§3.5); dkimpy: error"},
    {"mail-dkim/multiple_2#0", V::permerror, R::sig_rsa_sha1_rejected, B::upstream,
     "verdict agrees; strict stops at rsa-sha1 before c=foobar"},
    {"mail-dkim/multiple_2#1", V::permerror, R::sig_rsa_sha1_rejected, B::rfc,
     "RFC 8301 §3.1: rsa-sha1 MUST NOT be accepted → permerror"},
    {"mail-dkim/multiple_2#2", V::permerror, R::sig_rsa_sha1_rejected, B::rfc,
     "RFC 8301 §3.1: rsa-sha1 MUST NOT be accepted → permerror"},
    {"mail-dkim/multiple_2#3", V::permerror, R::sig_syntax, B::unasserted,
     "unasserted: \"synerr\" is not a tag list (§3.2); dkimpy: error"},
    {"mail-dkim/no_body_1#0", V::permerror, R::sig_bad_version, B::rfc,
     "RFC 6376 §3.5: v= must be 1; the draft's v=0.5 → permerror; also rsa-sha1 (RFC 8301 §3.1)"},
    {"mail-dkim/no_body_2#0", V::permerror, R::sig_bad_version, B::rfc,
     "RFC 6376 §3.5: v= must be 1; the draft's v=0.5 → permerror; also rsa-sha1 (RFC 8301 §3.1)"},
    {"mail-dkim/no_body_3#0", V::permerror, R::sig_bad_version, B::rfc,
     "RFC 6376 §3.5: v= must be 1; the draft's v=0.5 → permerror; also rsa-sha1 (RFC 8301 §3.1)"},
    {"mail-dkim/test5#0", V::permerror, R::sig_no_version, B::unasserted,
     "unasserted: draft signature without v= (§3.5); dkimpy: error"},
    {"mailauth/signed#0", V::pass, R::ok, B::upstream, ""},
    {"mailauth/signed#1", V::pass, R::ok, B::upstream, ""},
    {"rfc6376/A2-as-printed#0", V::fail, R::signature_mismatch, B::upstream, ""},
    {"rfc6376/A2-errata4926#0", V::pass, R::ok, B::upstream, ""},
    {"rfc8463/A3-signed#0", V::pass, R::ok, B::upstream, ""},
    {"rfc8463/A3-signed#1", V::pass, R::ok, B::upstream, ""},
};

// Legacy policy (rsa-sha1, RSA from 512 bits, draft signatures without v=): the Mail::DKIM corpus
// against its upstream (non-Strict) verdicts.
constexpr Expected kLegacy[] = {
    {"mail-dkim/bad_1#0", V::fail, R::signature_mismatch, B::upstream, ""},
    {"mail-dkim/bad_1878954#0", V::fail, R::body_hash_mismatch, B::upstream, ""},
    {"mail-dkim/bad_ietf01_1#0", V::fail, R::body_hash_mismatch, B::upstream, ""},
    {"mail-dkim/bad_ietf01_2#0", V::fail, R::signature_mismatch, B::upstream, ""},
    {"mail-dkim/bad_ietf01_3#0", V::fail, R::signature_mismatch, B::upstream, ""},
    {"mail-dkim/badkey1_ed25519#0", V::permerror, R::key_bad_data, B::upstream, ""},
    {"mail-dkim/badkey2_ed25519#0", V::fail, R::signature_mismatch, B::upstream, ""},
    {"mail-dkim/badkey3_ed25519#0", V::fail, R::body_hash_mismatch, B::upstream, ""},
    {"mail-dkim/badkey4_ed25519#0", V::permerror, R::key_not_found, B::upstream, ""},
    {"mail-dkim/badkey5_ed25519#0", V::permerror, R::key_syntax, B::upstream, ""},
    {"mail-dkim/badkey_1#0", V::permerror, R::key_not_found, B::upstream,
     "legacy accepts v=0.5, then NXDOMAIN (§6.1.2)"},
    {"mail-dkim/badkey_10#0", V::permerror, R::key_strict_subdomain, B::upstream, ""},
    {"mail-dkim/badkey_11#0", V::permerror, R::key_hash_not_allowed, B::upstream, ""},
    {"mail-dkim/badkey_12#0", V::pass, R::ok, B::decision,
     "DECISIONS.md: RFC 4871 g= is ignored (RFC 6376 removed it); Mail::DKIM still enforces g="},
    {"mail-dkim/badkey_13#0", V::pass, R::ok, B::decision,
     "DECISIONS.md: RFC 4871 g= is ignored (RFC 6376 removed it); Mail::DKIM still enforces g="},
    {"mail-dkim/badkey_14#0", V::temperror, R::key_dns_servfail, B::upstream,
     "key file rule: !TEMPFAIL without reason=timeout → key_dns_servfail (cache/KEYFILE.md)"},
    {"mail-dkim/badkey_15#0", V::temperror, R::key_dns_servfail, B::upstream, ""},
    {"mail-dkim/badkey_2#0", V::permerror, R::key_revoked, B::upstream, ""},
    {"mail-dkim/badkey_3#0", V::permerror, R::key_bad_version, B::upstream, ""},
    {"mail-dkim/badkey_4#0", V::permerror, R::key_syntax, B::upstream, ""},
    {"mail-dkim/badkey_5#0", V::permerror, R::key_unknown_type, B::upstream, ""},
    {"mail-dkim/badkey_6#0", V::permerror, R::key_service_not_email, B::upstream, ""},
    {"mail-dkim/badkey_7#0", V::permerror, R::key_hash_not_allowed, B::upstream, ""},
    {"mail-dkim/badkey_8#0", V::pass, R::ok, B::decision,
     "DECISIONS.md: RFC 4871 g= is ignored (RFC 6376 removed it); Mail::DKIM still enforces g="},
    {"mail-dkim/badkey_9#0", V::pass, R::ok, B::decision,
     "DECISIONS.md: RFC 4871 g= is ignored (RFC 6376 removed it); Mail::DKIM still enforces g="},
    {"mail-dkim/good_1878523#0", V::pass, R::ok, B::upstream, ""},
    {"mail-dkim/good_83176#0", V::pass, R::ok, B::upstream, ""},
    {"mail-dkim/good_ietf00_1#0", V::permerror, R::sig_missing_bh, B::unasserted,
     "unasserted (upstream SKIP): ietf-00 drafts had no bh=, REQUIRED by §3.5"},
    {"mail-dkim/good_ietf00_2#0", V::permerror, R::sig_missing_bh, B::unasserted,
     "unasserted (upstream SKIP): ietf-00 drafts had no bh=, REQUIRED by §3.5"},
    {"mail-dkim/good_ietf00_3#0", V::permerror, R::sig_missing_bh, B::unasserted,
     "unasserted (upstream SKIP): ietf-00 drafts had no bh=, REQUIRED by §3.5"},
    {"mail-dkim/good_ietf00_4#0", V::permerror, R::sig_missing_bh, B::unasserted,
     "unasserted (upstream SKIP): ietf-00 drafts had no bh=, REQUIRED by §3.5"},
    {"mail-dkim/good_ietf00_5#0", V::permerror, R::sig_missing_bh, B::unasserted,
     "unasserted (upstream SKIP): ietf-00 drafts had no bh=, REQUIRED by §3.5"},
    {"mail-dkim/good_ietf01_1#0", V::pass, R::ok, B::upstream, ""},
    {"mail-dkim/good_ietf01_2#0", V::pass, R::ok, B::upstream, ""},
    {"mail-dkim/good_qp_1#0", V::pass, R::ok, B::upstream, ""},
    {"mail-dkim/good_qp_2#0", V::pass, R::ok, B::upstream, ""},
    {"mail-dkim/good_qp_3#0", V::pass, R::ok, B::upstream, ""},
    {"mail-dkim/good_rfc4871_3#0", V::pass, R::ok, B::upstream, ""},
    {"mail-dkim/good_rfc4871_4#0", V::pass, R::ok, B::upstream, ""},
    {"mail-dkim/goodkey_1#0", V::pass, R::ok, B::upstream, ""},
    {"mail-dkim/goodkey_2#0", V::pass, R::ok, B::upstream, ""},
    {"mail-dkim/goodkey_3#0", V::pass, R::ok, B::upstream, ""},
    {"mail-dkim/goodkey_4#0", V::pass, R::ok, B::upstream, ""},
    {"mail-dkim/goodkey_ed25519#0", V::pass, R::ok, B::upstream, ""},
    {"mail-dkim/ignore_1#0", V::permerror, R::sig_bad_version, B::upstream, ""},
    {"mail-dkim/ignore_2#0", V::permerror, R::sig_unknown_algorithm, B::upstream, ""},
    {"mail-dkim/ignore_3#0", V::permerror, R::sig_unknown_algorithm, B::upstream, ""},
    {"mail-dkim/ignore_4#0", V::permerror, R::sig_bad_canonicalization, B::upstream, ""},
    {"mail-dkim/ignore_5#0", V::permerror, R::sig_unsupported_query_method, B::upstream, ""},
    {"mail-dkim/ignore_6#0", V::permerror, R::sig_unsupported_query_method, B::upstream, ""},
    {"mail-dkim/ignore_7#0", V::permerror, R::sig_expired, B::upstream, ""},
    {"mail-dkim/ignore_8#0", V::permerror, R::sig_auid_outside_sdid, B::upstream, ""},
    {"mail-dkim/mine_ietf01_1#0", V::pass, R::ok, B::upstream, ""},
    {"mail-dkim/mine_ietf01_2#0", V::pass, R::ok, B::upstream, ""},
    {"mail-dkim/mine_ietf01_3#0", V::pass, R::ok, B::upstream, ""},
    {"mail-dkim/mine_ietf01_4#0", V::pass, R::ok, B::upstream, ""},
    {"mail-dkim/mine_ietf05_1#0", V::pass, R::ok, B::upstream, ""},
    {"mail-dkim/multiple_1#0", V::fail, R::signature_mismatch, B::unasserted,
     "unasserted: c=simple does not survive the relay's refolding; dkimpy: error (no v=)"},
    {"mail-dkim/multiple_1#1", V::pass, R::ok, B::unasserted,
     "unasserted: the intact copy; dkimpy: error (no v=)"},
    {"mail-dkim/multiple_1#2", V::permerror, R::sig_bad_base64, B::unasserted,
     "unasserted: bh= truncated to invalid base64; dkimpy: error"},
    {"mail-dkim/multiple_1#3", V::fail, R::signature_mismatch, B::unasserted,
     "unasserted: b= truncated; dkimpy: error (no v=)"},
    {"mail-dkim/multiple_2#0", V::permerror, R::sig_bad_canonicalization, B::upstream, ""},
    {"mail-dkim/multiple_2#1", V::pass, R::ok, B::upstream, ""},
    {"mail-dkim/multiple_2#2", V::fail, R::signature_mismatch, B::upstream, ""},
    {"mail-dkim/multiple_2#3", V::permerror, R::sig_syntax, B::unasserted,
     "unasserted: \"synerr\" is not a tag list (§3.2); dkimpy: error"},
    {"mail-dkim/no_body_1#0", V::pass, R::ok, B::upstream, ""},
    {"mail-dkim/no_body_2#0", V::pass, R::ok, B::upstream, ""},
    {"mail-dkim/no_body_3#0", V::pass, R::ok, B::upstream, ""},
    {"mail-dkim/test5#0", V::permerror, R::sig_missing_bh, B::unasserted,
     "unasserted: ietf-00 draft signature without bh=, REQUIRED by §3.5"},
};

// Message-level results where a row asserts message_result and we give another one.
struct ExpectedMessage {
  std::string_view message;
  Policy policy;
  Verdict best;
  Reason best_reason;
  std::string_view why;
};
constexpr ExpectedMessage kMessageExceptions[] = {
    {"mail-dkim/multiple_1", Policy::strict, V::permerror, R::sig_no_version,
     "RFC 6376 §3.5: all four signatures lack v= → permerror (upstream: pass)"},
    {"mail-dkim/multiple_2", Policy::strict, V::permerror, R::sig_rsa_sha1_rejected,
     "RFC 8301 §3.1: all signatures are rsa-sha1 → permerror (upstream: pass)"},
};

std::span<const Expected> table_for(Policy policy) {
  return policy == Policy::strict ? std::span<const Expected>(kStrict) : std::span<const Expected>(kLegacy);
}

const Expected* find_expected(Policy policy, const std::string& signature) {
  for (const Expected& e : table_for(policy)) {
    if (e.signature == signature) return &e;
  }
  return nullptr;
}

// The verdict the row asserts under policy: Mail::DKIM's Strict verdict where recorded.
std::string upstream_verdict(const testing::CorpusSignature& sig, Policy policy) {
  return policy == Policy::strict && sig.strict_result ? *sig.strict_result : sig.result;
}

std::string name_of(Verdict v) { return std::string(verdict_name(v)); }
std::string code_of(Reason r) { return std::string(reason_code(r)); }

MessageResult verify_row(const CorpusMessage& row, const std::string& bytes, Policy policy) {
  VerifyOptions options;
  options.policy = policy;
  options.now = row.verify_time.value_or(kCorpusClock);
  CorpusKeys keys(row);
  VerifyScratch scratch;
  MessageResult result;
  Verifier(options).verify(bytes, keys, scratch, result);
  return result;
}

// The table entry must be consistent with the row: an entry cannot silently drift from the data.
void check_basis(const Expected& e, const testing::CorpusSignature& sig, Policy policy) {
  const std::string upstream = upstream_verdict(sig, policy);
  switch (e.basis) {
    case Basis::upstream:
      EXPECT_EQ(name_of(e.verdict), upstream) << e.signature << ": basis upstream must equal the row";
      break;
    case Basis::rfc:
      EXPECT_NE(name_of(e.verdict), upstream) << e.signature << ": an RFC exception must differ";
      EXPECT_NE(upstream, "unknown") << e.signature;
      EXPECT_FALSE(sig.rfc_notes.empty()) << e.signature << ": an RFC exception needs the row's rfc_notes";
      EXPECT_TRUE(e.why.starts_with("RFC ")) << e.signature << ": say which RFC section";
      break;
    case Basis::decision:
      EXPECT_NE(name_of(e.verdict), upstream) << e.signature;
      EXPECT_TRUE(e.why.starts_with("DECISIONS.md")) << e.signature << ": record it in DECISIONS.md";
      break;
    case Basis::unasserted:
      EXPECT_EQ(upstream, "unknown") << e.signature;
      break;
  }
}

void check_message(const CorpusMessage& row, Policy policy) {
  const std::string bytes = read_bytes(row.path);
  const MessageResult result = verify_row(row, bytes, policy);
  EXPECT_EQ(result.policy, policy);
  ASSERT_EQ(result.signatures.size(), row.signatures.size()) << row.id();
  for (std::size_t i = 0; i < row.signatures.size(); ++i) {
    const std::string id = row.id() + "#" + std::to_string(i);
    const Expected* e = find_expected(policy, id);
    ASSERT_NE(e, nullptr) << "no expectation for " << id << " under " << policy_name(policy);
    SCOPED_TRACE(id + " (" + std::string(e->why) + ")");
    check_basis(*e, row.signatures[i], policy);
    EXPECT_EQ(name_of(result.signatures[i].verdict), name_of(e->verdict));
    EXPECT_EQ(code_of(result.signatures[i].reason), code_of(e->reason));
  }
  if (!row.message_result) return;
  std::string best = *row.message_result;
  Reason best_reason = best == "none" ? Reason::no_signature : Reason::ok;
  std::string_view why = "upstream";
  for (const ExpectedMessage& m : kMessageExceptions) {
    if (m.message == row.id() && m.policy == policy) {
      best = name_of(m.best);
      best_reason = m.best_reason;
      why = m.why;
    }
  }
  EXPECT_EQ(name_of(result.best), best) << row.id() << " message result (" << why << ")";
  EXPECT_EQ(code_of(result.best_reason), code_of(best_reason)) << row.id() << " message reason (" << why << ")";
}

std::vector<const CorpusMessage*> rows_where(bool (*keep)(const CorpusMessage&)) {
  std::vector<const CorpusMessage*> rows;
  for (const CorpusMessage& row : corpus_messages()) {
    if (keep(row)) rows.push_back(&row);
  }
  return rows;
}

std::string param_name(const ::testing::TestParamInfo<const CorpusMessage*>& info) {
  return info.param->test_name();
}

class StrictConformance : public ::testing::TestWithParam<const CorpusMessage*> {};
class LegacyConformance : public ::testing::TestWithParam<const CorpusMessage*> {};

TEST_P(StrictConformance, EverySignatureHasItsVerdictAndReason) { check_message(*GetParam(), Policy::strict); }
TEST_P(LegacyConformance, EverySignatureHasItsVerdictAndReason) { check_message(*GetParam(), Policy::legacy); }

INSTANTIATE_TEST_SUITE_P(Corpus, StrictConformance,
                         ::testing::ValuesIn(rows_where([](const CorpusMessage&) { return true; })), param_name);
INSTANTIATE_TEST_SUITE_P(MailDkim, LegacyConformance,
                         ::testing::ValuesIn(rows_where([](const CorpusMessage& row) {
                           return row.corpus == "mail-dkim";
                         })),
                         param_name);

// Every table entry names a signature that exists (no stale entries), once.
TEST(ConformanceTables, EveryEntryNamesOneCorpusSignature) {
  std::map<std::string, int> known;
  for (const CorpusMessage& row : corpus_messages()) {
    for (std::size_t i = 0; i < row.signatures.size(); ++i) known[row.id() + "#" + std::to_string(i)] = 0;
  }
  for (Policy policy : {Policy::strict, Policy::legacy}) {
    std::map<std::string, int> seen;
    for (const Expected& e : table_for(policy)) {
      EXPECT_TRUE(known.contains(std::string(e.signature))) << e.signature;
      EXPECT_EQ(++seen[std::string(e.signature)], 1) << "duplicate " << e.signature;
      if (policy == Policy::legacy) {
        EXPECT_TRUE(e.signature.starts_with("mail-dkim/")) << e.signature;
      }
    }
  }
}

struct Tally {
  int asserted = 0, agree = 0, rfc = 0, decision = 0, unasserted = 0;
};

Tally tally(Policy policy) {
  Tally t;
  for (const Expected& e : table_for(policy)) {
    switch (e.basis) {
      case Basis::upstream: ++t.agree; break;
      case Basis::rfc: ++t.rfc; break;
      case Basis::decision: ++t.decision; break;
      case Basis::unasserted: ++t.unasserted; break;
    }
  }
  t.asserted = t.agree + t.rfc + t.decision;
  return t;
}

// The numbers of the conformance report (issue 2); a change to a table must change them here too.
TEST(ConformanceTables, CountsOfAgreementAndExceptions) {
  const Tally strict = tally(Policy::strict);
  EXPECT_EQ(strict.asserted, 80);
  EXPECT_EQ(strict.agree, 52);
  EXPECT_EQ(strict.rfc, 28);
  EXPECT_EQ(strict.decision, 0);
  EXPECT_EQ(strict.unasserted, 19);
  const Tally legacy = tally(Policy::legacy);
  EXPECT_EQ(legacy.asserted, 58);
  EXPECT_EQ(legacy.agree, 54);
  EXPECT_EQ(legacy.rfc, 0);
  EXPECT_EQ(legacy.decision, 4);
  EXPECT_EQ(legacy.unasserted, 11);
}

const CorpusMessage& row_named(std::string_view id) {
  for (const CorpusMessage& row : corpus_messages()) {
    if (row.id() == id) return row;
  }
  throw std::runtime_error("no corpus row " + std::string(id));
}

// go-msgauth limit_test: with MaxVerifications=2 upstream stops with ErrTooManySignatures after two
// verifications. Our documented cap checks the first two and reports the rest as neutral/sig_over_cap.
TEST(CorpusDecisions, TooManySignaturesBeyondTheCapAreNeutral) {
  const CorpusMessage& row = row_named("go-msgauth/too-many-signatures");
  ASSERT_EQ(row.limit_max_verifications, 2u);
  VerifyOptions options;
  options.now = kCorpusClock;
  options.max_signatures = *row.limit_max_verifications;
  CorpusKeys keys(row);
  VerifyScratch scratch;
  MessageResult result;
  const std::string bytes = read_bytes(row.path);
  Verifier(options).verify(bytes, keys, scratch, result);
  ASSERT_EQ(result.signatures.size(), 3u);
  EXPECT_EQ(result.signatures[0].verdict, Verdict::pass);
  EXPECT_EQ(result.signatures[1].verdict, Verdict::pass);
  EXPECT_EQ(result.signatures[2].verdict, Verdict::neutral);
  EXPECT_EQ(result.signatures[2].reason, Reason::sig_over_cap);
  EXPECT_EQ(result.best, Verdict::pass);
}

// mail-auth 005 carries x= one day after t=: pass at its verify_time, expired one second after x=.
TEST(CorpusDecisions, ExpirationUsesTheInjectedClock) {
  const CorpusMessage& row = row_named("mail-auth/005");
  const std::string bytes = read_bytes(row.path);
  constexpr std::int64_t kExpiration = 1667930064;  // the message's x=
  for (const auto& [now, verdict, reason] : {std::tuple{*row.verify_time, V::pass, R::ok},
                                             std::tuple{kExpiration, V::pass, R::ok},
                                             std::tuple{kExpiration + 1, V::permerror, R::sig_expired}}) {
    VerifyOptions options;
    options.now = now;
    CorpusKeys keys(row);
    VerifyScratch scratch;
    MessageResult result;
    Verifier(options).verify(bytes, keys, scratch, result);
    ASSERT_EQ(result.signatures.size(), 1u);
    EXPECT_EQ(result.signatures[0].verdict, verdict) << "now=" << now;
    EXPECT_EQ(result.signatures[0].reason, reason) << "now=" << now;
  }
}

// Bare-LF messages are read as CRLF (message.h): each LF corpus message gives exactly the verdicts
// of its CRLF form, under both policies.
TEST(CorpusDecisions, BareLfMessagesVerifyLikeTheirCrlfForm) {
  int checked = 0;
  for (const CorpusMessage& row : corpus_messages()) {
    if (row.line_endings != "LF") continue;
    const std::string lf = read_bytes(row.path);
    std::string crlf;
    for (char c : lf) {
      if (c == '\n') crlf += '\r';
      crlf += c;
    }
    for (Policy policy : {Policy::strict, Policy::legacy}) {
      const MessageResult a = verify_row(row, lf, policy);
      const MessageResult b = verify_row(row, crlf, policy);
      ASSERT_EQ(a.signatures.size(), b.signatures.size()) << row.id();
      for (std::size_t i = 0; i < a.signatures.size(); ++i) {
        EXPECT_EQ(a.signatures[i].verdict, b.signatures[i].verdict) << row.id() << "#" << i;
        EXPECT_EQ(a.signatures[i].reason, b.signatures[i].reason) << row.id() << "#" << i;
      }
    }
    ++checked;
  }
  EXPECT_EQ(checked, 15);  // tests/data/SOURCE.md: 15 of the 112 messages use bare LF
}

}  // namespace
}  // namespace dkimscan::engine
