// File: key_service.cpp
// Builds the key stack from KeyOptions: [key files] → [KeyCache → DnsResolver], joined by a
// LayeredProvider, with the snapshot recorder fed by both. Destruction order matters: the resolver
// stops (answering everything in flight) before the cache that its callbacks point into goes.
#include "cache/key_service.h"

#include "cache/key_cache.h"
#include "cache/key_recorder.h"
#include "cache/layered_provider.h"

namespace dkimscan::cache {
namespace {

// A DNS answer as a snapshot stores it.
RecordedAnswer recorded_dns_answer(const engine::KeySet& keys, const DnsAnswer& answer) {
  KeyLineMeta meta;
  meta.ttl = answer.ttl;
  meta.queried = answer.queried;
  meta.server = answer.server;
  return recorded_answer(keys, answer.txt, std::move(meta));
}

class KeyStack : public KeyService {
 public:
  explicit KeyStack(const KeyOptions& options) {
    if (!options.record_keys.empty()) recorder_ = std::make_unique<KeyRecorder>(options.record_keys, options.verified_at, options.replay_flags);
    std::shared_ptr<const KeyFileProvider> files;
    if (!options.key_files.empty()) files = std::make_shared<KeyFileProvider>(options.key_files);
    std::shared_ptr<engine::KeyProvider> dns;
    if (options.dns_wanted()) {
      resolver_ = std::make_unique<DnsResolver>(DnsOptions{
          options.dns_servers, options.dns_timeout, options.dns_tries, options.max_in_flight});
      AnswerObserver observer;
      if (recorder_) {
        observer = [recorder = recorder_.get()](std::string_view name, const engine::KeySet& keys,
                                                const DnsAnswer& answer) {
          if (!recorder->recorded(name)) recorder->record(name, recorded_dns_answer(keys, answer));
        };
      }
      cache_ = std::make_shared<KeyCache>(
          KeyCacheOptions{options.ttl_floor, options.ttl_ceiling, options.negative_ttl,
                          options.tempfail_ttl, options.max_cache_entries},
          *resolver_, std::move(observer));
      dns = cache_;
    }
    top_ = std::make_unique<LayeredProvider>(std::move(files), std::move(dns), recorder_.get());
  }

  ~KeyStack() override {
    if (resolver_) resolver_->stop();  // every callback into cache_ has run after this
  }

  engine::KeySetPtr lookup(std::string_view name) override { return top_->lookup(name); }
  engine::KeySetPtr lookup_or_wait(std::string_view name, engine::KeyWaiter* waiter) override {
    return top_->lookup_or_wait(name, waiter);
  }

  KeyStats stats() const override {
    KeyStats total;
    if (cache_) total += cache_->stats();  // counts the lookups that reached the cache
    // The cache counts the names it asked for; the resolver also asks for the CNAME targets that
    // answers left out.
    if (resolver_) total.queries_sent = resolver_->queries_sent();
    total.file_answers = top_->file_answers();
    total.lookups += total.file_answers;
    return total;
  }

  void finish() override {
    if (resolver_) resolver_->stop();
    if (recorder_) recorder_->finish();
  }

 private:
  // Declared in build order; destroyed in reverse: top_, cache_ (after resolver_ stopped), ...
  std::unique_ptr<KeyRecorder> recorder_;
  std::unique_ptr<DnsResolver> resolver_;
  std::shared_ptr<KeyCache> cache_;
  std::unique_ptr<LayeredProvider> top_;
};

}  // namespace

std::unique_ptr<KeyService> make_key_provider(const KeyOptions& options) {
  return std::make_unique<KeyStack>(options);
}

}  // namespace dkimscan::cache
