// File: key_record_test.cpp
// parse_key_record() against RFC 6376 §3.6.1 and RFC 8463 §4, mostly on the real records of the
// test corpora's keys.zone files (SPKI and bare PKCS#1 RSA keys, Ed25519, FWS around '='), with
// the exact Reason for every unusable record; then make_key_set() and key_name().
#include "engine/key_record.h"

#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/key_provider.h"
#include "tests/engine/reason_printing.h"

namespace dkimscan::engine {
namespace {

// The TXT value published at `name` in tests/data/<corpus>/keys.zone ("<name> <value>" lines).
std::string zone_value(const std::string& corpus, const std::string& name) {
  std::ifstream in(std::string(DKIMSCAN_TESTDATA) + "/" + corpus + "/keys.zone");
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, name.size() + 1, name + " ") == 0) return line.substr(name.size() + 1);
  }
  ADD_FAILURE() << name << " not found in " << corpus << "/keys.zone";
  return {};
}

// The p= value of a zone record, for building variants of a known-good key.
std::string p_of(const std::string& record) { return record.substr(record.find("p=") + 2); }

TEST(KeyRecord, RsaSpkiKeyParses) {
  const KeyRecord rec = parse_key_record(zone_value("go-msgauth", "brisbane._domainkey.example.com"));
  ASSERT_EQ(rec.status, Reason::ok);
  EXPECT_EQ(rec.type, KeyType::rsa);
  EXPECT_EQ(rec.bits, 1024u);
  EXPECT_NE(rec.key, nullptr);
  EXPECT_TRUE(rec.sha1_allowed);
  EXPECT_TRUE(rec.sha256_allowed);
  EXPECT_TRUE(rec.email_service);
  EXPECT_FALSE(rec.testing);
  EXPECT_FALSE(rec.strict_subdomains);
}

TEST(KeyRecord, BarePkcs1RsaKeyParses) {
  const KeyRecord rec = parse_key_record(zone_value("go-msgauth", "newengland._domainkey.example.com"));
  ASSERT_EQ(rec.status, Reason::ok);
  EXPECT_EQ(rec.type, KeyType::rsa);
  EXPECT_EQ(rec.bits, 1024u);
  EXPECT_NE(rec.key, nullptr);
}

TEST(KeyRecord, Ed25519KeyParses) {
  const KeyRecord rec = parse_key_record(zone_value("rfc8463", "brisbane._domainkey.football.example.com"));
  ASSERT_EQ(rec.status, Reason::ok);
  EXPECT_EQ(rec.type, KeyType::ed25519);
  EXPECT_EQ(rec.bits, 256u);
  EXPECT_NE(rec.key, nullptr);
}

TEST(KeyRecord, FwsAroundEqualsAndUnknownTagsAndFlagsAreAccepted) {
  // Mail::DKIM test2: "s=email:web:fine; x1 = extra ; t = y:n:extra; h=md5:sha1; p=..."
  const KeyRecord rec = parse_key_record(zone_value("mail-dkim", "test2._domainkey.messiah.edu"));
  ASSERT_EQ(rec.status, Reason::ok);
  EXPECT_EQ(rec.bits, 512u);  // size policy is the verifier's, not the parser's
  EXPECT_TRUE(rec.email_service);
  EXPECT_TRUE(rec.testing);
  EXPECT_FALSE(rec.strict_subdomains);
  EXPECT_TRUE(rec.sha1_allowed);
  EXPECT_FALSE(rec.sha256_allowed);
}

TEST(KeyRecord, FwsInsideTheKeyDataIsSkipped) {
  const std::string p = p_of(zone_value("go-msgauth", "brisbane._domainkey.example.com"));
  const std::string folded = "v=DKIM1; p=" + p.substr(0, 40) + "\r\n\t" + p.substr(40, 40) + " " + p.substr(80);
  const KeyRecord rec = parse_key_record(folded);
  ASSERT_EQ(rec.status, Reason::ok);
  EXPECT_EQ(rec.bits, 1024u);
}

