// File: key_cache.cpp
// Lookups take one shard's mutex for a hash-map probe; a miss marks the entry "querying" and asks
// the source once; the answer is parsed into a KeySet once, outside any lock, and every waiter of
// the name is told. Expiry: RFC 1035 TTLs, RFC 2308 §5 negative TTLs, clamped to [floor, ceiling].
#include "cache/key_cache.h"

#include <algorithm>
#include <future>

namespace dkimscan::cache {
namespace {

// Turns lookup_or_wait() into a blocking call for lookup().
class BlockingWaiter : public engine::KeyWaiter {
 public:
  std::future<engine::KeySetPtr> future() { return promise_.get_future(); }
  void key_ready(engine::KeySetPtr keys) noexcept override {
    try {
      promise_.set_value(std::move(keys));
    } catch (...) {  // std::future_error: told twice, which the cache never does
    }
  }

 private:
  std::promise<engine::KeySetPtr> promise_;
};

void count_outcome(KeyStats& stats, DnsOutcome outcome) noexcept {
  switch (outcome) {
    case DnsOutcome::answer: ++stats.answers; break;
    case DnsOutcome::nxdomain: ++stats.nxdomain; break;
    case DnsOutcome::nodata: ++stats.nodata; break;
    case DnsOutcome::servfail: ++stats.servfail; break;
    case DnsOutcome::refused: ++stats.refused; break;
    case DnsOutcome::timeout: ++stats.timeouts; break;
    case DnsOutcome::network: ++stats.network_errors; break;
  }
}

}  // namespace

KeyCache::KeyCache(const KeyCacheOptions& options, DnsSource& source, AnswerObserver observer,
                   SteadyNow now)
    : options_(options),
      source_(source),
      observer_(std::move(observer)),
      now_(now ? std::move(now) : SteadyNow([] { return SteadyClock::now(); })),
      shard_capacity_(std::max<std::size_t>(1, (options.max_entries + kShards - 1) / kShards)) {}

KeyCache::~KeyCache() {
  std::unique_lock lock(outstanding_mutex_);
  outstanding_done_.wait(lock, [this] { return outstanding_ == 0; });
}

KeyCache::Shard& KeyCache::shard_for(std::string_view name) {
  return shards_[NameHash{}(name) % kShards];
}

engine::KeySetPtr KeyCache::lookup(std::string_view name) {
  BlockingWaiter waiter;
  auto answer = waiter.future();
  if (engine::KeySetPtr keys = lookup_or_wait(name, &waiter)) return keys;
  return answer.get();
}

engine::KeySetPtr KeyCache::lookup_or_wait(std::string_view raw_name, engine::KeyWaiter* waiter) {
  std::string storage;
  const std::string_view name = canonical_name(raw_name, storage);
  Shard& shard = shard_for(name);
  const SteadyClock::time_point now = now_();
  {
    std::lock_guard lock(shard.mutex);
    ++shard.stats.lookups;
    auto it = shard.entries.find(name);
    if (it != shard.entries.end()) {
      Entry& entry = it->second;
      if (entry.keys && now < entry.expires) {
        ++(entry.keys->lookup == engine::Reason::ok ? shard.stats.cache_hits
                                                    : shard.stats.negative_hits);
        return entry.keys;
      }
      if (entry.querying) {  // de-duplication: join the query in flight
        ++shard.stats.inflight_waits;
        if (waiter != nullptr) entry.waiters.push_back(waiter);
        return nullptr;
      }
    } else {
      make_room_locked(shard, now);
      it = shard.entries.emplace(std::string(name), Entry{}).first;
    }
    it->second.querying = true;  // a miss, or an expired answer: ask again
    if (waiter != nullptr) it->second.waiters.push_back(waiter);
    ++shard.stats.queries_sent;
  }
  {
    std::lock_guard lock(outstanding_mutex_);
    ++outstanding_;
  }
  DnsCallback done = [this, key = std::string(name)](DnsAnswer&& answer) {
    complete(key, std::move(answer));
  };
  source_.resolve(std::string(name), std::move(done));
  return nullptr;
}

SteadyClock::duration KeyCache::time_to_live(const engine::KeySet& keys,
                                             const DnsAnswer& answer) const {
  using std::chrono::seconds;
  switch (keys.lookup) {
    case engine::Reason::ok:
      return std::clamp(seconds(answer.ttl.value_or(0)), options_.ttl_floor, options_.ttl_ceiling);
    case engine::Reason::key_not_found:
      // RFC 2308 §5: the SOA's TTL/MINIMUM; without an SOA, the configured default.
      if (!answer.ttl) return options_.negative_ttl;
      return std::clamp(seconds(*answer.ttl), options_.ttl_floor, options_.ttl_ceiling);
    default:
      // RFC 2308 §7.1 allows caching a server failure for at most five minutes; keep it brief.
      return options_.tempfail_ttl;
  }
}

void KeyCache::complete(const std::string& name, DnsAnswer&& answer) {
  engine::KeySetPtr keys = answer.lookup == engine::Reason::ok
                               ? engine::make_key_set(answer.txt)
                               : engine::make_key_set_error(answer.lookup, answer.detail);
  if (observer_) observer_(name, *keys, answer);
  const SteadyClock::time_point expires = now_() + time_to_live(*keys, answer);
  std::vector<engine::KeyWaiter*> waiters;
  Shard& shard = shard_for(name);
  {
    std::lock_guard lock(shard.mutex);
    count_outcome(shard.stats, answer.outcome);
    Entry& entry = shard.entries[name];  // never evicted while querying
    entry.keys = keys;
    entry.expires = expires;
    entry.querying = false;
    waiters.swap(entry.waiters);
  }
  for (engine::KeyWaiter* waiter : waiters) waiter->key_ready(keys);
  std::lock_guard lock(outstanding_mutex_);
  if (--outstanding_ == 0) outstanding_done_.notify_all();
}

// Bounded size: drop expired answers first, then the eighth of the shard that expires soonest.
// Entries being queried stay (their waiters are in them).
void KeyCache::make_room_locked(Shard& shard, SteadyClock::time_point now) {
  if (shard.entries.size() < shard_capacity_) return;
  const std::size_t before = shard.entries.size();
  std::erase_if(shard.entries, [now](const auto& item) {
    return !item.second.querying && now >= item.second.expires;
  });
  if (shard.entries.size() >= shard_capacity_) {
    std::vector<SteadyClock::time_point> expiries;
    for (const auto& [name, entry] : shard.entries) {
      if (!entry.querying) expiries.push_back(entry.expires);
    }
    if (!expiries.empty()) {
      const std::size_t drop = std::min(expiries.size(), std::max<std::size_t>(1, shard_capacity_ / 8));
      std::nth_element(expiries.begin(), expiries.begin() + (drop - 1), expiries.end());
      const SteadyClock::time_point cutoff = expiries[drop - 1];
      std::erase_if(shard.entries, [cutoff](const auto& item) {
        return !item.second.querying && item.second.expires <= cutoff;
      });
    }
  }
  shard.stats.evictions += before - shard.entries.size();
}

KeyStats KeyCache::stats() const {
  KeyStats total;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.stats;
  }
  return total;
}

std::size_t KeyCache::size() const {
  std::size_t total = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.entries.size();
  }
  return total;
}

}  // namespace dkimscan::cache
