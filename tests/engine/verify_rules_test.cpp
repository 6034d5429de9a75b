// File: tests/engine/verify_rules_test.cpp
// The verifier's rules one by one (RFC 6376 §6.1, RFC 8301, RFC 8463) on messages signed here with
// keys generated here and served by an in-memory KeyProvider. Every case asserts the exact Verdict
// and Reason, and each names the rule it proves.
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/crypto/private_key.h"
#include "engine/key_provider.h"
#include "engine/sign.h"
#include "engine/verify.h"

namespace dkimscan::engine {
namespace {

constexpr std::int64_t kNow = 1700000000;  // the injected verification clock
constexpr std::string_view kDomain = "example.com";
constexpr std::string_view kSelector = "sel";

constexpr std::string_view kMessage =
    "From: Joe <joe@example.com>\r\n"
    "To: Suzie <suzie@example.net>\r\n"
    "Subject: Is dinner ready?\r\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700\r\n"
    "Message-ID: <20030712040037.46341.5F8J@example.com>\r\n"
    "\r\n"
    "Hi.\r\n"
    "\r\n"
    "We lost the game. Are you hungry yet?\r\n"
    "\r\n"
    "Joe.\r\n";

// DNS names → answers, as a resolver would give them. Unknown names are NXDOMAIN.
class MemoryKeys : public KeyProvider {
 public:
  void set(std::string_view selector, std::vector<std::string> txt) {
    answers_[key_name(selector, kDomain)] = make_key_set(txt);
  }
  void set_error(std::string_view selector, Reason lookup) {
    answers_[key_name(selector, kDomain)] = make_key_set_error(lookup, "test");
  }
  KeySetPtr lookup(std::string_view name) override {
    ++lookups_;
    auto found = answers_.find(std::string(name));
    return found != answers_.end() ? found->second : make_key_set({});
  }
  int lookups() const { return lookups_; }

 private:
  std::map<std::string, KeySetPtr> answers_;
  int lookups_ = 0;
};

std::string record_for(const PrivateKey& key, std::string_view extra_tags = "") {
  std::string record = "v=DKIM1; k=";
  record += key.type() == KeyType::rsa ? "rsa" : "ed25519";
  record += "; ";
  record += extra_tags;
  record += "p=" + key.public_key_base64();
  return record;
}

// The RSA public key as a bare PKCS#1 RSAPublicKey (what some publishers put in p=).
std::string pkcs1_base64(const PrivateKey& key) {
  const std::string pem = key.to_pem();
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr),
                                                           EVP_PKEY_free);
  unsigned char* der = nullptr;
  const int size = i2d_PublicKey(pkey.get(), &der);
  std::string text = base64_encode({der, static_cast<std::size_t>(size)});
  OPENSSL_free(der);
  return text;
}

class VerifyRules : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = new PrivateKey(PrivateKey::generate(KeyType::rsa, 1024));
    rsa_other_ = new PrivateKey(PrivateKey::generate(KeyType::rsa, 1024));
    rsa_512_ = new PrivateKey(PrivateKey::generate(KeyType::rsa, 512));
    ed25519_ = new PrivateKey(PrivateKey::generate(KeyType::ed25519, 0));
  }
  static void TearDownTestSuite() {
    for (PrivateKey* key : {rsa_, rsa_other_, rsa_512_, ed25519_}) delete key;
  }

  SignOptions options(std::string_view selector = kSelector) const {
    SignOptions o;
    o.domain = kDomain;
    o.selector = selector;
    o.timestamp = kNow - 60;
    return o;
  }
  static std::string signed_copy(std::string_view message, const SignOptions& o, const PrivateKey& key) {
    return sign_message(message, o, key) + std::string(message);
  }
  // Verifies bytes_ (kept alive here: the result's views point into it).
  const MessageResult& verify(std::string bytes, Policy policy = Policy::strict, std::int64_t now = kNow,
                              std::size_t max_signatures = 16) {
    bytes_ = std::move(bytes);
    VerifyOptions vo;
    vo.policy = policy;
    vo.now = now;
    vo.max_signatures = max_signatures;
    vo.local = local_;
    Verifier(vo).verify(bytes_, keys_, scratch_, result_);
    return result_;
  }
  // The one signature's (verdict, reason).
  static std::pair<Verdict, Reason> only(const MessageResult& r) {
    EXPECT_EQ(r.signatures.size(), 1u);
    return r.signatures.empty() ? std::pair{Verdict::none, Reason::no_signature}
                                : std::pair{r.signatures[0].verdict, r.signatures[0].reason};
  }

  static inline PrivateKey* rsa_ = nullptr;
  static inline PrivateKey* rsa_other_ = nullptr;
  static inline PrivateKey* rsa_512_ = nullptr;
  static inline PrivateKey* ed25519_ = nullptr;
  MemoryKeys keys_;
  LocalPolicy local_;  // what verify() applies
  VerifyScratch scratch_;
  MessageResult result_;
  std::string bytes_;
};

