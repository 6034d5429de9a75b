// Tests for cache/dns_answer.{h,cpp}: the TXT records at the end of a CNAME chain, the TTL of a
// chain, and where a chain that the answer does not finish must be asked for next.
#include "cache/dns_answer.h"

#include <gtest/gtest.h>

#include "tests/cache/dns_responder.h"

namespace dkimscan::cache {
namespace {

using testing::Reply;

TxtAnswer parse(const std::string& name, const Reply& reply) {
  const testing::Bytes message = testing::build_response(testing::build_query(name, 7), reply, /*tcp=*/false);
  TxtAnswer answer;
  EXPECT_TRUE(parse_txt_answer(message, answer));
  return answer;
}

Reply behind(std::vector<std::string> cnames, Reply::Kind kind, bool with_soa = true) {
  Reply reply;
  reply.kind = kind;
  reply.cnames = std::move(cnames);
  reply.with_soa = with_soa;
  reply.records = {{"v=DKIM1; p=key"}};
  return reply;
}

TEST(DnsAnswer, TxtAtTheQuestionNameHasNoChain) {
  const TxtAnswer answer = parse("s._domainkey.a.test", behind({}, Reply::Kind::txt));
  EXPECT_EQ(answer.txt, std::vector<std::string>{"v=DKIM1; p=key"});
  EXPECT_EQ(answer.cname_links, 0);
  EXPECT_FALSE(answer.cname_ttl);
  EXPECT_EQ(answer.unanswered_target, "");
}

TEST(DnsAnswer, TxtAtTheEndOfAChainIsTheAnswer) {
  Reply reply = behind({"s.Keys.B.test", "final.c.test"}, Reply::Kind::txt);
  reply.ttl = 60;
  const TxtAnswer answer = parse("s._domainkey.a.test", reply);
  EXPECT_EQ(answer.txt, std::vector<std::string>{"v=DKIM1; p=key"});
  EXPECT_EQ(answer.cname_links, 2);
  EXPECT_EQ(answer.cname_ttl, 60u);
  EXPECT_EQ(answer.ttl, 60u);
  EXPECT_EQ(answer.unanswered_target, "");
}

TEST(DnsAnswer, ACnameAloneNamesItsTargetToAskNext) {
  // What an authoritative server sends for a name delegated into a zone it does not serve.
  const TxtAnswer answer = parse("s._domainkey.a.test", behind({"S.Keys.B.test"}, Reply::Kind::nodata, false));
  EXPECT_TRUE(answer.txt.empty());
  EXPECT_FALSE(answer.ttl);
  EXPECT_EQ(answer.cname_links, 1);
  EXPECT_EQ(answer.cname_ttl, 300u);
  EXPECT_EQ(answer.unanswered_target, "s.keys.b.test");  // lower-cased, as dkimscan asks
}

TEST(DnsAnswer, AChainEndingInNodataOrNxdomainIsFinal) {
  // With an SOA the server has spoken for the target: it has no TXT record, or does not exist.
  const TxtAnswer nodata = parse("s._domainkey.a.test", behind({"s.keys.a.test"}, Reply::Kind::nodata, true));
  EXPECT_TRUE(nodata.txt.empty());
  EXPECT_EQ(nodata.unanswered_target, "");
  EXPECT_EQ(nodata.negative_ttl, 120u);
  const TxtAnswer nxdomain = parse("s._domainkey.a.test", behind({"s.keys.a.test"}, Reply::Kind::nxdomain, false));
  EXPECT_EQ(nxdomain.rcode, 3);
  EXPECT_EQ(nxdomain.unanswered_target, "");
}

TEST(DnsAnswer, TxtRecordsOffTheChainAreIgnored) {
  // A NOERROR answer to a.test whose only TXT record belongs to another name (as a confused or
  // hostile server might add): not a key for the name asked.
  testing::Bytes message = testing::build_response(testing::build_query("s._domainkey.a.test", 7),
                                                   behind({}, Reply::Kind::nodata, false), false);
  message[7] = 1;  // ANCOUNT
  testing::put_txt_rr(message, testing::name_bytes("s._domainkey.evil.test"), {"v=DKIM1; p=key"}, 300);
  TxtAnswer answer;
  ASSERT_TRUE(parse_txt_answer(message, answer));
  EXPECT_TRUE(answer.txt.empty());
  EXPECT_EQ(answer.unanswered_target, "");  // no chain to follow either
}

}  // namespace
}  // namespace dkimscan::cache
