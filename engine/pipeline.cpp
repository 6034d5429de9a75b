// File: pipeline.cpp
// The pipeline as a oneTBB flow graph:
//   read (serial) → limiter → await keys (async) → verify (parallel) → sequencer → name (serial)
//     → render (parallel) → sequencer → emit (serial)
// Tokens are recycled Batch objects; the limiter bounds how many are in flight, so memory is
// bounded whatever the archive size. The await-keys node first reads what ingest deferred and
// cuts chunks into messages (so a batch may hold more items than the read node put in), then
// starts every key lookup of the batch and lets the batch continue only when all answers are in,
// from whichever thread delivers the last one (the resolver's): a batch waiting for DNS never
// holds a worker thread. The answers stay
// pinned to the batch (PinnedKeys), so verify reads them without asking the provider again.
// Items are numbered (and chunks' messages named) by the name node, which sees batches in input
// order: only then is a batch's place in the input known. The second sequencer puts batches back
// in input order before the single emit node sees them; the report lines were made by render,
// so the one thread that emits only writes them.
#include "engine/pipeline.h"

#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/flow_graph.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/info.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

#include "engine/pinned_keys.h"
#include "engine/signature.h"

namespace dkimscan::engine {
namespace {

namespace flow = tbb::flow;
using Clock = std::chrono::steady_clock;
using KeyGateway = flow::async_node<struct Batch*, struct Batch*>::gateway_type;

struct Batch;

// Counts the key answers a batch still waits for; the last one sends the batch on.
class BatchKeyWaiter final : public KeyWaiter {
 public:
  void arm(Batch* batch, KeyGateway* gateway) noexcept {
    batch_ = batch;
    gateway_ = gateway;
    // The guard, dropped by release_guard(). An exchange, not a store: it acquires the last
    // round's arrivals (see settle()).
    pending_.exchange(1, std::memory_order_acq_rel);
  }
  // Makes every key answer written into the batch by another thread (the resolver's) visible
  // here, before the batch is reused or freed. TBB orders this already, through try_put and
  // wait_for_all, but inside uninstrumented libtbb, where ThreadSanitizer cannot see it; this
  // acquire pairs with the release in arrive() and costs one load per batch.
  void settle() const noexcept { (void)pending_.load(std::memory_order_acquire); }
  void expect(std::size_t answers) noexcept {
    pending_.fetch_add(static_cast<int>(answers), std::memory_order_relaxed);
  }
  void key_ready(KeySetPtr) noexcept override { arrive(); }
  void release_guard() noexcept { arrive(); }

 private:
  void arrive() noexcept {
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    // Once put, the batch may be verified, emitted and re-armed at once: read nothing of it after.
    KeyGateway* gateway = gateway_;
    gateway->try_put(batch_);
    gateway->release_wait();
  }

  Batch* batch_ = nullptr;
  KeyGateway* gateway_ = nullptr;
  std::atomic<int> pending_{0};
};

struct Batch {
  ~Batch() { waiter.settle(); }  // before keys (written by resolver threads) is destroyed

