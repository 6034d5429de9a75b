// Tests for cache/key_cache.{h,cpp} with a hand-driven DnsSource and a fake clock: de-duplication
// (one query, every waiter told once), TTL floor/ceiling, RFC 2308 negative TTLs, brief temporary
// failures, the size bound and which entries it evicts, blocking lookups, and the same through
// many threads and a real resolver.
#include "cache/key_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/cache/dns_responder.h"

namespace dkimscan::cache {
namespace {

using engine::Reason;
using std::chrono::seconds;

constexpr std::string_view kKey = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

// Holds the queries until the test answers them.
class FakeSource : public DnsSource {
 public:
  void resolve(std::string name, DnsCallback done) override {
    std::lock_guard lock(mutex_);
    queries_.push_back({std::move(name), std::move(done)});
  }
  std::size_t count() {
    std::lock_guard lock(mutex_);
    return queries_.size();
  }
  std::string name(std::size_t i) {
    std::lock_guard lock(mutex_);
    return queries_.at(i).first;
  }
  void answer(std::size_t i, DnsAnswer answer) {
    DnsCallback done;
    {
      std::lock_guard lock(mutex_);
      done = std::move(queries_.at(i).second);
    }
    done(std::move(answer));
  }

 private:
  std::mutex mutex_;
  std::vector<std::pair<std::string, DnsCallback>> queries_;
};

DnsAnswer ok_answer(std::optional<std::uint32_t> ttl) {
  DnsAnswer answer;
  answer.txt = {std::string(kKey)};
  answer.ttl = ttl;
  return answer;
}

DnsAnswer failed(Reason reason, DnsOutcome outcome, std::string detail,
                 std::optional<std::uint32_t> ttl = std::nullopt) {
  DnsAnswer answer;
  answer.lookup = reason;
  answer.outcome = outcome;
  answer.detail = std::move(detail);
  answer.ttl = ttl;
  return answer;
}

class CountingWaiter : public engine::KeyWaiter {
 public:
  void key_ready(engine::KeySetPtr keys) noexcept override {
    last = std::move(keys);
    calls.fetch_add(1);
  }
  std::atomic<int> calls{0};
  engine::KeySetPtr last;
};

struct FakeClock {
  SteadyClock::time_point now = SteadyClock::time_point{} + std::chrono::hours(1);
  SteadyNow fn() {
    return [this] { return now; };
  }
};

KeyCacheOptions small_options() {
  KeyCacheOptions options;
  options.ttl_floor = seconds(60);
  options.ttl_ceiling = seconds(3600);
  options.negative_ttl = seconds(300);
  options.tempfail_ttl = seconds(5);
  return options;
}

TEST(KeyCache, ThousandWaitersOfOneNameCauseOneQueryAndEachIsToldOnce) {
  FakeSource source;
  KeyCache cache(small_options(), source);
  std::vector<CountingWaiter> waiters(1000);
  for (CountingWaiter& waiter : waiters) {
    EXPECT_EQ(cache.lookup_or_wait("brisbane._domainkey.example.com", &waiter), nullptr);
  }
  ASSERT_EQ(source.count(), 1u);
  EXPECT_EQ(source.name(0), "brisbane._domainkey.example.com");
  source.answer(0, ok_answer(3600));
  for (const CountingWaiter& waiter : waiters) {
    ASSERT_EQ(waiter.calls.load(), 1);
    EXPECT_EQ(waiter.last.get(), waiters[0].last.get());  // one parsed KeySet, shared
  }
  EXPECT_EQ(waiters[0].last->lookup, Reason::ok);
  ASSERT_EQ(waiters[0].last->records.size(), 1u);
  EXPECT_EQ(waiters[0].last->records[0].status, Reason::ok);
  const engine::KeySetPtr hit = cache.lookup_or_wait("BRISBANE._domainkey.example.com.", nullptr);
  EXPECT_EQ(hit.get(), waiters[0].last.get());
  const KeyStats stats = cache.stats();
  EXPECT_EQ(stats.lookups, 1001u);
  EXPECT_EQ(stats.queries_sent, 1u);
  EXPECT_EQ(stats.inflight_waits, 999u);
  EXPECT_EQ(stats.cache_hits, 1u);
  EXPECT_EQ(stats.answers, 1u);
}

TEST(KeyCache, TtlIsClampedToFloorAndCeiling) {
  FakeSource source;
  FakeClock clock;
  KeyCache cache(small_options(), source, {}, clock.fn());
  cache.lookup_or_wait("short._domainkey.d", nullptr);
  cache.lookup_or_wait("long._domainkey.d", nullptr);
  source.answer(0, ok_answer(5));        // below the 60 s floor
  source.answer(1, ok_answer(1000000));  // above the 3600 s ceiling
  clock.now += seconds(59);
  EXPECT_NE(cache.lookup_or_wait("short._domainkey.d", nullptr), nullptr);
  clock.now += seconds(1);
  EXPECT_EQ(cache.lookup_or_wait("short._domainkey.d", nullptr), nullptr);  // expired: asked again
  EXPECT_EQ(source.count(), 3u);
  clock.now += seconds(3600 - 61);
  EXPECT_NE(cache.lookup_or_wait("long._domainkey.d", nullptr), nullptr);
  clock.now += seconds(1);
  EXPECT_EQ(cache.lookup_or_wait("long._domainkey.d", nullptr), nullptr);
  EXPECT_EQ(source.count(), 4u);
  source.answer(2, ok_answer(60));
  source.answer(3, ok_answer(60));
}

TEST(KeyCache, NegativeAnswersUseTheSoaTtlOrTheDefault) {
  FakeSource source;
  FakeClock clock;
  KeyCache cache(small_options(), source, {}, clock.fn());
  cache.lookup_or_wait("soa._domainkey.d", nullptr);
  cache.lookup_or_wait("nosoa._domainkey.d", nullptr);
  source.answer(0, failed(Reason::key_not_found, DnsOutcome::nxdomain, "NXDOMAIN", 120));
  source.answer(1, failed(Reason::key_not_found, DnsOutcome::nodata, "NODATA (no TXT record)"));
  clock.now += seconds(119);
  const engine::KeySetPtr soa = cache.lookup_or_wait("soa._domainkey.d", nullptr);
  ASSERT_NE(soa, nullptr);
  EXPECT_EQ(soa->lookup, Reason::key_not_found);
  EXPECT_EQ(soa->detail, "NXDOMAIN");
  clock.now += seconds(1);
  EXPECT_EQ(cache.lookup_or_wait("soa._domainkey.d", nullptr), nullptr);  // 120 s: expired
  clock.now += seconds(179);
  const engine::KeySetPtr nosoa = cache.lookup_or_wait("nosoa._domainkey.d", nullptr);
  ASSERT_NE(nosoa, nullptr);
  EXPECT_EQ(nosoa->detail, "NODATA (no TXT record)");
  clock.now += seconds(1);
  EXPECT_EQ(cache.lookup_or_wait("nosoa._domainkey.d", nullptr), nullptr);  // 300 s default
  const KeyStats stats = cache.stats();
  EXPECT_EQ(stats.negative_hits, 2u);
  EXPECT_EQ(stats.nxdomain, 1u);
  EXPECT_EQ(stats.nodata, 1u);
  source.answer(2, ok_answer(60));
  source.answer(3, ok_answer(60));
}

TEST(KeyCache, TemporaryFailuresAreCachedBriefly) {
  FakeSource source;
  FakeClock clock;
  KeyCache cache(small_options(), source, {}, clock.fn());
  cache.lookup_or_wait("sf._domainkey.d", nullptr);
  source.answer(0, failed(Reason::key_dns_servfail, DnsOutcome::servfail, "SERVFAIL", 3600));
  clock.now += seconds(4);
  const engine::KeySetPtr cached = cache.lookup_or_wait("sf._domainkey.d", nullptr);
  ASSERT_NE(cached, nullptr);
  EXPECT_EQ(cached->lookup, Reason::key_dns_servfail);
  EXPECT_EQ(cached->detail, "SERVFAIL");
  clock.now += seconds(1);
  EXPECT_EQ(cache.lookup_or_wait("sf._domainkey.d", nullptr), nullptr);
  source.answer(1, ok_answer(600));
  const engine::KeySetPtr fresh = cache.lookup_or_wait("sf._domainkey.d", nullptr);
  ASSERT_NE(fresh, nullptr);
  EXPECT_EQ(fresh->lookup, Reason::ok);
  EXPECT_EQ(cache.stats().servfail, 1u);
}

// Names that the cache keeps in one shard (NameHash modulo KeyCache's 64 shards): eviction works
// shard by shard, so which entries it picks shows only among names that share one.
std::vector<std::string> names_in_one_shard(std::size_t count) {
  constexpr std::size_t kShards = 64;  // KeyCache::kShards
  std::vector<std::string> names;
  std::size_t shard = 0;
  for (int i = 0; names.size() < count; ++i) {
    std::string name = "n" + std::to_string(i) + "._domainkey.d";
    const std::size_t at = NameHash{}(name) % kShards;
    if (names.empty()) shard = at;
    if (at == shard) names.push_back(std::move(name));
  }
  return names;
}

TEST(KeyCache, SizeIsBoundedByEvictingTheSoonestToExpire) {
  FakeSource source;
  FakeClock clock;  // never moves: nothing expires, so eviction has to choose among live answers
  KeyCacheOptions options = small_options();
  options.max_entries = 64 * 16;  // 16 per shard; a full shard drops the eighth expiring soonest: 2
  KeyCache cache(options, source, {}, clock.fn());
  const std::vector<std::string> names = names_in_one_shard(17);
  // Sixteen answers fill the shard, with TTLs of 60 s to 960 s in scrambled order (7 * i % 16 takes
  // each value once), so that the soonest to expire are neither the first nor the last cached.
  const auto ttl = [](std::size_t i) { return static_cast<std::uint32_t>(60 * (1 + 7 * i % 16)); };
  for (std::size_t i = 0; i < 16; ++i) {
    cache.lookup_or_wait(names[i], nullptr);
    source.answer(i, ok_answer(ttl(i)));
  }
  ASSERT_EQ(cache.size(), 16u);
  ASSERT_EQ(cache.stats().evictions, 0u);
  cache.lookup_or_wait(names[16], nullptr);  // a seventeenth name finds the shard full
  source.answer(16, ok_answer(3600));
  EXPECT_EQ(cache.stats().evictions, 2u);
  ASSERT_EQ(cache.size(), 15u);
  // The 60 s and 120 s answers are gone; the other fourteen, the 960 s one among them, and the
  // new one are still answered from the cache. (Asked only for those: asking for an evicted name
  // would add it again and evict more.)
  std::size_t survivors = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i < 16 && ttl(i) <= 120) continue;
    EXPECT_NE(cache.lookup_or_wait(names[i], nullptr), nullptr) << names[i] << ", TTL " << (i < 16 ? ttl(i) : 3600);
    ++survivors;
  }
  EXPECT_EQ(survivors, 15u);
  EXPECT_EQ(source.count(), 17u);  // every one a hit: no query was sent again
  // Should one have been (the test failing), answer it: the cache's destructor waits for it.
  for (std::size_t i = 17; i < source.count(); ++i) source.answer(i, ok_answer(60));
}

