// Pipeline tests: every message comes out once, in input order, with the same results whatever
// the thread count (the TSan build runs these too).
#include "engine/pipeline.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "cache/key_file.h"
#include "ingest/mbox_chunks.h"
#include "ingest/open_inputs.h"
#include "tests/engine/sample_messages.h"
#include "tests/ingest/ingest_test_util.h"

namespace dkimscan::engine {
namespace {

namespace fs = std::filesystem;
using testing::kSample;

// The sample corpus, read once, handed out `rounds` times over (so batches fill and wrap); every
// 97th item is an error item unless inject_errors is false.
class VectorSource final : public ingest::MessageSource {
 public:
  VectorSource(const std::vector<std::shared_ptr<std::string>>& messages, std::size_t rounds,
               bool inject_errors = true)
      : messages_(messages), total_(messages.size() * rounds), inject_errors_(inject_errors) {}
  bool next(ingest::InputMessage& out) override {
    if (next_ == total_) return false;
    const auto& bytes = messages_[next_ % messages_.size()];
    out.storage = bytes;
    out.bytes = *bytes;
    out.source = "msg#" + std::to_string(next_++);
    if (inject_errors_ && next_ % 97 == 0) out.error = ingest::IngestError::truncated;  // error items must flow too
    return true;
  }

 private:
  const std::vector<std::shared_ptr<std::string>>& messages_;
  std::size_t total_;
  bool inject_errors_;
  std::size_t next_ = 0;
};

// Renders each item (on the workers) as its sequence, source and results; records the lines it
// is given, in the order emit() sees them. An item whose line is not its own shows up as a
// mismatch between the sequence in the line and the item's.
class RecordingSink final : public ResultSink {
 public:
  void render(const PipelineItem& item, std::string& out) const override {
    std::ostringstream line;
    line << item.sequence << ' ' << item.input.source << ' ' << verdict_name(item.result.best);
    for (const SignatureResult& sig : item.result.signatures) line << ' ' << reason_code(sig.reason);
    out += line.str();
  }
  void emit(const PipelineItem& item, std::string_view rendered) override {
    lines.emplace_back(rendered);
    if (!rendered.starts_with(std::to_string(item.sequence) + ' ')) mismatched.push_back(item.sequence);
  }
  std::vector<std::string> lines;
  std::vector<std::uint64_t> mismatched;
};

std::vector<std::shared_ptr<std::string>> read_sample() {
  std::vector<std::shared_ptr<std::string>> messages;
  for (std::string& text : testing::read_sample_messages()) messages.push_back(std::make_shared<std::string>(std::move(text)));
  return messages;
}

std::vector<std::string> run_with(unsigned threads, const std::vector<std::shared_ptr<std::string>>& messages) {
  cache::KeyFileProvider keys({(kSample / "keys.zone").string()});
  VectorSource source(messages, 5);
  RecordingSink sink;
  PipelineOptions options;
  options.threads = threads;
  options.batch_messages = 7;  // small batches: many tokens in flight, out-of-order completion
  Verifier verifier({Policy::strict, 1800000000, 16});
  PipelineStats stats = run_pipeline(source, verifier, keys, sink, options);
  EXPECT_EQ(stats.messages, messages.size() * 5);
  EXPECT_TRUE(sink.mismatched.empty()) << "items emitted with another item's line, first: " << sink.mismatched[0];
  return sink.lines;
}

TEST(Pipeline, EveryMessageOnceInInputOrder) {
  auto messages = read_sample();
  ASSERT_EQ(messages.size(), 100u);
  std::vector<std::string> lines = run_with(4, messages);
  ASSERT_EQ(lines.size(), 500u);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i].substr(0, lines[i].find(' ')), std::to_string(i));
  }
}

TEST(Pipeline, SameResultsWithOneThreadAndMany) {
  auto messages = read_sample();
  std::vector<std::string> one = run_with(1, messages);
  std::vector<std::string> many = run_with(8, messages);
  EXPECT_EQ(one, many);
}

