// File: key_service.h
// The one entry point the CLI uses for keys: KeyOptions (what --keys, --dns, --record-keys and the
// DNS/cache flags said) → make_key_provider() → a KeyService that owns the stack
//   LayeredProvider([key files], then [KeyCache → DnsResolver]), [recorder] told each answer
// and reports KeyStats. Building it throws (edge code: unreadable file, bad server list).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cache/key_stats.h"
#include "engine/key_provider.h"

namespace dkimscan::cache {

struct KeyOptions {
  std::vector<std::string> key_files;  // --keys FILE (repeatable; the first file naming a name wins)
  // DNS is used when use_dns is set (--dns given) or when there is no key file at all; with key
  // files and no --dns the run is offline and names absent from the files are NXDOMAIN.
  bool use_dns = false;
  std::string dns_servers;             // --dns "IP[:PORT],..." (empty: /etc/resolv.conf, --dns system)
  std::chrono::milliseconds dns_timeout{2000};  // per try (c-ares doubles it on each retry round)
  int dns_tries = 3;                   // tries per server
  int max_in_flight = 512;             // DNS queries outstanding at once
  std::chrono::seconds ttl_floor{60};  // cached TTL clamped to [floor, ceiling]
  std::chrono::seconds ttl_ceiling{86400};
  std::chrono::seconds negative_ttl{300};  // NXDOMAIN/NODATA without an SOA (RFC 2308 §5)
  std::chrono::seconds tempfail_ttl{5};    // SERVFAIL/timeout are retried after this
  std::size_t max_cache_entries = 1u << 20;
  std::string record_keys;             // --record-keys FILE (empty: no snapshot)
  std::int64_t verified_at = 0;        // the run's clock for x= (--at, or now): the snapshot names it
  std::string replay_flags;            // the run's policy flags, which the snapshot names too

  bool dns_wanted() const noexcept { return use_dns || key_files.empty(); }
};

// Owns the provider stack. Thread-safe like every KeyProvider.
class KeyService : public engine::KeyProvider {
 public:
  ~KeyService() override = default;
  // The counters of every layer, summed now.
  virtual KeyStats stats() const = 0;
  // Writes out the snapshot (if --record-keys) and stops the resolver; throws std::runtime_error
  // when the snapshot cannot be written. Call once, after the last lookup.
  virtual void finish() = 0;
};

// Builds the stack options ask for and returns it as a KeyService (never null): lookups go to a
// LayeredProvider over the key files (if any) and KeyCache → DnsResolver (if dns_wanted()), and a
// KeyRecorder (if --record-keys) is told each answer. Throws KeyFileError for a key file it cannot
// load, KeySnapshotError when the snapshot cannot be created, and std::runtime_error when the DNS
// resolver cannot start (c-ares refuses the --dns servers, say).
std::unique_ptr<KeyService> make_key_provider(const KeyOptions& options);

}  // namespace dkimscan::cache