TEST(KeyCache, SizeStaysWithinMaxEntriesAcrossAllShards) {
  FakeSource source;
  KeyCacheOptions options = small_options();
  options.max_entries = 64;  // one entry per shard
  KeyCache cache(options, source);
  for (int i = 0; i < 1000; ++i) {
    cache.lookup_or_wait("n" + std::to_string(i) + "._domainkey.d", nullptr);
    source.answer(static_cast<std::size_t>(i), ok_answer(600));
  }
  EXPECT_LE(cache.size(), 64u);
  EXPECT_EQ(cache.stats().evictions, 1000u - cache.size());
}

TEST(KeyCache, BlockingLookupWaitsForTheAnswer) {
  FakeSource source;
  KeyCache cache(small_options(), source);
  engine::KeySetPtr got;
  std::thread worker([&] { got = cache.lookup("brisbane._domainkey.example.com"); });
  while (source.count() == 0) std::this_thread::yield();
  source.answer(0, failed(Reason::key_dns_timeout, DnsOutcome::timeout, "DNS timeout (3 tries)"));
  worker.join();
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->lookup, Reason::key_dns_timeout);
  EXPECT_EQ(got->detail, "DNS timeout (3 tries)");
  EXPECT_EQ(cache.stats().timeouts, 1u);
}