TEST(KeyRecord, StrictSubdomainFlagAndSha256OnlyAreRead) {
  const KeyRecord rec = parse_key_record(zone_value("mail-auth", "s1024-2013-q3._domainkey.facebookmail.com"));
  ASSERT_EQ(rec.status, Reason::ok);
  EXPECT_TRUE(rec.strict_subdomains);
  EXPECT_FALSE(rec.testing);
  EXPECT_FALSE(rec.sha1_allowed);
  EXPECT_TRUE(rec.sha256_allowed);
}

TEST(KeyRecord, UnknownHashesOnlyAllowNoHash) {
  const KeyRecord rec = parse_key_record(zone_value("mail-dkim", "testbad7._domainkey.messiah.edu"));  // h=bad
  ASSERT_EQ(rec.status, Reason::ok);
  EXPECT_FALSE(rec.sha1_allowed);
  EXPECT_FALSE(rec.sha256_allowed);
}

TEST(KeyRecord, ServiceWithoutEmailOrStarIsNotForEmail) {
  const KeyRecord chat = parse_key_record(zone_value("mail-dkim", "testbad4._domainkey.messiah.edu"));  // s=chat
  ASSERT_EQ(chat.status, Reason::ok);
  EXPECT_FALSE(chat.email_service);
  const KeyRecord star = parse_key_record(zone_value("mail-dkim", "foo._domainkey.vmt2.cis.att.net"));  // s=*
  ASSERT_EQ(star.status, Reason::ok);
  EXPECT_TRUE(star.email_service);
}

TEST(KeyRecord, RemovedGranularityTagIsIgnored) {
  // RFC 4871's g= was removed by RFC 6376; as an unknown tag it is ignored, whatever its value.
  for (const char* name : {"test3._domainkey.messiah.edu", "test4._domainkey.messiah.edu", "testbad8._domainkey.messiah.edu"}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(parse_key_record(zone_value("mail-dkim", name)).status, Reason::ok);
  }
}

TEST(KeyRecord, VersionOtherThanDkim1IsKeyBadVersion) {
  EXPECT_EQ(parse_key_record(zone_value("mail-dkim", "testbad1._domainkey.messiah.edu")).status,
            Reason::key_bad_version);  // v=DKIM3
}

TEST(KeyRecord, VersionThatIsNotTheFirstTagIsKeyBadVersion) {
  const std::string p = p_of(zone_value("go-msgauth", "brisbane._domainkey.example.com"));
  EXPECT_EQ(parse_key_record("k=rsa; v=DKIM1; p=" + p).status, Reason::key_bad_version);
  EXPECT_EQ(parse_key_record(" v = DKIM1 ; k=rsa; p=" + p).status, Reason::ok);
}

TEST(KeyRecord, MalformedTagListIsKeySyntax) {
  EXPECT_EQ(parse_key_record(zone_value("mail-dkim", "testbad2._domainkey.messiah.edu")).status,
            Reason::key_syntax);  // "t;" has no '='
  EXPECT_EQ(parse_key_record(zone_value("mail-dkim", "2023-05-ed25519-empty._domainkey.wander.science")).status,
            Reason::key_syntax);  // the value is two double quotes
  EXPECT_EQ(parse_key_record("").status, Reason::key_syntax);
  EXPECT_EQ(parse_key_record("k=rsa; k=rsa; p=abc").status, Reason::key_syntax);
}

TEST(KeyRecord, MissingPublicKeyIsKeySyntax) {
  const KeyRecord rec = parse_key_record("v=DKIM1; k=rsa");
  EXPECT_EQ(rec.status, Reason::key_syntax);
  EXPECT_EQ(rec.key, nullptr);
}

