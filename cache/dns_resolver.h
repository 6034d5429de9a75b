// File: dns_resolver.h
// Asynchronous TXT lookups with c-ares. c-ares 1.18 (Debian 12) has no thread-safe channel, so one
// thread owns the channel (the gRPC AresResolver pattern): resolve() only queues the name and wakes
// that thread through an eventfd; the c-ares callback only copies the status and the raw answer;
// the answer is parsed (TXT strings joined, TTL, RFC 2308 SOA minimum) outside c-ares.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "engine/verdict.h"

namespace dkimscan::cache {

// Why a lookup produced no key, finer than the Reason (for the statistics).
enum class DnsOutcome : std::uint8_t { answer, nxdomain, nodata, servfail, refused, timeout, network };

// One DNS answer, mapped per RFC 6376 §6.1.2.
struct DnsAnswer {
  engine::Reason lookup = engine::Reason::ok;  // ok, key_not_found, key_dns_timeout, key_dns_servfail
  DnsOutcome outcome = DnsOutcome::answer;
  std::string detail;                // e.g. "NXDOMAIN", "SERVFAIL", "timed out (3 tries)"
  std::vector<std::string> txt;      // lookup == ok: one value per TXT record, strings joined
  std::optional<std::uint32_t> ttl;  // the answer's TTL; for negative answers the RFC 2308 TTL
  std::int64_t queried = 0;          // unix seconds when the answer arrived
  std::string server;                // "HOST:PORT" that answered (empty: none did)
};

// Called once per resolve(), on the resolver thread: keep it short (hand the answer over).
using DnsCallback = std::function<void(DnsAnswer&&)>;

// Anything that answers TXT queries asynchronously (the resolver; fakes in tests).
class DnsSource {
 public:
  virtual ~DnsSource() = default;
  virtual void resolve(std::string name, DnsCallback done) = 0;
};

struct DnsOptions {
  std::string servers;  // "HOST[:PORT],..." (IPv6 as [ADDR]:PORT); empty: /etc/resolv.conf
  std::chrono::milliseconds timeout{2000};  // first try; c-ares doubles it each round of servers
  int tries = 3;
  int max_in_flight = 256;
  int edns_payload = 1232;  // EDNS0 UDP size (RFC 6891); 0: plain 512-byte DNS
};

class DnsResolver : public DnsSource {
 public:
  // Starts the resolver thread. Throws std::runtime_error (bad server list, c-ares failure).
  explicit DnsResolver(const DnsOptions& options);
  // Stops: queries not yet answered complete with key_dns_servfail "resolver stopped".
  ~DnsResolver() override;
  DnsResolver(const DnsResolver&) = delete;
  DnsResolver& operator=(const DnsResolver&) = delete;

  // Non-blocking and thread-safe: queues the query.
  void resolve(std::string name, DnsCallback done) override;
  // Stops the thread now (idempotent); the destructor calls it.
  void stop();

  std::uint64_t queries_sent() const noexcept { return sent_.load(std::memory_order_relaxed); }

  struct Channel;  // the c-ares channel and what only the resolver thread touches
  struct Request {
    std::string name;
    DnsCallback done;
  };

 private:
  void run() noexcept;
  void wake() noexcept;

  std::unique_ptr<Channel> channel_;
  int wake_fd_ = -1;
  std::mutex queue_mutex_;
  std::vector<Request> queue_;  // guarded by queue_mutex_
  bool stopping_ = false;       // guarded by queue_mutex_
  std::atomic<std::uint64_t> sent_{0};
  std::thread thread_;
};

}  // namespace dkimscan::cache
