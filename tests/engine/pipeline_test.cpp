// Pipeline tests: every message comes out once, in input order, with the same results whatever
// the thread count (the TSan build runs these too).
#include "engine/pipeline.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cache/key_file.h"

namespace dkimscan::engine {
namespace {

namespace fs = std::filesystem;
const fs::path kSample = fs::path(DKIMSCAN_SOURCE_DIR) / "datasets" / "sample";

// The sample corpus, read once, handed out `rounds` times over (so batches fill and wrap).
class VectorSource final : public ingest::MessageSource {
 public:
  VectorSource(const std::vector<std::shared_ptr<std::string>>& messages, std::size_t rounds)
      : messages_(messages), total_(messages.size() * rounds) {}
  bool next(ingest::InputMessage& out) override {
    if (next_ == total_) return false;
    const auto& bytes = messages_[next_ % messages_.size()];
    out.storage = bytes;
    out.bytes = *bytes;
    out.source = "msg#" + std::to_string(next_++);
    if (next_ % 97 == 0) out.error = ingest::IngestError::truncated;  // error items must flow too
    return true;
  }

 private:
  const std::vector<std::shared_ptr<std::string>>& messages_;
  std::size_t total_;
  std::size_t next_ = 0;
};

class RecordingSink final : public ResultSink {
 public:
  void emit(const PipelineItem& item) override {
    std::ostringstream line;
    line << item.sequence << ' ' << item.input.source << ' ' << verdict_name(item.result.best);
    for (const SignatureResult& sig : item.result.signatures) line << ' ' << reason_code(sig.reason);
    lines.push_back(line.str());
  }
  std::vector<std::string> lines;
};

std::vector<std::shared_ptr<std::string>> read_sample() {
  std::vector<fs::path> paths;
  for (const auto& entry : fs::directory_iterator(kSample / "messages")) paths.push_back(entry.path());
  std::sort(paths.begin(), paths.end());
  std::vector<std::shared_ptr<std::string>> messages;
  for (const fs::path& path : paths) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    messages.push_back(std::make_shared<std::string>(text.str()));
  }
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