using Outcome = std::pair<Verdict, Reason>;
constexpr Outcome kPass{Verdict::pass, Reason::ok};

TEST_F(VerifyRules, RsaSha256SignedMessagePasses) {
  keys_.set(kSelector, {record_for(*rsa_)});
  const MessageResult& r = verify(signed_copy(kMessage, options(), *rsa_));
  EXPECT_EQ(only(r), kPass);
  EXPECT_EQ(r.best, Verdict::pass);
  EXPECT_EQ(r.signatures[0].key_bits, 1024u);
  EXPECT_EQ(r.signatures[0].domain, "example.com");
  EXPECT_EQ(r.signatures[0].algorithm, "rsa-sha256");
  EXPECT_EQ(r.from_domain, "example.com");
}

TEST_F(VerifyRules, Ed25519SignedMessagePasses) {
  keys_.set(kSelector, {record_for(*ed25519_)});
  const MessageResult& r = verify(signed_copy(kMessage, options(), *ed25519_));
  EXPECT_EQ(only(r), kPass);
  EXPECT_EQ(r.signatures[0].algorithm, "ed25519-sha256");
}

// RFC 5322 §4.5 allows WSP between a field name and its colon, so "DKIM-Signature :" is a
// signature field. Relaxed header canonicalization removes that WSP (§3.4.2), so the signature still
// verifies; simple keeps it, so the header hash changes.
TEST_F(VerifyRules, SignatureFieldWithSpaceBeforeColonIsChecked) {
  keys_.set(kSelector, {record_for(*rsa_)});
  for (Canon canon : {Canon::relaxed, Canon::simple}) {
    SignOptions o = options();
    o.header_canon = canon;
    std::string bytes = signed_copy(kMessage, o, *rsa_);
    ASSERT_EQ(bytes.rfind("DKIM-Signature:", 0), 0u);
    bytes.insert(std::string_view("DKIM-Signature").size(), " \t");
    const Outcome expected = canon == Canon::relaxed ? kPass : Outcome{Verdict::fail, Reason::signature_mismatch};
    EXPECT_EQ(only(verify(bytes)), expected) << "header canonicalization " << static_cast<int>(canon);
  }
}

// §6.1.3 step 4 (body hash) before the signature: a changed body is body_hash_mismatch.
TEST_F(VerifyRules, AlteredBodyFailsWithBodyHashMismatch) {
  keys_.set(kSelector, {record_for(*rsa_)});
  std::string bytes = signed_copy(kMessage, options(), *rsa_);
  bytes.replace(bytes.find("hungry"), 6, "thirst");
  EXPECT_EQ(only(verify(bytes)), (Outcome{Verdict::fail, Reason::body_hash_mismatch}));
}

TEST_F(VerifyRules, AlteredSignedHeaderFailsWithSignatureMismatch) {
  keys_.set(kSelector, {record_for(*rsa_)});
  std::string bytes = signed_copy(kMessage, options(), *rsa_);
  bytes.replace(bytes.find("dinner"), 6, "supper");
  EXPECT_EQ(only(verify(bytes)), (Outcome{Verdict::fail, Reason::signature_mismatch}));
}

TEST_F(VerifyRules, SignatureByAnotherKeyFailsWithSignatureMismatch) {
  keys_.set(kSelector, {record_for(*rsa_other_)});
  EXPECT_EQ(only(verify(signed_copy(kMessage, options(), *rsa_))),
            (Outcome{Verdict::fail, Reason::signature_mismatch}));
}

// Key records (§3.6.1, §6.1.2): each unusable record has its own reason, all permerror.
struct KeyCase {
  const char* name;
  std::string_view extra_tags;  // inserted before p=
  std::string_view whole;       // or the whole record instead
  Reason reason;
};

