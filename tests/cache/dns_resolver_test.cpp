// Tests for cache/dns_resolver.{h,cpp} against the fault-injecting responder: each DNS outcome maps
// to the exact Reason and detail of RFC 6376 §6.1.2; split strings and several records; TC → TCP;
// slow answers; many queries in flight; the answering server is named.
#include "cache/dns_resolver.h"

#include <gtest/gtest.h>

#include <future>

#include "tests/cache/dns_responder.h"

namespace dkimscan::cache {
namespace {

using engine::Reason;
using testing::DnsResponder;
using testing::Reply;

DnsAnswer resolve_now(DnsResolver& resolver, const std::string& name) {
  std::promise<DnsAnswer> promise;
  auto answer = promise.get_future();
  resolver.resolve(name, [&promise](DnsAnswer&& a) { promise.set_value(std::move(a)); });
  return answer.get();
}

DnsOptions options_for(const DnsResponder& responder, int tries = 1) {
  DnsOptions options;
  options.servers = responder.server();
  options.timeout = std::chrono::milliseconds(250);
  options.tries = tries;
  return options;
}

Reply txt(std::vector<std::vector<std::string>> records, std::uint32_t ttl = 300) {
  Reply reply;
  reply.records = std::move(records);
  reply.ttl = ttl;
  return reply;
}

Reply of_kind(Reply::Kind kind) {
  Reply reply;
  reply.kind = kind;
  return reply;
}

TEST(DnsResolver, SplitStringsOfOneRecordAreJoined) {
  DnsResponder responder([](const std::string&) {
    return txt({{"v=DKIM1; k=ed25519; ", "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="}}, 3600);
  });
  DnsResolver resolver(options_for(responder));
  const DnsAnswer answer = resolve_now(resolver, "brisbane._domainkey.example.com");
  EXPECT_EQ(answer.lookup, Reason::ok);
  EXPECT_EQ(answer.outcome, DnsOutcome::answer);
  EXPECT_EQ(answer.txt, std::vector<std::string>{
                            "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="});
  EXPECT_EQ(answer.ttl, 3600u);
  EXPECT_EQ(answer.server, responder.server());
  EXPECT_GT(answer.queried, 1600000000);
}

TEST(DnsResolver, SeveralRecordsStayInAnswerOrderWithTheSmallestTtl) {
  DnsResponder responder([](const std::string&) { return txt({{"first"}, {"sec", "ond"}, {""}}, 77); });
  DnsResolver resolver(options_for(responder));
  const DnsAnswer answer = resolve_now(resolver, "s._domainkey.example.com");
  EXPECT_EQ(answer.lookup, Reason::ok);
  EXPECT_EQ(answer.txt, (std::vector<std::string>{"first", "second", ""}));
  EXPECT_EQ(answer.ttl, 77u);
}

TEST(DnsResolver, NxdomainIsKeyNotFoundWithTheRfc2308Ttl) {
  DnsResponder responder([](const std::string&) { return of_kind(Reply::Kind::nxdomain); });
  DnsResolver resolver(options_for(responder));
  const DnsAnswer answer = resolve_now(resolver, "gone._domainkey.example.com");
  EXPECT_EQ(answer.lookup, Reason::key_not_found);
  EXPECT_EQ(answer.outcome, DnsOutcome::nxdomain);
  EXPECT_EQ(answer.detail, "NXDOMAIN");
  EXPECT_EQ(answer.ttl, 120u);  // min(SOA TTL 900, MINIMUM 120)
  EXPECT_TRUE(answer.txt.empty());
}

TEST(DnsResolver, NodataIsKeyNotFoundAndWithoutSoaHasNoTtl) {
  DnsResponder responder([](const std::string& name) {
    Reply reply = of_kind(Reply::Kind::nodata);
    reply.with_soa = name.starts_with("soa.");
    reply.soa_ttl = 60;
    return reply;
  });
  DnsResolver resolver(options_for(responder));
  const DnsAnswer with_soa = resolve_now(resolver, "soa._domainkey.example.com");
  EXPECT_EQ(with_soa.lookup, Reason::key_not_found);
  EXPECT_EQ(with_soa.outcome, DnsOutcome::nodata);
  EXPECT_EQ(with_soa.detail, "NODATA (no TXT record)");
  EXPECT_EQ(with_soa.ttl, 60u);
  const DnsAnswer bare = resolve_now(resolver, "bare._domainkey.example.com");
  EXPECT_EQ(bare.lookup, Reason::key_not_found);
  EXPECT_EQ(bare.ttl, std::nullopt);
}

// A key delegated to another zone by CNAME (a mail provider's selector) through an authoritative
// server, which answers with the CNAME alone: the resolver asks for the target itself.
Reply cname_only(std::string target, std::uint32_t ttl = 300) {
  Reply reply = of_kind(Reply::Kind::nodata);
  reply.with_soa = false;
  reply.cnames = {std::move(target)};
  reply.ttl = ttl;
  return reply;
}

TEST(DnsResolver, ACnameIntoAnotherZoneIsFollowedToItsKey) {
  DnsResponder responder([](const std::string& name) {
    if (name == "s._domainkey.a.test") return cname_only("s.keys.b.test", 60);
    if (name == "s.keys.b.test") return txt({{"v=DKIM1; p=key"}}, 3600);
    return of_kind(Reply::Kind::nxdomain);
  });
  DnsResolver resolver(options_for(responder));
  const DnsAnswer answer = resolve_now(resolver, "s._domainkey.a.test");
  EXPECT_EQ(answer.lookup, Reason::ok) << answer.detail;
  EXPECT_EQ(answer.txt, std::vector<std::string>{"v=DKIM1; p=key"});
  EXPECT_EQ(answer.ttl, 60u);  // no longer than the CNAME that leads to the key
  EXPECT_EQ(responder.queries_for("s._domainkey.a.test"), 1u);
  EXPECT_EQ(responder.queries_for("s.keys.b.test"), 1u);
  EXPECT_EQ(resolver.queries_sent(), 2u);
}

TEST(DnsResolver, AChainTheServerFinishesCostsOneQuery) {
  DnsResponder responder([](const std::string&) {
    Reply reply = txt({{"v=DKIM1; p=key"}}, 300);
    reply.cnames = {"s.keys.b.test"};
    return reply;
  });
  DnsResolver resolver(options_for(responder));
  const DnsAnswer answer = resolve_now(resolver, "s._domainkey.a.test");
  EXPECT_EQ(answer.lookup, Reason::ok);
  EXPECT_EQ(responder.queries(), 1u);
}

TEST(DnsResolver, AFailureAtACnameTargetSaysWhere) {
  DnsResponder responder([](const std::string& name) {
    if (name == "gone._domainkey.a.test") return cname_only("gone.keys.b.test");
    if (name == "down._domainkey.a.test") return cname_only("down.keys.b.test");
    if (name == "down.keys.b.test") return of_kind(Reply::Kind::servfail);
    return of_kind(Reply::Kind::nxdomain);
  });
  DnsResolver resolver(options_for(responder));
  const DnsAnswer gone = resolve_now(resolver, "gone._domainkey.a.test");
  EXPECT_EQ(gone.lookup, Reason::key_not_found);
  EXPECT_EQ(gone.outcome, DnsOutcome::nxdomain);
  EXPECT_EQ(gone.detail, "NXDOMAIN at CNAME target gone.keys.b.test");
  EXPECT_EQ(gone.ttl, 120u);  // the target's negative TTL, below the CNAME's 300
  const DnsAnswer down = resolve_now(resolver, "down._domainkey.a.test");
  EXPECT_EQ(down.lookup, Reason::key_dns_servfail);
  EXPECT_EQ(down.detail, "SERVFAIL at CNAME target down.keys.b.test");
}

TEST(DnsResolver, ACnameLoopEndsAfterEightLinks) {
  DnsResponder responder([](const std::string& name) {
    return cname_only(name == "s._domainkey.a.test" ? "s.keys.b.test" : "s._domainkey.a.test");
  });
  DnsResolver resolver(options_for(responder));
  const DnsAnswer answer = resolve_now(resolver, "s._domainkey.a.test");
  EXPECT_EQ(answer.lookup, Reason::key_not_found);
  EXPECT_EQ(answer.outcome, DnsOutcome::nodata);
  EXPECT_EQ(answer.detail, "CNAME chain longer than 8 links (a loop?)");
  EXPECT_EQ(responder.queries(), 9u);  // the name, then one query per link
}

// The limit holds for links in one answer as for links across queries: a server that hands over a
// 9-link chain with the key at its end gives no key, nor do two answers of 8 links each.
TEST(DnsResolver, NoChainLongerThanEightLinksGivesAKey) {
  DnsResponder responder([](const std::string& name) {
    std::vector<std::string> nine;
    for (int i = 1; i <= 9; ++i) nine.push_back("h" + std::to_string(i) + ".test");
    if (name == "nine._domainkey.a.test") {
      Reply reply = txt({{"v=DKIM1; p=key"}});
      reply.cnames = nine;
      return reply;
    }
    if (name == "eight._domainkey.a.test") return cname_only("h8.test");  // the chase starts at h8
    Reply reply = txt({{"v=DKIM1; p=key"}});
    reply.cnames = {"h9.test", "h10.test", "h11.test", "h12.test", "h13.test", "h14.test", "h15.test", "h16.test"};
    return reply;
  });
  DnsResolver resolver(options_for(responder));
  for (const char* name : {"nine._domainkey.a.test", "eight._domainkey.a.test"}) {
    const DnsAnswer answer = resolve_now(resolver, name);
    EXPECT_EQ(answer.lookup, Reason::key_not_found) << name;
    EXPECT_EQ(answer.detail, "CNAME chain longer than 8 links (a loop?)") << name;
  }
  // Eight links in one answer are within the limit.
  DnsResponder eight([](const std::string&) {
    Reply reply = txt({{"v=DKIM1; p=key"}});
    for (int i = 1; i <= 8; ++i) reply.cnames.push_back("h" + std::to_string(i) + ".test");
    return reply;
  });
  DnsResolver within(options_for(eight));
  EXPECT_EQ(resolve_now(within, "s._domainkey.a.test").lookup, Reason::ok);
}

TEST(DnsResolver, ServfailAndRefusedAreTemporary) {
  DnsResponder responder([](const std::string& name) {
    return of_kind(name.starts_with("sf.") ? Reply::Kind::servfail : Reply::Kind::refused);
  });
  DnsResolver resolver(options_for(responder, 2));
  const DnsAnswer servfail = resolve_now(resolver, "sf._domainkey.example.com");
  EXPECT_EQ(servfail.lookup, Reason::key_dns_servfail);
  EXPECT_EQ(servfail.outcome, DnsOutcome::servfail);
  EXPECT_EQ(servfail.detail, "SERVFAIL");
  EXPECT_EQ(servfail.server, responder.server());
  const DnsAnswer refused = resolve_now(resolver, "rf._domainkey.example.com");
  EXPECT_EQ(refused.lookup, Reason::key_dns_servfail);
  EXPECT_EQ(refused.outcome, DnsOutcome::refused);
  EXPECT_EQ(refused.detail, "REFUSED");
  // A SERVFAIL answer is final for the query (ARES_FLAG_NOCHECKRESP); the cache retries later.
  EXPECT_EQ(responder.queries_for("sf._domainkey.example.com"), 1u);
}

TEST(DnsResolver, SilenceAndGarbageTimeOut) {
  DnsResponder responder([](const std::string& name) {
    return of_kind(name.starts_with("mute.") ? Reply::Kind::silent : Reply::Kind::garbage);
  });
  DnsResolver resolver(options_for(responder, 2));
  const DnsAnswer silent = resolve_now(resolver, "mute._domainkey.example.com");
  EXPECT_EQ(silent.lookup, Reason::key_dns_timeout);
  EXPECT_EQ(silent.outcome, DnsOutcome::timeout);
  EXPECT_EQ(silent.detail, "DNS timeout (2 tries)");
  EXPECT_EQ(silent.server, "");
  // A reply c-ares cannot match to the query (wrong id, no question) is dropped: a timeout.
  const DnsAnswer garbage = resolve_now(resolver, "junk._domainkey.example.com");
  EXPECT_EQ(garbage.lookup, Reason::key_dns_timeout);
  EXPECT_EQ(responder.queries_for("mute._domainkey.example.com"), 2u);
}

TEST(DnsResolver, MalformedTxtDataIsATemporaryFailure) {
  DnsResponder responder([](const std::string&) { return of_kind(Reply::Kind::bad_rdata); });
  DnsResolver resolver(options_for(responder));
  const DnsAnswer answer = resolve_now(resolver, "bad._domainkey.example.com");
  EXPECT_EQ(answer.lookup, Reason::key_dns_servfail);
  EXPECT_EQ(answer.outcome, DnsOutcome::network);
  EXPECT_EQ(answer.detail, "malformed DNS answer");
}

TEST(DnsResolver, TruncatedUdpAnswerIsRetriedOverTcp) {
  const std::string long_value(600, 'k');  // three strings: 255 + 255 + 90
  DnsResponder responder([&](const std::string&) {
    Reply reply = txt({{long_value.substr(0, 255), long_value.substr(255, 255), long_value.substr(510)}});
    reply.truncate_udp = true;
    return reply;
  });
  DnsResolver resolver(options_for(responder));
  const DnsAnswer answer = resolve_now(resolver, "big._domainkey.example.com");
  EXPECT_EQ(answer.lookup, Reason::ok);
  EXPECT_EQ(answer.txt, std::vector<std::string>{long_value});
  EXPECT_EQ(responder.udp_queries(), 1u);
  EXPECT_EQ(responder.tcp_queries(), 1u);
  EXPECT_EQ(answer.server, responder.server());
}

TEST(DnsResolver, SlowAnswersWithinTheTimeoutArriveAndLaterOnesTimeOut) {
  DnsResponder responder([](const std::string& name) {
    Reply reply = txt({{"v=DKIM1; p="}});
    reply.delay = std::chrono::milliseconds(name.starts_with("slow.") ? 100 : 1000);
    return reply;
  });
  DnsOptions options = options_for(responder);
  options.timeout = std::chrono::milliseconds(400);
  DnsResolver resolver(options);
  EXPECT_EQ(resolve_now(resolver, "slow._domainkey.example.com").lookup, Reason::ok);
  EXPECT_EQ(resolve_now(resolver, "late._domainkey.example.com").lookup, Reason::key_dns_timeout);
}

TEST(DnsResolver, ManyQueriesInFlightAllComplete) {
  DnsResponder responder([](const std::string& name) { return txt({{name}}); });
  DnsOptions options = options_for(responder, 3);
  options.max_in_flight = 16;
  DnsResolver resolver(options);
  constexpr int kNames = 500;
  std::vector<std::promise<DnsAnswer>> promises(kNames);
  for (int i = 0; i < kNames; ++i) {
    resolver.resolve("n" + std::to_string(i) + "._domainkey.example.com",
                     [&promises, i](DnsAnswer&& a) { promises[i].set_value(std::move(a)); });
  }
  for (int i = 0; i < kNames; ++i) {
    const DnsAnswer answer = promises[i].get_future().get();
    ASSERT_EQ(answer.lookup, Reason::ok) << answer.detail;
    EXPECT_EQ(answer.txt, std::vector<std::string>{"n" + std::to_string(i) + "._domainkey.example.com"});
  }
  EXPECT_EQ(resolver.queries_sent(), static_cast<std::uint64_t>(kNames));
  EXPECT_EQ(responder.distinct_names(), static_cast<std::size_t>(kNames));
}

TEST(DnsResolver, StoppedResolverAnswersAtOnce) {
  DnsResponder responder([](const std::string&) { return of_kind(Reply::Kind::silent); });
  DnsOptions options = options_for(responder);
  options.timeout = std::chrono::milliseconds(5000);
  DnsResolver resolver(options);
  std::promise<DnsAnswer> in_flight;
  resolver.resolve("mute._domainkey.example.com", [&](DnsAnswer&& a) { in_flight.set_value(std::move(a)); });
  resolver.stop();
  const DnsAnswer cancelled = in_flight.get_future().get();
  EXPECT_EQ(cancelled.lookup, Reason::key_dns_servfail);
  EXPECT_EQ(cancelled.detail, "resolver stopped");
  EXPECT_EQ(resolve_now(resolver, "later._domainkey.example.com").detail, "resolver stopped");
}

// A port nobody listens on: the server's ICMP "port unreachable" is a network failure.
std::uint16_t dead_port() {
  DnsResponder gone([](const std::string&) { return Reply{}; });
  return gone.port();  // closed when gone is destroyed
}

TEST(DnsResolver, ConnectionRefusedIsATemporaryNetworkFailure) {
  DnsOptions options;
  options.servers = "127.0.0.1:" + std::to_string(dead_port());
  options.timeout = std::chrono::milliseconds(250);
  options.tries = 1;
  DnsResolver resolver(options);
  const DnsAnswer answer = resolve_now(resolver, "s._domainkey.example.com");
  EXPECT_EQ(answer.lookup, Reason::key_dns_servfail);
  EXPECT_EQ(answer.outcome, DnsOutcome::network);
  EXPECT_EQ(answer.detail, "connection refused");
}

TEST(DnsResolver, ADeadFirstServerFailsOverAndTheAnswerNamesTheSecond) {
  DnsResponder responder([](const std::string&) { return txt({{"v=DKIM1; p="}}); });
  DnsOptions options;
  options.servers = "127.0.0.1:" + std::to_string(dead_port()) + "," + responder.server();
  options.timeout = std::chrono::milliseconds(250);
  options.tries = 1;
  DnsResolver resolver(options);
  const DnsAnswer answer = resolve_now(resolver, "s._domainkey.example.com");
  EXPECT_EQ(answer.lookup, Reason::ok);
  EXPECT_EQ(answer.server, responder.server());
}

TEST(DnsResolver, BadServerListIsRejected) {
  DnsOptions options;
  options.servers = "not-an-address";
  EXPECT_THROW(DnsResolver resolver(options), std::runtime_error);
}

}  // namespace
}  // namespace dkimscan::cache