// A key source that answers lookup_or_wait() later, from its own thread (like the resolver), and
// counts lookup() calls for names whose answer had not been delivered yet: those would block.
class SlowAsyncProvider final : public KeyProvider {
 public:
  explicit SlowAsyncProvider(KeyProvider& inner) : inner_(inner), thread_([this] { deliver(); }) {}
  ~SlowAsyncProvider() override {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

  KeySetPtr lookup(std::string_view name) override {
    std::lock_guard lock(mutex_);
    ++lookup_calls;
    if (!delivered_.count(std::string(name))) ++blocking_lookups;
    return inner_.lookup(name);
  }

  KeySetPtr lookup_or_wait(std::string_view name, KeyWaiter* waiter) override {
    std::lock_guard lock(mutex_);
    ++asks;
    if (delivered_.count(std::string(name))) return inner_.lookup(name);
    queue_.emplace_back(std::string(name), waiter);
    wake_.notify_all();
    return nullptr;
  }

  int blocking_lookups = 0;  // guarded by mutex_
  int lookup_calls = 0;      // every lookup() call, answered or not (guarded by mutex_)
  int asks = 0;              // lookup_or_wait() calls (guarded by mutex_)

 private:
  void deliver() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      auto [name, waiter] = queue_.front();
      queue_.pop_front();
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::microseconds(200));  // the "network"
      KeySetPtr keys = inner_.lookup(name);
      lock.lock();
      delivered_.insert(name);
      lock.unlock();
      if (waiter != nullptr) waiter->key_ready(keys);
      lock.lock();
    }
  }

  KeyProvider& inner_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<std::string, KeyWaiter*>> queue_;
  std::set<std::string> delivered_;
  bool stop_ = false;
  std::thread thread_;
};

TEST(Pipeline, WorkersNeverWaitForSlowKeysAndResultsMatch) {
  auto messages = read_sample();
  std::vector<std::string> from_file = run_with(2, messages);

  cache::KeyFileProvider file({(kSample / "keys.zone").string()});
  SlowAsyncProvider slow(file);
  VectorSource source(messages, 5);
  RecordingSink sink;
  PipelineOptions options;
  options.threads = 2;
  options.batch_messages = 7;
  options.lookahead_batches = 8;
  Verifier verifier({Policy::strict, 1800000000, 16});
  run_pipeline(source, verifier, slow, sink, options);
  EXPECT_EQ(sink.lines, from_file);
  EXPECT_EQ(slow.blocking_lookups, 0);
  // Verify reads the answers pinned to its batch: it never asks the provider again, so an answer
  // that expired in between could neither block a worker nor change a verdict.
  EXPECT_EQ(slow.lookup_calls, 0);
}

// The sample's first message with `copies` more DKIM-Signature fields on top, copies of its own;
// with distinct_selectors, copy i says s=capN instead (an unknown key).
std::shared_ptr<std::string> with_extra_signatures(const std::string& message, int copies, bool distinct_selectors) {
  std::size_t sig = message.find("DKIM-Signature:");
  std::size_t end = sig;
  do end = message.find('\n', end) + 1; while (message[end] == ' ' || message[end] == '\t');
  const std::string field = message.substr(sig, end - sig);
  std::string out;
  for (int i = 0; i < copies; ++i) {
    std::string copy = field;
    if (distinct_selectors) copy.replace(copy.find("s=rsa2048;"), 10, "s=cap" + std::to_string(i) + ";");
    out += copy;
  }
  return std::make_shared<std::string>(out + message);
}

// What a run over one message with the slow provider asked for and printed.
struct AskedFor {
  std::vector<std::string> lines;
  int asks = 0;
  int lookup_calls = 0;
};

AskedFor run_slow(std::shared_ptr<std::string> message, std::size_t max_signatures) {
  std::vector<std::shared_ptr<std::string>> one{std::move(message)};
  cache::KeyFileProvider file({(kSample / "keys.zone").string()});
  SlowAsyncProvider slow(file);
  VectorSource source(one, 1);
  RecordingSink sink;
  run_pipeline(source, Verifier({Policy::strict, 1800000000, max_signatures}), slow, sink, {});
  return {sink.lines, slow.asks, slow.lookup_calls};
}