TEST(KeyRecord, EmptyPublicKeyIsKeyRevoked) {
  const KeyRecord rec = parse_key_record(zone_value("mail-dkim", "testrevoked._domainkey.messiah.edu"));
  EXPECT_EQ(rec.status, Reason::key_revoked);
  EXPECT_EQ(rec.key, nullptr);
  EXPECT_EQ(parse_key_record("v=DKIM1; p= \r\n ").status, Reason::key_revoked);
}

TEST(KeyRecord, UnknownKeyTypeIsKeyUnknownType) {
  EXPECT_EQ(parse_key_record(zone_value("mail-dkim", "testbad3._domainkey.messiah.edu")).status,
            Reason::key_unknown_type);  // k=foobar
  EXPECT_EQ(parse_key_record("k=; p=abcd").status, Reason::key_unknown_type);
}

TEST(KeyRecord, NonBase64KeyDataIsKeyBadData) {
  EXPECT_EQ(parse_key_record("v=DKIM1; p=!!!!").status, Reason::key_bad_data);
  EXPECT_EQ(parse_key_record("v=DKIM1; p=MIGf=MA0G").status, Reason::key_bad_data);
}

TEST(KeyRecord, Base64ThatIsNoKeyIsKeyBadData) {
  const KeyRecord rec = parse_key_record("v=DKIM1; p=dGVzdA==");
  EXPECT_EQ(rec.status, Reason::key_bad_data);
  EXPECT_EQ(rec.key, nullptr);
  EXPECT_EQ(rec.bits, 0u);
}

TEST(KeyRecord, KeyOfAnotherTypeThanKIsKeyBadData) {
  const std::string rsa = p_of(zone_value("go-msgauth", "brisbane._domainkey.example.com"));
  EXPECT_EQ(parse_key_record("v=DKIM1; k=ed25519; p=" + rsa).status, Reason::key_bad_data);
  const std::string ed = p_of(zone_value("rfc8463", "brisbane._domainkey.football.example.com"));
  EXPECT_EQ(parse_key_record("v=DKIM1; k=rsa; p=" + ed).status, Reason::key_bad_data);
}

TEST(KeyRecord, Ed25519KeyWrappedInSubjectPublicKeyInfoIsKeyBadData) {
  // RFC 8463 §4.2: p= is the bare 32-byte key; Mail::DKIM badkey1_ed25519 publishes an SPKI.
  EXPECT_EQ(parse_key_record(zone_value("mail-dkim", "invalid._domainkey.wander.science")).status,
            Reason::key_bad_data);
}

TEST(KeySet, NoTxtRecordIsKeyNotFound) {
  const KeySetPtr set = make_key_set({});
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(set->lookup, Reason::key_not_found);
  EXPECT_TRUE(set->records.empty());
}

TEST(KeySet, EachTxtValueBecomesOneRecordInOrder) {
  const KeySetPtr set = make_key_set({zone_value("mail-dkim", "testrevoked._domainkey.messiah.edu"),
                                      zone_value("rfc8463", "brisbane._domainkey.football.example.com")});
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(set->lookup, Reason::ok);
  ASSERT_EQ(set->records.size(), 2u);
  EXPECT_EQ(set->records[0].status, Reason::key_revoked);
  EXPECT_EQ(set->records[1].status, Reason::ok);
  EXPECT_EQ(set->records[1].type, KeyType::ed25519);
}

TEST(KeySet, ErrorSetCarriesTheLookupReasonAndDetail) {
  const KeySetPtr set = make_key_set_error(Reason::key_dns_timeout, "Query timed out");
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(set->lookup, Reason::key_dns_timeout);
  EXPECT_EQ(set->detail, "Query timed out");
  EXPECT_TRUE(set->records.empty());
}

TEST(KeyName, IsSelectorDomainkeyDomainInLowerCase) {
  EXPECT_EQ(key_name("Brisbane", "Football.Example.COM"), "brisbane._domainkey.football.example.com");
  EXPECT_EQ(key_name("2023-05.ed25519", "wander.science"), "2023-05.ed25519._domainkey.wander.science");
}

}  // namespace
}  // namespace dkimscan::engine