TEST(KeyCache, AnUnparsableRecordIsAPermanentKeyError) {
  FakeSource source;
  KeyCache cache(small_options(), source);
  cache.lookup_or_wait("bad._domainkey.d", nullptr);
  DnsAnswer answer;
  answer.txt = {"v=DKIM1; k=rsa; p=!!!notbase64"};
  answer.ttl = 600;
  source.answer(0, std::move(answer));
  const engine::KeySetPtr keys = cache.lookup_or_wait("bad._domainkey.d", nullptr);
  ASSERT_NE(keys, nullptr);
  EXPECT_EQ(keys->lookup, Reason::ok);
  ASSERT_EQ(keys->records.size(), 1u);
  EXPECT_NE(keys->records[0].status, Reason::ok);
  EXPECT_EQ(engine::classify(keys->records[0].status), engine::Verdict::permerror);
}

TEST(KeyCache, ObserverSeesEachAnswerBeforeTheWaiters) {
  FakeSource source;
  std::vector<std::string> seen;
  CountingWaiter waiter;
  KeyCache cache(small_options(), source,
                 [&](std::string_view name, const engine::KeySet& keys, const DnsAnswer& answer) {
                   EXPECT_EQ(waiter.calls.load(), 0);
                   seen.push_back(std::string(name) + " " + std::to_string(keys.records.size()) +
                                  " " + answer.txt.at(0));
                 });
  cache.lookup_or_wait("a._domainkey.d", &waiter);
  source.answer(0, ok_answer(600));
  EXPECT_EQ(seen, std::vector<std::string>{"a._domainkey.d 1 " + std::string(kKey)});
  EXPECT_EQ(waiter.calls.load(), 1);
}