TEST(Pipeline, AsksEachNameOncePerBatch) {
  auto sample = read_sample();
  ASSERT_NE(sample.front()->find("s=rsa2048;"), std::string::npos);
  AskedFor run = run_slow(with_extra_signatures(*sample.front(), 10, false), 16);
  ASSERT_EQ(run.lines.size(), 1u);
  EXPECT_EQ(run.asks, 1);  // 11 signatures, one key
  EXPECT_EQ(run.lookup_calls, 0);
  EXPECT_EQ(run.lines[0].find("key_"), std::string::npos) << run.lines[0];
}

TEST(Pipeline, AsksForNoKeyBeyondTheSignatureCap) {
  // 40 signatures with 40 different selectors and a cap of 3: only the 3 checked ones are asked
  // for, so a message cannot turn its signature count into a flood of DNS queries.
  auto sample = read_sample();
  AskedFor run = run_slow(with_extra_signatures(*sample.front(), 40, true), 3);
  ASSERT_EQ(run.lines.size(), 1u);
  EXPECT_EQ(run.asks, 3);
  EXPECT_EQ(run.lookup_calls, 0);
  EXPECT_NE(run.lines[0].find("sig_over_cap"), std::string::npos) << run.lines[0];
}

// A d= or s= that verify refuses names no key: nothing is asked for it (a query for "x..com"
// wastes a lookup, and the name could not be kept in a key snapshot, whose loader refuses it).
TEST(Pipeline, AsksForNoKeyOfAMalformedDomainOrSelector) {
  auto sample = read_sample();
  const std::string& message = *sample.front();
  ASSERT_NE(message.find("d=example.com;"), std::string::npos);
  const std::size_t sig = message.find("DKIM-Signature:");
  std::size_t end = sig;
  do end = message.find('\n', end) + 1; while (message[end] == ' ' || message[end] == '\t');
  std::string extra;
  for (const char* bad : {"d=example..com;", "d=example.com.;", "d=.example.com;", "d=exa mple.com;"}) {
    std::string copy = message.substr(sig, end - sig);
    copy.replace(copy.find("d=example.com;"), 14, bad);
    extra += copy;
  }
  for (const char* bad : {"s=rsa..2048;", "s=rsa2048.;", "s=rsa/2048;"}) {
    std::string copy = message.substr(sig, end - sig);
    copy.replace(copy.find("s=rsa2048;"), 10, bad);
    extra += copy;
  }
  AskedFor run = run_slow(std::make_shared<std::string>(extra + message), 16);
  ASSERT_EQ(run.lines.size(), 1u);
  EXPECT_EQ(run.asks, 1);  // only the valid signature's key
  EXPECT_EQ(run.lookup_calls, 0);
  const std::string& line = run.lines[0];
  std::size_t bad_domains = 0, bad_selectors = 0;
  for (std::size_t at = 0; (at = line.find("sig_bad_domain", at)) != std::string::npos; ++at) ++bad_domains;
  for (std::size_t at = 0; (at = line.find("sig_bad_selector", at)) != std::string::npos; ++at) ++bad_selectors;
  EXPECT_EQ(bad_domains, 4u) << line;
  EXPECT_EQ(bad_selectors, 3u) << line;
  EXPECT_TRUE(line.starts_with("0 msg#0 pass ")) << line;
}

// Verdicts and reasons of each line, without its sequence number and source.
std::vector<std::string> outcomes(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  for (const std::string& line : lines) {
    const std::size_t source_end = line.find(' ', line.find(' ') + 1);
    out.push_back(line.substr(source_end + 1));
  }
  return out;
}