  std::vector<PipelineItem> items;
  std::size_t size = 0;      // items in use; the vector keeps the rest for reuse
  std::uint64_t index = 0;   // position in the input, for the sequencer
  BatchKeyWaiter waiter;
  PinnedKeys keys;           // the answers its signatures need, asked for once per batch
  ingest::ByteArena bytes;   // what the loader reads for its items, kept for the next round
  std::vector<ingest::InputMessage> expanded;  // items while chunks are cut (capacity kept)
  std::string rendered;      // the sink's text for its items, one after another (capacity kept)
  std::vector<std::size_t> rendered_end;  // where each item's text ends in rendered
};

// Batches are recycled: the emit node returns them, the read node takes them.
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

std::int64_t nanoseconds_since(Clock::time_point start) noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
}

// Names the key of every DKIM-Signature in the batch that verify will check (at most
// max_signatures per message, so a message with thousands of signatures cannot make thousands of
// queries) and asks for them all at once. Only d= and s= are read here, and only their syntax is
// checked; every other check is verify's. Answers already known cost nothing; the rest arrive via
// the batch's waiter.
void request_keys(Batch& batch, KeyProvider& keys, std::size_t max_signatures, VerifyScratch& scratch,
                  TagList& tags) {
  batch.keys.reset(keys);
  for (std::size_t i = 0; i < batch.size; ++i) {
    const PipelineItem& item = batch.items[i];
    if (item.input.error != ingest::IngestError::none) continue;
    scratch.message.split(item.input.bytes);
    std::size_t signatures = 0;
    for (const HeaderField& field : scratch.message.fields()) {
      if (!field_name_equals(field.name, "DKIM-Signature")) continue;
      if (signatures++ == max_signatures) break;
      if (tags.parse(field.value) != TagListStatus::ok) continue;
      const Tag* domain = tags.find("d");
      const Tag* selector = tags.find("s");
      // A name verify would refuse (sig_bad_domain, sig_bad_selector) is not asked for: it would
      // cost a query and could put a name into a key snapshot that the snapshot cannot hold.
      if (domain == nullptr || selector == nullptr) continue;
      if (!is_valid_dns_name(domain->value) || !is_valid_dns_name(selector->value)) continue;
      batch.keys.want(selector->value, domain->value);
    }
  }
  batch.waiter.expect(batch.keys.wanted());  // before asking: answers may arrive at once
  batch.keys.ask(batch.waiter);
}

// Replaces the batch's chunk items by the items cut from them, in input order.
void expand_chunks(Batch& batch, const Expander& expand) {
  bool any = false;
  for (std::size_t i = 0; i < batch.size; ++i) any = any || batch.items[i].input.mbox_chunk;
  if (!any) return;
  batch.expanded.clear();
  for (std::size_t i = 0; i < batch.size; ++i) {
    ingest::InputMessage& input = batch.items[i].input;
    if (input.mbox_chunk) {
      expand(input, batch.expanded, batch.bytes);
    } else {
      batch.expanded.push_back(std::move(input));
    }
  }
  if (batch.items.size() < batch.expanded.size()) batch.items.resize(batch.expanded.size());
  for (std::size_t i = 0; i < batch.expanded.size(); ++i) {
    batch.items[i].input = std::move(batch.expanded[i]);
    batch.items[i].note.clear();
  }
  batch.size = batch.expanded.size();
  batch.expanded.clear();
}

struct StageClock {  // adds the time since construction to a counter
  std::atomic<std::int64_t>& total;
  Clock::time_point began = Clock::now();
  ~StageClock() { total.fetch_add(nanoseconds_since(began), std::memory_order_relaxed); }
};

// Marks the end of a node body with a release that run_pipeline() acquires after wait_for_all().
// TBB already orders every body before wait_for_all() returns, but inside Debian's uninstrumented
// libtbb, where ThreadSanitizer cannot see it: without this, freeing the batches at the end looked
// like a race with a worker's last read of them. One atomic add per batch and node.
struct BodyDone {
  std::atomic<std::uint64_t>& count;
  ~BodyDone() { count.fetch_add(1, std::memory_order_release); }
};

// Takes the next items of the source into batch: up to batch_messages of them, or batch_bytes
// bytes, whichever comes first, and at most one mbox chunk, which a worker cuts into up to about
// a thousand messages (mbox_chunks.cpp). False when the source had none left (the batch is then
// empty).
bool fill_batch(Batch& batch, ingest::MessageSource& source, const PipelineOptions& options) {
  batch.size = 0;
  batch.bytes.reset();  // the last round's items were emitted and released
  std::size_t bytes = 0;
  while (batch.size < options.batch_messages && bytes < options.batch_bytes) {
    if (batch.items.size() == batch.size) batch.items.emplace_back();
    PipelineItem& item = batch.items[batch.size];
    item.input = ingest::InputMessage{};
    if (!source.next(item.input)) break;
    item.note.clear();
    bytes += item.input.deferred ? item.input.deferred_size : item.input.bytes.size();
    ++batch.size;
    if (item.input.mbox_chunk) break;
  }
  return batch.size != 0;
}

// The part of reading that ingest left to the workers: cuts chunks into messages and reads the
// items it deferred, into the batch's arena.
void load_batch(Batch& batch, const PipelineOptions& options) {
  if (options.expand) expand_chunks(batch, options.expand);
  if (!options.load) return;
  for (std::size_t i = 0; i < batch.size; ++i) {
    if (batch.items[i].input.deferred) options.load(batch.items[i].input, batch.bytes);
  }
}

// An item ingest could not read gets an empty result: it is reported as read, not verified.
void clear_result(PipelineItem& item, const VerifyOptions& options) {
  std::vector<SignatureResult> keep = std::move(item.result.signatures);
  keep.clear();
  item.result = MessageResult{};
  item.result.policy = options.policy;
  item.result.signatures = std::move(keep);  // capacity kept for the next round
}

void verify_batch(Batch& batch, const Verifier& verifier, const Reverifier& reverify, VerifyScratch& scratch) {
  for (std::size_t i = 0; i < batch.size; ++i) {
    PipelineItem& item = batch.items[i];
    if (item.input.error != ingest::IngestError::none) {
      clear_result(item, verifier.options());
      continue;
    }
    // verify() resets every field; the signature vector keeps its capacity from the batch's
    // previous round, so the steady state allocates nothing here.
    verifier.verify(item.input.bytes, batch.keys, scratch, item.result);
    if (reverify) reverify(item, batch.keys, scratch);
  }
}

// Numbers the batch's items (and names what chunks were cut into); batches come in input order.
void number_batch(Batch& batch, std::uint64_t& sequence, const Namer& name) {
  for (std::size_t i = 0; i < batch.size; ++i) {
    batch.items[i].sequence = sequence++;
    if (name) name(batch.items[i].input);
  }
}

// The sink's text for every item, one after another in batch.rendered.
void render_batch(Batch& batch, const ResultSink& sink) {
  batch.rendered.clear();
  batch.rendered_end.resize(batch.size);
  for (std::size_t i = 0; i < batch.size; ++i) {
    sink.render(batch.items[i], batch.rendered);
    batch.rendered_end[i] = batch.rendered.size();
  }
}

// Hands each item and its text to the sink, in order, and lets go of its bytes; adds to stats.
void emit_batch(Batch& batch, ResultSink& sink, PipelineStats& stats) {
  const std::string_view rendered = batch.rendered;
  for (std::size_t i = 0; i < batch.size; ++i) {
    stats.bytes += batch.items[i].input.bytes.size();
    const std::size_t begin = i == 0 ? 0 : batch.rendered_end[i - 1];
    sink.emit(batch.items[i], rendered.substr(begin, batch.rendered_end[i] - begin));
    batch.items[i].input = ingest::InputMessage{};  // release the mapping or buffer now
  }
  stats.messages += batch.size;
}

}  // namespace

