// PinnedKeys: one ask per distinct name (case-insensitively), answers read back without asking
// again, late answers counted, and a name never wanted going to the source.
#include "engine/pinned_keys.h"

#include <gtest/gtest.h>

#include <map>

namespace dkimscan::engine {
namespace {

// Answers some names at once and holds the rest until deliver() is called.
class ScriptedProvider final : public KeyProvider {
 public:
  KeySetPtr lookup(std::string_view name) override {
    ++blocking_calls;
    return make_key_set_error(Reason::key_dns_timeout, std::string(name));
  }
  KeySetPtr lookup_or_wait(std::string_view name, KeyWaiter* waiter) override {
    ++asks[std::string(name)];
    if (name.starts_with("now.")) return make_key_set({"v=DKIM1; k=ed25519; p="});
    held.emplace_back(std::string(name), waiter);
    return nullptr;
  }
  void deliver() {
    for (auto& [name, waiter] : held) waiter->key_ready(make_key_set_error(Reason::key_not_found, name));
    held.clear();
  }
  std::map<std::string, int> asks;
  std::vector<std::pair<std::string, KeyWaiter*>> held;
  int blocking_calls = 0;
};

class CountingWaiter final : public KeyWaiter {
 public:
  void key_ready(KeySetPtr) noexcept override { ++arrived; }
  int arrived = 0;
};

TEST(PinnedKeys, AsksOncePerNameAndAnswersFromThePin) {
  ScriptedProvider source;
  PinnedKeys keys;
  keys.reset(source);
  keys.want("now", "Example.COM");
  keys.want("later", "example.com");
  keys.want("NOW", "example.com");  // the same DNS name as the first
  keys.want("later", "example.com");
  ASSERT_EQ(keys.wanted(), 2u);

  CountingWaiter arrivals;
  keys.ask(arrivals);
  EXPECT_EQ(arrivals.arrived, 1);  // the one known at once
  EXPECT_EQ(source.asks["now._domainkey.example.com"], 1);
  EXPECT_EQ(source.asks["later._domainkey.example.com"], 1);
  source.deliver();
  EXPECT_EQ(arrivals.arrived, 2);

  EXPECT_EQ(keys.lookup("now._domainkey.example.com")->records.size(), 1u);
  // Lent without a copy: the same object, and nothing for a name that was not wanted.
  EXPECT_EQ(keys.borrow("now._domainkey.example.com"), keys.lookup("now._domainkey.example.com").get());
  EXPECT_EQ(keys.borrow("other._domainkey.example.com"), nullptr);
  EXPECT_EQ(keys.lookup("later._domainkey.example.com")->lookup, Reason::key_not_found);
  EXPECT_EQ(source.blocking_calls, 0);

  // Never wanted: the source answers (here with its blocking path).
  EXPECT_EQ(keys.lookup("other._domainkey.example.com")->lookup, Reason::key_dns_timeout);
  EXPECT_EQ(source.blocking_calls, 1);
}

TEST(PinnedKeys, ResetForgetsTheLastBatch) {
  ScriptedProvider source;
  PinnedKeys keys;
  keys.reset(source);
  keys.want("now", "a.example");
  CountingWaiter arrivals;
  keys.ask(arrivals);
  keys.reset(source);
  EXPECT_EQ(keys.wanted(), 0u);
  keys.lookup("now._domainkey.a.example");  // no longer pinned: goes to the source
  EXPECT_EQ(source.blocking_calls, 1);
}

// A batch cut from an mbox chunk of tiny messages can want thousands of names; past a few dozen
// they are found through an index, with the same answers as the scan gives a small batch, batch
// after batch (the index is rebuilt as it grows and dropped by reset()).
TEST(PinnedKeys, ThousandsOfNamesAreEachAskedForOnce) {
  ScriptedProvider source;
  PinnedKeys keys;
  for (const int names : {5000, 3, 700}) {
    SCOPED_TRACE(names);
    source.asks.clear();
    keys.reset(source);
    for (int round = 0; round < 2; ++round) {
      for (int i = 0; i < names; ++i) keys.want(i % 2 ? "now" : "later", "d" + std::to_string(i) + ".Example");
    }
    ASSERT_EQ(keys.wanted(), static_cast<std::size_t>(names));
    CountingWaiter arrivals;
    keys.ask(arrivals);
    source.deliver();
    EXPECT_EQ(arrivals.arrived, names);
    ASSERT_EQ(source.asks.size(), static_cast<std::size_t>(names));
    for (const auto& [name, count] : source.asks) EXPECT_EQ(count, 1) << name;
    for (int i = 0; i < names; ++i) {
      const std::string name = std::string(i % 2 ? "now" : "later") + "._domainkey.d" + std::to_string(i) + ".example";
      ASSERT_NE(keys.borrow(name), nullptr) << name;
      EXPECT_EQ(keys.borrow(name)->lookup, i % 2 ? Reason::ok : Reason::key_not_found) << name;
    }
    EXPECT_EQ(keys.borrow("now._domainkey.d0.example"), nullptr);  // d0 wanted "later" only
  }
  EXPECT_EQ(source.blocking_calls, 0);
}

}  // namespace
}  // namespace dkimscan::engine
