// File: key_provider.h
// Where the verifier gets keys from; the engine sees only this interface. It is implemented by
// cache::KeyFileProvider (--keys files), cache::KeyCache (the shared TTL cache, which asks a
// DnsSource such as the DnsResolver), cache::LayeredProvider (files over that cache),
// cache::KeyService (the CLI's whole stack, from make_key_provider()) and PinnedKeys (one batch's
// answers). Names are looked up as "<selector>._domainkey.<domain>", lower-cased by key_name().
#pragma once

#include <string>
#include <string_view>

#include "engine/key_record.h"

namespace dkimscan::engine {

// Told when an answer that was not ready becomes ready (called once, from any thread).
class KeyWaiter {
 public:
  virtual ~KeyWaiter() = default;
  virtual void key_ready(KeySetPtr keys) noexcept = 0;
};

// Thread-safe: many workers call it at once.
class KeyProvider {
 public:
  virtual ~KeyProvider() = default;

  // The answer for name, waiting for it if need be. Never null.
  virtual KeySetPtr lookup(std::string_view name) = 0;

  // Non-blocking: the answer if known now (a file, a cache hit); otherwise starts the lookup,
  // returns null and later calls waiter->key_ready() once. The default serves synchronous
  // providers, which always know the answer now.
  virtual KeySetPtr lookup_or_wait(std::string_view name, KeyWaiter* waiter) {
    (void)waiter;
    return lookup(name);
  }

  // The answer for name if this provider holds it for longer than the caller needs it (a batch's
  // pinned answers): borrowed, not shared, so reading it touches no reference count that other
  // threads touch too. Null means "call lookup()".
  virtual const KeySet* borrow(std::string_view name) const noexcept {
    (void)name;
    return nullptr;
  }
};

// "<selector>._domainkey.<domain>" in lower case (DNS names compare case-insensitively).
std::string key_name(std::string_view selector, std::string_view domain);
// The same, written into out (its capacity is reused: no allocation once it is large enough).
void assign_key_name(std::string_view selector, std::string_view domain, std::string& out);

}  // namespace dkimscan::engine
