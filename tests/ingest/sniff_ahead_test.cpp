// Tests for ingest/sniff_ahead.h: the items come out in the walk's own order, across chunk
// boundaries, and each file's guess is what its first bytes say, however many threads sniff.
#include "ingest/sniff_ahead.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <filesystem>
#include <map>

#include "ingest_test_util.h"

namespace dkimscan::ingest {
namespace {

using testing::make_message;
using testing::TempDir;
using testing::write_mbox;

struct Walked {
  std::string path;
  WalkItem::Kind kind;
  FileGuess guess;
  bool size_known;
  std::uint64_t size;
  std::string bytes;  // what came along with read_whole
};

std::vector<Walked> walk_all(const std::vector<std::string>& roots, const IngestOptions& options) {
  SniffAhead walk(roots, options);
  std::vector<Walked> out;
  WalkItem item;
  FileGuess guess = FileGuess::read_here;
  FileBytes bytes;
  while (walk.next(item, guess, bytes)) {
    out.push_back({item.path, item.kind, guess, item.size_known, item.size, std::string(bytes.bytes)});
    bytes = FileBytes{};
  }
  return out;
}

// 200 files (three chunks and a part) of every kind, plus a Maildir and a missing path. Files up
// to kReadWholeBytes come with their bytes, whatever they hold (the serial reader decides); larger
// ones are guessed from their first bytes.
TEST(SniffAhead, ItemsKeepTheWalkOrderAndEachFileGetsItsOwnGuess) {
  TempDir dir;
  std::vector<std::string> roots;
  std::vector<FileGuess> expected;
  std::map<std::string, std::string> contents;  // by path
  const std::string padding(SniffAhead::kReadWholeBytes, 'p');  // makes a file too large to read whole
  for (int i = 0; i < 200; ++i) {
    const std::string name = fmt::format("in/{:03}", i);
    const auto add = [&](const std::string& content, FileGuess guess) {
      contents[dir.write(name, content)] = content;
      expected.push_back(guess);
    };
    switch (i % 8) {
      case 0: add(make_message("m", "body\n"), FileGuess::read_whole); break;
      case 1: add(write_mbox({make_message("a", "1\n")}, MboxFormat::mboxo), FileGuess::read_whole); break;
      case 2: add("\x1f\x8b\x08 gzip magic", FileGuess::read_whole); break;
      case 3: add("", FileGuess::read_here); break;  // empty: the reader's error
      case 4: add(std::string(40'000, 'x'), FileGuess::read_here); break;  // beyond the message limit
      case 5: add(make_message("m", padding + "\n"), FileGuess::one_message); break;
      case 6: add(write_mbox({make_message("a", padding + "\n")}, MboxFormat::mboxo), FileGuess::read_here); break;
      case 7: add("\x1f\x8b\x08 gzip magic" + padding, FileGuess::read_here); break;
    }
  }
  dir.write("md/cur/1.host:2,S", "not even a message: a Maildir file is one by definition");
  dir.mkdir("md/new");
  IngestOptions options;
  options.defer_reads = true;
  options.max_message_bytes = 39'999;  // the 40,000-byte files cannot be one message
  const std::vector<Walked> walked = walk_all({dir / "in", dir / "md", dir / "missing"}, options);

  PathWalker plain({dir / "in", dir / "md", dir / "missing"});
  WalkItem item;
  std::size_t i = 0;
  for (; plain.next(item); ++i) {
    ASSERT_LT(i, walked.size());
    EXPECT_EQ(walked[i].path, item.path);
    EXPECT_EQ(walked[i].kind, item.kind);
  }
  ASSERT_EQ(walked.size(), i);
  ASSERT_EQ(walked.size(), 202u);
  for (std::size_t k = 0; k < 200; ++k) EXPECT_EQ(walked[k].guess, expected[k]) << walked[k].path;
  for (const Walked& w : walked) {
    if (w.guess == FileGuess::read_whole) EXPECT_EQ(w.bytes, contents[w.path]) << w.path;
    else EXPECT_EQ(w.bytes, "") << w.path;
    if (w.guess != FileGuess::one_message) continue;
    // A worker's read needs the size, which the walk may not have taken.
    EXPECT_TRUE(w.size_known) << w.path;
    EXPECT_EQ(w.size, std::filesystem::file_size(w.path)) << w.path;
  }
  EXPECT_EQ(walked[200].guess, FileGuess::one_message);  // the Maildir file
  EXPECT_EQ(walked[201].kind, WalkItem::Kind::error);    // the missing path
  EXPECT_EQ(walked[201].guess, FileGuess::read_here);

  options.defer_reads = false;  // nothing is left for workers, so nothing is sniffed
  for (const Walked& w : walk_all({dir / "in", dir / "md"}, options)) EXPECT_EQ(w.guess, FileGuess::read_here) << w.path;
}

}  // namespace
}  // namespace dkimscan::ingest
