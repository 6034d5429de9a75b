// File: pipeline.h
// The verification pipeline: messages from a MessageSource are read in batches by one thread
// (or handed out in chunks that the workers cut into messages), wait (without holding a thread)
// until their keys are known, are verified in parallel on oneTBB workers (each with its own
// VerifyScratch), and reach a ResultSink in input order. The number of
// batches in flight is bounded, so memory is bounded whatever the archive size. Nothing is lost:
// every input message reaches the sink exactly once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/key_provider.h"
#include "engine/verify.h"
#include "ingest/byte_arena.h"
#include "ingest/input_message.h"

namespace dkimscan::engine {

struct PipelineItem {
  ingest::InputMessage input;
  MessageResult result;   // LIFETIME: its views point into input.bytes
  std::string note;       // e.g. "pass after repair: ..." (set by a Reverifier)
  std::uint64_t sequence = 0;  // 0-based position in the input
};

// Where results go, in two steps. render() turns an item into its output (a report line) on a
// worker thread, so the formatting runs in parallel; emit() then receives every item
// with that text, in input order, on one thread at a time. The one thread that emits bounds the
// whole run on many cores: it should only count and write.
class ResultSink {
 public:
  virtual ~ResultSink() = default;
  // Appends item's output to out. Called on many threads at once (for items of different
  // batches): it must not change anything shared between calls.
  virtual void render(const PipelineItem& item, std::string& out) const = 0;
  // rendered: what render() appended for this item.
  virtual void emit(const PipelineItem& item, std::string_view rendered) = 0;
};

// Reads an item that ingest handed out unread (InputMessage::deferred), on a worker thread, into
// the memory of the item's batch (arena: reset when the batch is reused, after its output).
using Loader = std::function<void(ingest::InputMessage& input, ingest::ByteArena& arena)>;

// Cuts an item that stands for many messages (InputMessage::mbox_chunk: ingest/mbox_chunks.h)
// into them, on a worker thread, appending them to out in input order; arena as for Loader.
using Expander = std::function<void(const ingest::InputMessage& chunk, std::vector<ingest::InputMessage>& out,
                                    ingest::ByteArena& arena)>;

// Sees every item once, in input order, on one thread at a time, before render(): names what the
// workers cut (the "#N" of an mbox's messages, which needs the count of those before).
using Namer = std::function<void(ingest::InputMessage& input)>;

// An optional second look at an item whose signatures did not pass (e.g. archive-damage repair).
// keys holds the answers the item's batch was given (verify's own).
using Reverifier = std::function<void(PipelineItem& item, KeyProvider& keys, VerifyScratch& scratch)>;

struct PipelineOptions {
  unsigned threads = 0;               // 0: all cores
  std::size_t batch_messages = 64;    // messages per batch (token)
  std::size_t batch_bytes = 1 << 20;  // or this many bytes, whichever comes first
  Reverifier reverify;                // empty: none
  Loader load;                        // needed when the source defers reads (IngestOptions::defer_reads)
  Expander expand;                    // needed when it hands out chunks (IngestOptions::cut_mbox_chunks)
  Namer name;                         // likewise
  // Extra batches in flight beyond 4 per thread, for slow key sources (DNS): while some batches
  // wait for key answers, others keep the workers busy. Memory grows by this many batches.
  std::size_t lookahead_batches = 0;
};

// Totals and time by stage. Stage times add up the time each stage spent, over all threads, so
// verify_seconds / seconds shows how many workers were busy on average.
struct PipelineStats {
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
  double seconds = 0;         // wall clock of the whole run
  double read_seconds = 0;    // ingest: walking, splitting, mapping, reading (deferred files, chunks: by workers)
  double verify_seconds = 0;  // parse, canonicalize, hash, key lookup, signature checks
  double render_seconds = 0;  // formatting results (by workers)
  double emit_seconds = 0;    // writing results, in input order (one thread)
  unsigned threads = 0;
};

PipelineStats run_pipeline(ingest::MessageSource& source, const Verifier& verifier, KeyProvider& keys,
                           ResultSink& sink, const PipelineOptions& options);

// The thread count a run uses for PipelineOptions::threads = requested: requested, or for 0 the
// CPUs this process may run on (oneTBB's count, which honours taskset and cgroup limits).
unsigned pipeline_threads(unsigned requested) noexcept;

}  // namespace dkimscan::engine