TEST_F(VerifyRules, EachUnusableKeyRecordHasItsReason) {
  const KeyCase cases[] = {
      {"empty p= is revoked (§3.6.1)", "", "v=DKIM1; k=rsa; p=", Reason::key_revoked},
      {"k= differs from a= (§6.1.2 step 6)", "", "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
       Reason::key_type_mismatch},
      {"h= does not allow sha256 (§3.6.1)", "h=sha1; ", "", Reason::key_hash_not_allowed},
      {"s= is not email (§3.6.1)", "s=tlsrpt; ", "", Reason::key_service_not_email},
      {"p= is not base64", "", "v=DKIM1; k=rsa; p=!!!notbase64!!!", Reason::key_bad_data},
      {"p= is base64 but no key", "", "v=DKIM1; k=rsa; p=AAAAAAAAAAAA", Reason::key_bad_data},
      {"p= is missing", "", "v=DKIM1; k=rsa", Reason::key_syntax},
      {"v= is not DKIM1", "", "v=DKIM2; k=rsa; p=AAAA", Reason::key_bad_version},
      {"k= is unknown", "", "v=DKIM1; k=dsa; p=AAAA", Reason::key_unknown_type},
      {"not a tag list", "", "this is not a key", Reason::key_syntax},
  };
  const std::string bytes = signed_copy(kMessage, options(), *rsa_);
  for (const KeyCase& c : cases) {
    keys_.set(kSelector, {c.whole.empty() ? record_for(*rsa_, c.extra_tags) : std::string(c.whole)});
    EXPECT_EQ(only(verify(bytes)), (Outcome{Verdict::permerror, c.reason})) << c.name;
  }
}

// Tags a verifier must not trip on: RFC 4871's g= (removed by RFC 6376), unknown tags, FWS.
TEST_F(VerifyRules, IgnoredKeyTagsStillPass) {
  const std::string bytes = signed_copy(kMessage, options(), *rsa_);
  for (std::string_view extra : {"g=nobody; ", "x1 = extra ; t = y:n ; ", "h=sha1:sha256:sha512; s=email:*; "}) {
    keys_.set(kSelector, {record_for(*rsa_, extra)});
    EXPECT_EQ(only(verify(bytes)), kPass) << extra;
  }
  EXPECT_TRUE(result_.signatures[0].key_testing == false);
  keys_.set(kSelector, {record_for(*rsa_, "t=y; ")});
  EXPECT_EQ(only(verify(bytes)), kPass);
  EXPECT_TRUE(result_.signatures[0].key_testing);  // t=y is reported, not a failure
}

TEST_F(VerifyRules, Pkcs1RsaPublicKeyIsAccepted) {
  keys_.set(kSelector, {"v=DKIM1; k=rsa; p=" + pkcs1_base64(*rsa_)});
  EXPECT_EQ(only(verify(signed_copy(kMessage, options(), *rsa_))), kPass);
}

// RFC 8463 §4.2: an Ed25519 p= is the bare 32-byte key; a SubjectPublicKeyInfo wrapping is bad data.
TEST_F(VerifyRules, Ed25519KeyInSubjectPublicKeyInfoIsBadData) {
  keys_.set(kSelector, {"v=DKIM1; k=ed25519; p=MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="});
  EXPECT_EQ(only(verify(signed_copy(kMessage, options(), *ed25519_))),
            (Outcome{Verdict::permerror, Reason::key_bad_data}));
}

// §3.6.1 t=s: i= must be exactly d=; i= is dkim-quoted-printable and is decoded first (§2.11).
TEST_F(VerifyRules, StrictSubdomainFlagRejectsAnAuidInASubdomain) {
  keys_.set(kSelector, {record_for(*rsa_, "t=s; ")});
  SignOptions sub = options();
  sub.auid = "joe@mail.example.com";
  EXPECT_EQ(only(verify(signed_copy(kMessage, sub, *rsa_))), (Outcome{Verdict::permerror, Reason::key_strict_subdomain}));
  SignOptions exact = options();
  exact.auid = "=6Aoe@ex=61mple.com";  // decodes to joe@example.com
  EXPECT_EQ(only(verify(signed_copy(kMessage, exact, *rsa_))), kPass);
  EXPECT_EQ(result_.signatures[0].auid, "=6Aoe@ex=61mple.com");  // reported as written
  SignOptions qp_sub = options();
  qp_sub.auid = "joe@mail=2Eexample.com";  // decodes to joe@mail.example.com
  EXPECT_EQ(only(verify(signed_copy(kMessage, qp_sub, *rsa_))), (Outcome{Verdict::permerror, Reason::key_strict_subdomain}));
}

