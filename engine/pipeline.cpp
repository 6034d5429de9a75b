// File: pipeline.cpp
// oneTBB parallel_pipeline with three filters: read (serial, in order, cheap: only hands out views),
// verify (parallel), emit (serial, in order). Tokens are recycled Batch objects; 4 per thread
// keeps every worker busy while bounding memory (oneTBB's advice: 2-4 tokens per thread).
#include "engine/pipeline.h"

#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_pipeline.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

namespace dkimscan::engine {
namespace {

struct Batch {
  std::vector<PipelineItem> items;
  std::size_t size = 0;  // items in use; the vector keeps the rest for reuse
};

// Batches are recycled: the emit filter returns them, the read filter takes them.
class BatchPool {
 public:
  Batch* take() {
    std::lock_guard lock(mutex_);
    if (free_.empty()) {
      owned_.push_back(std::make_unique<Batch>());
      return owned_.back().get();
    }
    Batch* batch = free_.back();
    free_.pop_back();
    return batch;
  }
  void give_back(Batch* batch) {
    std::lock_guard lock(mutex_);
    free_.push_back(batch);
  }

 private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<Batch>> owned_;
  std::vector<Batch*> free_;
};

using Clock = std::chrono::steady_clock;

// Starts the key lookups of every DKIM-Signature in the batch without waiting for them (the
// provider answers later through its cache). Only d= and s= are read; errors are left for verify.
void prefetch_keys(const Batch& batch, KeyProvider& keys, ParsedMessage& message, TagList& tags) {
  for (std::size_t i = 0; i < batch.size; ++i) {
    const PipelineItem& item = batch.items[i];
    if (item.input.error != ingest::IngestError::none) continue;
    message.split(item.input.bytes);
    for (const HeaderField& field : message.fields()) {
      if (!iequals(field.name, "DKIM-Signature") || tags.parse(field.value) != TagListStatus::ok) continue;
      const Tag* domain = tags.find("d");
      const Tag* selector = tags.find("s");
      if (domain != nullptr && selector != nullptr) keys.lookup_or_wait(key_name(selector->value, domain->value), nullptr);
    }
  }
}

std::int64_t nanoseconds_since(Clock::time_point start) noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
}

}  // namespace

PipelineStats run_pipeline(ingest::MessageSource& source, const Verifier& verifier, KeyProvider& keys,
                           ResultSink& sink, const PipelineOptions& options) {
  const unsigned threads = options.threads != 0 ? options.threads
                                                : static_cast<unsigned>(tbb::info::default_concurrency());
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
  tbb::enumerable_thread_specific<VerifyScratch> scratch;
  BatchPool pool;
  PipelineStats stats;
  std::uint64_t sequence = 0;
  bool done = false;
  std::int64_t read_ns = 0, emit_ns = 0;  // touched by serial filters only
  std::atomic<std::int64_t> verify_ns{0};
  const auto start = Clock::now();

  std::deque<Batch*> ahead;  // read, keys requested, not yet handed to a worker
  ParsedMessage prefetch_message;
  TagList prefetch_tags;

  auto fill = [&]() -> Batch* {
    Batch* batch = pool.take();
    batch->size = 0;
    std::size_t bytes = 0;
    while (batch->size < options.batch_messages && bytes < options.batch_bytes) {
      if (batch->items.size() == batch->size) batch->items.emplace_back();
      PipelineItem& item = batch->items[batch->size];
      item.input = ingest::InputMessage{};
      if (!source.next(item.input)) {
        done = true;
        break;
      }
      item.sequence = sequence++;
      item.note.clear();
      bytes += item.input.bytes.size();
      ++batch->size;
    }
    stats.bytes += bytes;
    if (batch->size == 0) {
      pool.give_back(batch);
      return nullptr;
    }
    return batch;
  };

  auto read = [&](tbb::flow_control& control) -> Batch* {
    const auto began = Clock::now();
    struct AddTime {
      std::int64_t& total;
      Clock::time_point began;
      ~AddTime() { total += nanoseconds_since(began); }
    } add_time{read_ns, began};
    while (!done && ahead.size() <= options.lookahead_batches) {
      Batch* batch = fill();
      if (batch == nullptr) break;
      if (options.lookahead_batches > 0) prefetch_keys(*batch, keys, prefetch_message, prefetch_tags);
      ahead.push_back(batch);
    }
    if (ahead.empty()) {
      control.stop();
      return nullptr;
    }
    Batch* batch = ahead.front();
    ahead.pop_front();
    return batch;
  };

  auto verify = [&](Batch* batch) -> Batch* {
    const auto began = Clock::now();
    VerifyScratch& local = scratch.local();
    for (std::size_t i = 0; i < batch->size; ++i) {
      PipelineItem& item = batch->items[i];
      item.result = MessageResult{};
      if (item.input.error != ingest::IngestError::none) continue;  // reported as read
      verifier.verify(item.input.bytes, keys, local, item.result);
      if (options.reverify) options.reverify(item, local);
    }
    verify_ns.fetch_add(nanoseconds_since(began), std::memory_order_relaxed);
    return batch;
  };

  auto emit = [&](Batch* batch) {
    const auto began = Clock::now();
    for (std::size_t i = 0; i < batch->size; ++i) {
      sink.emit(batch->items[i]);
      batch->items[i].input = ingest::InputMessage{};  // release the mapping or buffer now
    }
    stats.messages += batch->size;
    pool.give_back(batch);
    emit_ns += nanoseconds_since(began);
  };

  tbb::parallel_pipeline(
      4 * threads,
      tbb::make_filter<void, Batch*>(tbb::filter_mode::serial_in_order, read) &
          tbb::make_filter<Batch*, Batch*>(tbb::filter_mode::parallel, verify) &
          tbb::make_filter<Batch*, void>(tbb::filter_mode::serial_in_order, emit));
  stats.seconds = nanoseconds_since(start) / 1e9;
  stats.read_seconds = read_ns / 1e9;
  stats.verify_seconds = verify_ns.load() / 1e9;
  stats.emit_seconds = emit_ns / 1e9;
  stats.threads = threads;
  return stats;
}

}  // namespace dkimscan::engine