// The sample as an mboxrd archive read in small blocks, as a large mbox is: many of its body
// lines start with "From ", so the workers un-quote those messages in place in the blocks while
// the reader goes on reading into them (the TSan build runs this). Or cut in chunks by the
// workers, as the CLI does with a large mbox file: the workers read and cut while others verify,
// and the name node numbers what they cut. Every thread count and both ways must give what the
// message files give, and the two ways the same names and numbers.
TEST(Pipeline, MboxReadInBlocksOrChunksGivesWhatTheMessageFilesGive) {
  auto messages = read_sample();
  std::vector<std::string> texts;
  for (const auto& m : messages) texts.push_back(*m);
  ingest::testing::TempDir dir;
  const std::string path = dir.write("sample.mbox", ingest::testing::write_mbox(texts, ingest::MboxFormat::mboxrd));
  cache::KeyFileProvider keys({(kSample / "keys.zone").string()});
  Verifier verifier({Policy::strict, 1800000000, 16});
  std::vector<std::string> from_files;
  {
    VectorSource files(messages, 1, false);
    RecordingSink sink;
    run_pipeline(files, verifier, keys, sink, {});
    from_files = outcomes(sink.lines);
  }
  std::vector<std::string> first_lines;
  for (bool chunks : {false, true}) {
    for (unsigned threads : {1u, 8u}) {
      SCOPED_TRACE(::testing::Message() << (chunks ? "chunks" : "blocks") << ", threads " << threads);
      ingest::IngestOptions read;
      read.mbox_format = ingest::MboxFormat::mboxrd;  // no ">>From " line would tell detection
      read.large_file_bytes = 1;          // "large": read in blocks, or cut in chunks
      read.stream_block_bytes = 4096;   // messages straddle blocks and chunks, some outgrow one
      read.defer_reads = threads > 1;   // as the CLI sets it: un-quoting then moves to the workers
      read.cut_mbox_chunks = chunks;
      auto source = ingest::open_inputs({path}, read);
      RecordingSink sink;
      PipelineOptions options;
      options.threads = threads;
      options.batch_messages = 7;
      options.load = [&read](ingest::InputMessage& input, ingest::ByteArena& arena) {
        ingest::load_deferred(input, read, arena);
      };
      ingest::MboxNamer namer(read.mbox_index_base);
      // A batch holds one chunk, however small (fill_batch): what a chunk is cut into is all of a
      // batch, so the chunk size bounds a batch's messages. Items of another chunk already in the
      // batch's list when a chunk is cut would show two in one batch.
      std::atomic<int> chunks_sharing_a_batch{0};
      if (chunks) {
        options.expand = [&chunks_sharing_a_batch](const ingest::InputMessage& chunk,
                                                   std::vector<ingest::InputMessage>& out, ingest::ByteArena& arena) {
          if (!out.empty()) ++chunks_sharing_a_batch;
          ingest::cut_mbox_chunk(chunk, out, arena);
        };
        options.name = [&namer](ingest::InputMessage& input) { namer.name(input); };
      }
      PipelineStats stats = run_pipeline(*source, verifier, keys, sink, options);
      EXPECT_EQ(chunks_sharing_a_batch, 0);
      ASSERT_EQ(sink.lines.size(), 100u);
      EXPECT_EQ(stats.messages, 100u);
      EXPECT_TRUE(sink.mismatched.empty());
      EXPECT_EQ(outcomes(sink.lines), from_files);
      if (first_lines.empty()) first_lines = sink.lines;
      EXPECT_EQ(sink.lines, first_lines);  // sequence numbers and "path#N" names too
    }
  }
  EXPECT_EQ(first_lines[99].substr(0, first_lines[99].find(' ', 3)), "99 " + path + "#100");
}

TEST(Pipeline, EmptySourceGivesNothing) {
  std::vector<std::shared_ptr<std::string>> none;
  cache::KeyFileProvider keys;
  VectorSource source(none, 1);
  RecordingSink sink;
  Verifier verifier({});
  PipelineStats stats = run_pipeline(source, verifier, keys, sink, {});
  EXPECT_EQ(stats.messages, 0u);
  EXPECT_TRUE(sink.lines.empty());
}

}  // namespace
}  // namespace dkimscan::engine