TEST_F(VerifyRules, AuidSubdomainPassesWithoutStrictFlag) {
  keys_.set(kSelector, {record_for(*rsa_)});
  SignOptions sub = options();
  sub.auid = "joe@mail.example.com";
  EXPECT_EQ(only(verify(signed_copy(kMessage, sub, *rsa_))), kPass);
}

// RFC 8301 §3.2: RSA keys under 1024 bits are refused by strict; legacy accepts them from 512.
TEST_F(VerifyRules, Rsa512KeyIsTooSmallInStrictAndPassesInLegacy) {
  keys_.set(kSelector, {record_for(*rsa_512_)});
  SignOptions small = options();
  small.policy = Policy::legacy;  // the signer, too, refuses a 512-bit key under strict
  const std::string bytes = signed_copy(kMessage, small, *rsa_512_);
  EXPECT_EQ(only(verify(bytes, Policy::strict)), (Outcome{Verdict::permerror, Reason::key_too_small}));
  EXPECT_EQ(result_.signatures[0].key_bits, 512u);
  EXPECT_EQ(only(verify(bytes, Policy::legacy)), kPass);
  EXPECT_EQ(result_.policy, Policy::legacy);
}

// RFC 8301 §3.1: rsa-sha1 MUST NOT be used for verifying: strict refuses it before any key lookup.
TEST_F(VerifyRules, RsaSha1IsRejectedInStrictAndPassesInLegacy) {
  keys_.set(kSelector, {record_for(*rsa_)});
  SignOptions sha1 = options();
  sha1.algorithm = Algorithm::rsa_sha1;
  sha1.policy = Policy::legacy;  // the signer, too, refuses rsa-sha1 under strict
  const std::string bytes = signed_copy(kMessage, sha1, *rsa_);
  EXPECT_EQ(only(verify(bytes, Policy::strict)), (Outcome{Verdict::permerror, Reason::sig_rsa_sha1_rejected}));
  EXPECT_EQ(keys_.lookups(), 0);
  EXPECT_EQ(only(verify(bytes, Policy::legacy)), kPass);
  EXPECT_EQ(result_.signatures[0].algorithm, "rsa-sha1");
}

// §3.5 x=: the signature expires after x=, judged by the injected clock (--at).
TEST_F(VerifyRules, ExpirationIsJudgedByTheInjectedClock) {
  keys_.set(kSelector, {record_for(*rsa_)});
  SignOptions expiring = options();
  expiring.expire_after = 3600;  // x = t + 3600 = kNow + 3540
  const std::string bytes = signed_copy(kMessage, expiring, *rsa_);
  EXPECT_EQ(only(verify(bytes, Policy::strict, kNow)), kPass);
  EXPECT_EQ(only(verify(bytes, Policy::strict, kNow + 3540)), kPass);  // at x= exactly: not yet past
  EXPECT_EQ(only(verify(bytes, Policy::strict, kNow + 3541)), (Outcome{Verdict::permerror, Reason::sig_expired}));
}

// No rule refuses a t= in the future (clock skew); the engine does not, by decision (DECISIONS.md).
TEST_F(VerifyRules, TimestampInTheFutureIsAccepted) {
  keys_.set(kSelector, {record_for(*rsa_)});
  SignOptions future = options();
  future.timestamp = kNow + 86400;
  EXPECT_EQ(only(verify(signed_copy(kMessage, future, *rsa_))), kPass);
}

// §3.5 l=: text appended after signing is not covered; the count of unsigned bytes is reported.
TEST_F(VerifyRules, BodyLengthCoversOnlyThePrefixAndReportsTheRest) {
  keys_.set(kSelector, {record_for(*rsa_)});
  SignOptions with_l = options();
  with_l.header_canon = Canon::simple;
  with_l.body_canon = Canon::simple;
  with_l.body_length = true;
  const std::string bytes = signed_copy(kMessage, with_l, *rsa_) + "Appended\r\n";
  const MessageResult& r = verify(bytes);
  EXPECT_EQ(only(r), kPass);
  EXPECT_EQ(r.signatures[0].body_length, 54u);  // the whole canonical body as signed
  EXPECT_EQ(r.signatures[0].unsigned_body_bytes, 10u);
}