// The real resolver and a responder: many threads asking the same names cause exactly one query
// per distinct name.
TEST(KeyCache, ManyThreadsSameNamesOneQueryPerNameThroughRealDns) {
  testing::DnsResponder responder([](const std::string&) {
    testing::Reply reply;
    reply.records = {{std::string(kKey)}};
    reply.delay = std::chrono::milliseconds(20);
    return reply;
  });
  DnsOptions dns;
  dns.servers = responder.server();
  DnsResolver resolver(dns);
  KeyCache cache(small_options(), resolver);
  constexpr int kNames = 200;
  constexpr int kThreads = 8;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < kNames; ++i) {
          const int n = (i + t * 37) % kNames;
          if (cache.lookup("s" + std::to_string(n) + "._domainkey.example.com")->lookup == Reason::ok) ++ok;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), kNames * kThreads * 3);
  EXPECT_EQ(responder.queries(), static_cast<std::size_t>(kNames));
  EXPECT_EQ(responder.distinct_names(), static_cast<std::size_t>(kNames));
  const KeyStats stats = cache.stats();
  EXPECT_EQ(stats.queries_sent, static_cast<std::uint64_t>(kNames));
  EXPECT_EQ(stats.answers, static_cast<std::uint64_t>(kNames));
  EXPECT_EQ(stats.lookups, static_cast<std::uint64_t>(kNames * kThreads * 3));
  EXPECT_EQ(stats.cache_hits + stats.inflight_waits + stats.queries_sent, stats.lookups);
  resolver.stop();
}

}  // namespace
}  // namespace dkimscan::cache