PipelineStats run_pipeline(ingest::MessageSource& source, const Verifier& verifier, KeyProvider& keys,
                           ResultSink& sink, const PipelineOptions& options) {
  const unsigned threads = pipeline_threads(options.threads);
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
  tbb::enumerable_thread_specific<VerifyScratch> scratch;
  tbb::enumerable_thread_specific<TagList> tag_lists;
  BatchPool pool;
  PipelineStats stats;
  std::uint64_t sequence = 0, batches = 0;
  std::atomic<std::int64_t> read_ns{0}, verify_ns{0}, render_ns{0}, emit_ns{0};
  std::atomic<std::uint64_t> bodies_done{0};  // see BodyDone
  const auto start = Clock::now();
  flow::graph graph;

  flow::input_node<Batch*> read(graph, [&](tbb::flow_control& control) -> Batch* {
    BodyDone done{bodies_done};
    StageClock clock{read_ns};
    Batch* batch = pool.take();
    if (!fill_batch(*batch, source, options)) {
      pool.give_back(batch);
      control.stop();
      return nullptr;
    }
    batch->index = batches++;
    return batch;
  });

  // 4 tokens per thread keep every worker busy (oneTBB's advice: 2-4); lookahead adds tokens
  // so that slow key answers for some batches do not starve the workers.
  flow::limiter_node<Batch*> tokens(graph, 4 * threads + options.lookahead_batches);

  flow::async_node<Batch*, Batch*> await_keys(graph, flow::unlimited, [&](Batch* batch, KeyGateway& gateway) {
    BodyDone done{bodies_done};  // touches the counter only: by then the batch may have moved on
    gateway.reserve_wait();  // released by the waiter when the batch moves on
    if (options.load || options.expand) {  // reading deferred by ingest happens here, in parallel
      StageClock clock{read_ns};
      load_batch(*batch, options);
    }
    batch->waiter.arm(batch, &gateway);
    request_keys(*batch, keys, verifier.options().max_signatures, scratch.local(), tag_lists.local());
    batch->waiter.release_guard();
  });

  flow::function_node<Batch*, Batch*> verify(graph, flow::unlimited, [&](Batch* batch) {
    BodyDone done{bodies_done};
    StageClock clock{verify_ns};
    verify_batch(*batch, verifier, options.reverify, scratch.local());
    return batch;
  });

  // Items get their numbers (and the messages cut from chunks their names) here, where batches are
  // back in input order: how many items a batch holds is known only once its chunks are cut.
  flow::sequencer_node<Batch*> verified_in_order(graph, [](Batch* batch) { return batch->index; });
  flow::function_node<Batch*, Batch*> name(graph, flow::serial, [&](Batch* batch) {
    BodyDone done{bodies_done};
    StageClock clock{read_ns};
    number_batch(*batch, sequence, options.name);
    return batch;
  });

  // The report lines are made here, in parallel, and only written by the serial emit node.
  flow::function_node<Batch*, Batch*> render(graph, flow::unlimited, [&](Batch* batch) {
    BodyDone done{bodies_done};
    StageClock clock{render_ns};
    render_batch(*batch, sink);
    return batch;
  });

  flow::sequencer_node<Batch*> in_order(graph, [](Batch* batch) { return batch->index; });

  flow::function_node<Batch*, flow::continue_msg> emit(graph, flow::serial, [&](Batch* batch) {
    BodyDone done{bodies_done};
    StageClock clock{emit_ns};
    emit_batch(*batch, sink, stats);
    pool.give_back(batch);
    return flow::continue_msg();
  });

  flow::make_edge(read, tokens);
  flow::make_edge(tokens, await_keys);
  flow::make_edge(await_keys, verify);
  flow::make_edge(verify, verified_in_order);
  flow::make_edge(verified_in_order, name);
  flow::make_edge(name, render);
  flow::make_edge(render, in_order);
  flow::make_edge(in_order, emit);
  flow::make_edge(emit, tokens.decrementer());
  read.activate();
  graph.wait_for_all();
  (void)bodies_done.load(std::memory_order_acquire);  // see BodyDone; before the batches are freed

  stats.seconds = nanoseconds_since(start) / 1e9;
  stats.read_seconds = read_ns.load() / 1e9;
  stats.verify_seconds = verify_ns.load() / 1e9;
  stats.render_seconds = render_ns.load() / 1e9;
  stats.emit_seconds = emit_ns.load() / 1e9;
  stats.threads = threads;
  return stats;
}

unsigned pipeline_threads(unsigned requested) noexcept {
  return requested != 0 ? requested : std::max(1u, static_cast<unsigned>(tbb::info::default_concurrency()));
}

}  // namespace dkimscan::engine