// Local policy (RFC 8601 §2.7.1): a signature the RFCs accept can still be refused by a rule the
// receiver sets; it then gets policy with the rule as its reason, and only if it verified.
TEST_F(VerifyRules, MinRsaBitsRefusesAVerifiedSmallKeyAsPolicy) {
  keys_.set(kSelector, {record_for(*rsa_)});
  keys_.set("ed", {record_for(*ed25519_)});
  const std::string rsa_bytes = signed_copy(kMessage, options(), *rsa_);
  const std::string ed_bytes = signed_copy(kMessage, options("ed"), *ed25519_);
  local_.min_rsa_bits = 2048;
  EXPECT_EQ(only(verify(rsa_bytes)), (Outcome{Verdict::policy, Reason::policy_key_too_small}));
  EXPECT_EQ(result_.signatures[0].key_bits, 1024u);
  EXPECT_EQ(result_.best, Verdict::policy);
  EXPECT_EQ(only(verify(ed_bytes)), kPass);  // the rule is about RSA keys
  local_.min_rsa_bits = 1024;
  EXPECT_EQ(only(verify(rsa_bytes)), kPass);
}

TEST_F(VerifyRules, RejectPartialBodyRefusesOnlyAnLThatLeavesBytesUnsigned) {
  keys_.set(kSelector, {record_for(*rsa_)});
  SignOptions with_l = options();
  with_l.body_length = true;
  const std::string bytes = signed_copy(kMessage, with_l, *rsa_);
  local_.reject_partial_body = true;
  EXPECT_EQ(only(verify(bytes)), kPass);  // l= covers the whole body
  EXPECT_EQ(only(verify(bytes + "Appended\r\n")), (Outcome{Verdict::policy, Reason::policy_partial_body}));
  EXPECT_EQ(result_.signatures[0].unsigned_body_bytes, 10u);
  local_.reject_partial_body = false;
  EXPECT_EQ(only(verify(bytes + "Appended\r\n")), kPass);
}

TEST_F(VerifyRules, MustBeSignedRefusesASignatureThatLeavesAPresentFieldOut) {
  keys_.set(kSelector, {record_for(*rsa_)});
  SignOptions no_subject = options();
  no_subject.headers = {"From", "To", "Date"};
  const std::string without = signed_copy(kMessage, no_subject, *rsa_);
  const std::string with = signed_copy(kMessage, options(), *rsa_);  // the default set has Subject
  local_.must_be_signed = {"subject"};  // names compare case-insensitively
  EXPECT_EQ(only(verify(without)), (Outcome{Verdict::policy, Reason::policy_header_not_signed}));
  EXPECT_EQ(only(verify(with)), kPass);
  local_.must_be_signed = {"List-Id"};  // the message has none: nothing to cover
  EXPECT_EQ(only(verify(without)), kPass);
}

TEST_F(VerifyRules, LocalPolicyLeavesAFailingSignatureFailed) {
  keys_.set(kSelector, {record_for(*rsa_)});
  std::string bytes = signed_copy(kMessage, options(), *rsa_);
  bytes.replace(bytes.find("hungry"), 6, "thirst");
  local_.min_rsa_bits = 4096;
  local_.must_be_signed = {"Cc", "Reply-To"};
  EXPECT_EQ(only(verify(bytes)), (Outcome{Verdict::fail, Reason::body_hash_mismatch}));
}

TEST_F(VerifyRules, BodyLengthBeyondTheBodyIsPermerror) {
  keys_.set(kSelector, {record_for(*rsa_)});
  SignOptions with_l = options();
  with_l.body_length = true;
  std::string bytes = signed_copy(kMessage, with_l, *rsa_);
  bytes.resize(bytes.find("Joe.\r\n"));  // drop the last line: now shorter than l=
  EXPECT_EQ(only(verify(bytes)), (Outcome{Verdict::permerror, Reason::sig_body_length_exceeds_body}));
}

// §8.15: h= listing From once more than present makes an added From break the signature.
TEST_F(VerifyRules, OversignedFromRejectsAnAddedFrom) {
  keys_.set(kSelector, {record_for(*rsa_)});
  constexpr std::string_view kExtraFrom = "From: Mallory <mallory@example.org>\r\n";
  SignOptions plain = options();
  std::string field = sign_message(kMessage, plain, *rsa_);
  // Without oversigning, a From added above the signed one is not selected (bottom-up, §5.4.2).
  EXPECT_EQ(only(verify(field + std::string(kExtraFrom) + std::string(kMessage))), kPass);

  SignOptions over = options();
  over.oversign = true;
  field = sign_message(kMessage, over, *rsa_);
  EXPECT_EQ(only(verify(field + std::string(kMessage))), kPass);
  EXPECT_EQ(only(verify(field + std::string(kExtraFrom) + std::string(kMessage))),
            (Outcome{Verdict::fail, Reason::signature_mismatch}));
}

