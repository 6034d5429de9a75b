// File: key_cache.h
// The shared TTL key cache: one for all worker threads, in front of a DnsSource. It stores parsed,
// ready KeySets with an absolute expiry (the record's TTL clamped to [floor, ceiling]), negative
// answers (RFC 2308) and, briefly, temporary failures; a name being resolved is asked once however
// many lookups wait for it. Sharded maps with one mutex each: no global lock on the hot path.
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cache/dns_resolver.h"
#include "cache/key_file.h"
#include "cache/key_stats.h"
#include "engine/key_provider.h"

namespace dkimscan::cache {

struct KeyCacheOptions {
  std::chrono::seconds ttl_floor{60};
  std::chrono::seconds ttl_ceiling{86400};
  std::chrono::seconds negative_ttl{300};  // NXDOMAIN/NODATA whose answer carried no SOA
  std::chrono::seconds tempfail_ttl{5};    // SERVFAIL, REFUSED, timeout, network errors
  std::size_t max_entries = 1u << 20;
};

using SteadyClock = std::chrono::steady_clock;
// The clock expiry is measured on; tests inject a fake one (no timed tests).
using SteadyNow = std::function<SteadyClock::time_point()>;
// Told about each DNS answer as it arrives, before the waiters (the --record-keys recorder).
using AnswerObserver =
    std::function<void(std::string_view name, const engine::KeySet& keys, const DnsAnswer& answer)>;

class KeyCache : public engine::KeyProvider {
 public:
  // LIFETIME: source must outlive the cache; the destructor waits for every query it sent.
  KeyCache(const KeyCacheOptions& options, DnsSource& source, AnswerObserver observer = {},
           SteadyNow now = {});
  ~KeyCache() override;
  KeyCache(const KeyCache&) = delete;
  KeyCache& operator=(const KeyCache&) = delete;

  // Blocks the calling thread until the answer is there (c-ares' own timeouts bound the wait).
  engine::KeySetPtr lookup(std::string_view name) override;
  // The cached answer, or null after registering waiter (null: only start the query, a prefetch).
  // waiter->key_ready() runs once, on the resolver thread.
  engine::KeySetPtr lookup_or_wait(std::string_view name, engine::KeyWaiter* waiter) override;

  KeyStats stats() const;
  std::size_t size() const;

 private:
  static constexpr std::size_t kShards = 64;
  struct Entry {
    engine::KeySetPtr keys;  // null until the first answer
    SteadyClock::time_point expires{};
    bool querying = false;
    std::vector<engine::KeyWaiter*> waiters;
  };
  struct alignas(64) Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, Entry, NameHash, std::equal_to<>> entries;  // guarded by mutex
    KeyStats stats;                                                               // guarded by mutex
  };

  Shard& shard_for(std::string_view name);
  void make_room_locked(Shard& shard, SteadyClock::time_point now);
  void complete(const std::string& name, DnsAnswer&& answer);
  SteadyClock::duration time_to_live(const engine::KeySet& keys, const DnsAnswer& answer) const;

  KeyCacheOptions options_;
  DnsSource& source_;
  AnswerObserver observer_;
  SteadyNow now_;
  std::size_t shard_capacity_;
  std::array<Shard, kShards> shards_;
  std::mutex outstanding_mutex_;
  std::condition_variable outstanding_done_;
  std::size_t outstanding_ = 0;  // queries sent and not yet completed; guarded by outstanding_mutex_
};

}  // namespace dkimscan::cache
