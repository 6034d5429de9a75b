// File: key_stats.h
// Counters of the key stack (files, cache, resolver) for the run summary. Each layer keeps its own
// atomics (relaxed; no lock on the hot path) and the service sums them into one KeyStats at the end;
// fields() lists them once so the text and JSON printers cannot drift apart.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <utility>

namespace dkimscan::cache {

struct KeyStats {
  std::uint64_t lookups = 0;         // lookup() and lookup_or_wait() calls
  std::uint64_t file_answers = 0;    // answered from a --keys file
  std::uint64_t cache_hits = 0;      // answered from the cache with a usable answer
  std::uint64_t negative_hits = 0;   // answered from the cache with a cached negative/temp failure
  std::uint64_t inflight_waits = 0;  // lookups that joined a query already in flight
  std::uint64_t queries_sent = 0;    // DNS queries handed to c-ares
  std::uint64_t answers = 0;         // DNS queries that came back with a usable TXT answer
  std::uint64_t nxdomain = 0;        // failures by kind: NXDOMAIN (RFC 6376 §6.1.2: permerror)
  std::uint64_t nodata = 0;          //   the name exists but holds no TXT record (permerror)
  std::uint64_t servfail = 0;        //   SERVFAIL (temperror)
  std::uint64_t refused = 0;         //   REFUSED (temperror)
  std::uint64_t timeouts = 0;        //   no answer in time (temperror)
  std::uint64_t network_errors = 0;  //   connection refused, bad answer, other c-ares errors (temperror)
  std::uint64_t evictions = 0;       // cache entries dropped to stay within the size bound

  KeyStats& operator+=(const KeyStats& o) noexcept {
    lookups += o.lookups;
    file_answers += o.file_answers;
    cache_hits += o.cache_hits;
    negative_hits += o.negative_hits;
    inflight_waits += o.inflight_waits;
    queries_sent += o.queries_sent;
    answers += o.answers;
    nxdomain += o.nxdomain;
    nodata += o.nodata;
    servfail += o.servfail;
    refused += o.refused;
    timeouts += o.timeouts;
    network_errors += o.network_errors;
    evictions += o.evictions;
    return *this;
  }

  // (snake_case name, value) pairs in a stable order, for the summary line and JSON.
  std::array<std::pair<std::string_view, std::uint64_t>, 14> fields() const noexcept {
    return {{{"lookups", lookups},
             {"file_answers", file_answers},
             {"cache_hits", cache_hits},
             {"negative_hits", negative_hits},
             {"inflight_waits", inflight_waits},
             {"queries_sent", queries_sent},
             {"answers", answers},
             {"nxdomain", nxdomain},
             {"nodata", nodata},
             {"servfail", servfail},
             {"refused", refused},
             {"timeouts", timeouts},
             {"network_errors", network_errors},
             {"evictions", evictions}}};
  }
};

}  // namespace dkimscan::cache