// Several TXT records at one name (key_record.h rule): pass if any usable one verifies; else the
// first record's outcome.
TEST_F(VerifyRules, SeveralTxtRecordsPassIfAnyVerifies) {
  const std::string bytes = signed_copy(kMessage, options(), *rsa_);
  keys_.set(kSelector, {"v=DKIM1; k=rsa; p=", record_for(*rsa_)});
  EXPECT_EQ(only(verify(bytes)), kPass);
  keys_.set(kSelector, {record_for(*rsa_other_), record_for(*rsa_)});
  EXPECT_EQ(only(verify(bytes)), kPass);
  keys_.set(kSelector, {"v=DKIM1; k=rsa; p=", "not a key", record_for(*rsa_other_)});
  EXPECT_EQ(only(verify(bytes)), (Outcome{Verdict::permerror, Reason::key_revoked}));
  keys_.set(kSelector, {record_for(*rsa_other_), "v=DKIM1; k=rsa; p="});
  EXPECT_EQ(only(verify(bytes)), (Outcome{Verdict::fail, Reason::signature_mismatch}));
}

TEST_F(VerifyRules, SignaturesBeyondTheCapAreNeutral) {
  keys_.set(kSelector, {record_for(*rsa_)});
  std::string bytes(kMessage);
  for (int i = 0; i < 3; ++i) bytes = sign_message(bytes, options(), *rsa_) + bytes;
  const MessageResult& r = verify(bytes, Policy::strict, kNow, 2);
  ASSERT_EQ(r.signatures.size(), 3u);
  EXPECT_EQ(r.signatures[0].verdict, Verdict::pass);
  EXPECT_EQ(r.signatures[1].verdict, Verdict::pass);
  EXPECT_EQ(r.signatures[2].verdict, Verdict::neutral);
  EXPECT_EQ(r.signatures[2].reason, Reason::sig_over_cap);
  EXPECT_EQ(r.best, Verdict::pass);
  EXPECT_EQ(keys_.lookups(), 2);  // the capped signature is not looked up
}

TEST_F(VerifyRules, UnsignedMessageIsNone) {
  const MessageResult& r = verify(std::string(kMessage));
  EXPECT_TRUE(r.signatures.empty());
  EXPECT_EQ(r.best, Verdict::none);
  EXPECT_EQ(r.best_reason, Reason::no_signature);
  EXPECT_EQ(r.message_id, "<20030712040037.46341.5F8J@example.com>");
}

// §6.1.2 step 2: a temporary lookup failure is temperror; NXDOMAIN is permerror.
TEST_F(VerifyRules, KeyLookupFailuresMapToTemperrorAndPermerror) {
  const std::string bytes = signed_copy(kMessage, options(), *rsa_);
  keys_.set_error(kSelector, Reason::key_dns_timeout);
  EXPECT_EQ(only(verify(bytes)), (Outcome{Verdict::temperror, Reason::key_dns_timeout}));
  keys_.set_error(kSelector, Reason::key_dns_servfail);
  EXPECT_EQ(only(verify(bytes)), (Outcome{Verdict::temperror, Reason::key_dns_servfail}));
  keys_.set_error(kSelector, Reason::key_not_found);
  EXPECT_EQ(only(verify(bytes)), (Outcome{Verdict::permerror, Reason::key_not_found}));
  SignOptions elsewhere = options("nosuchselector");
  EXPECT_EQ(only(verify(signed_copy(kMessage, elsewhere, *rsa_))), (Outcome{Verdict::permerror, Reason::key_not_found}));
}

// The message's best result: pass beats fail beats permerror (verdict_rank).
TEST_F(VerifyRules, BestResultOfSeveralSignaturesIsThePass) {
  keys_.set(kSelector, {record_for(*rsa_)});
  keys_.set("gone", {"v=DKIM1; p="});
  std::string bytes = signed_copy(kMessage, options(), *rsa_);
  bytes = sign_message(bytes, options("gone"), *rsa_) + bytes;
  const MessageResult& r = verify(bytes);
  ASSERT_EQ(r.signatures.size(), 2u);
  EXPECT_EQ(r.signatures[0].reason, Reason::key_revoked);
  EXPECT_EQ(r.signatures[1].reason, Reason::ok);
  EXPECT_EQ(r.best, Verdict::pass);
  EXPECT_EQ(r.best_reason, Reason::ok);
}

}  // namespace
}  // namespace dkimscan::engine
