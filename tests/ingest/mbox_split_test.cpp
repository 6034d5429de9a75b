// File: tests/ingest/mbox_split_test.cpp
// The mbox splitter over in-memory archives: boundaries, each variant, detection, and the stream
// reader fed in tiny chunks giving exactly what the mapped reader gives.
#include "ingest/mbox_split.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "ingest/byte_arena.h"
#include "ingest/mbox_source.h"
#include "ingest/open_inputs.h"
#include "ingest_test_util.h"

namespace dkimscan::ingest {
namespace {

using testing::drain;
using testing::StringReader;

FileBytes bytes_of(const std::string& s) {
  auto owned = std::make_shared<const std::string>(s);
  FileBytes f;
  f.kind = FileBytes::Kind::bytes;
  f.bytes = *owned;
  f.storage = owned;
  return f;
}

std::vector<InputMessage> split_view(const std::string& mbox, IngestOptions options = {}) {
  auto source = open_mbox_view("m", bytes_of(mbox), options);
  return drain(*source);
}

std::vector<InputMessage> split_stream(const std::string& mbox, std::size_t chunk, IngestOptions options = {},
                                       bool fail = false) {
  auto source = open_mbox_stream("m", "", std::make_unique<StringReader>(mbox, chunk, fail), options);
  return drain(*source);
}

const std::string kM1 = "From: a@example.com\nSubject: one\n\nHello\n";
const std::string kM2 = "From: b@example.com\nSubject: two\n\nWorld\n\nbye\n";
const std::string kM3 = "From: c@example.com\nSubject: three\n\n>From here\n";

std::string mboxo_lf() {
  return "From a@example.com Mon Jan  1 00:00:00 2024\n" + kM1 + "\n" +
         "From b@example.com Mon Jan  1 00:00:01 2024\n" + kM2 + "\n" +
         "From c@example.com Mon Jan  1 00:00:02 2024\n" + kM3 + "\n";
}

std::string to_crlf(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

TEST(FindFromLine, NeedsAnEmptyLineBefore) {
  EXPECT_EQ(find_from_line("x\n\nFrom a", 0), 3u);
  EXPECT_EQ(find_from_line("x\r\n\r\nFrom a", 0), 5u);
  EXPECT_EQ(find_from_line("x\nFrom a", 0), kNoPos);
  EXPECT_EQ(find_from_line("x\n\n>From a", 0), kNoPos);
  EXPECT_EQ(find_from_line("x\n\nFrom a\n\nFrom b", 4), 11u);
  EXPECT_EQ(find_from_line("x\n\nFrom", 0), kNoPos);
}

TEST(MboxSplit, MboxoLfMessagesAreViewsWithSourcesAndOffsets) {
  const std::string mbox = mboxo_lf();
  auto items = split_view(mbox);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].bytes, kM1);
  EXPECT_EQ(items[1].bytes, kM2);
  EXPECT_EQ(items[2].bytes, kM3);  // mboxo: ">From " is kept as stored
  EXPECT_EQ(items[0].source, "m#1");
  EXPECT_EQ(items[2].source, "m#3");
  EXPECT_EQ(items[0].offset, 44u);
  EXPECT_EQ(items[1].offset, mbox.find("From: b@"));
  for (const auto& m : items) EXPECT_EQ(m.error, IngestError::none);
  // Zero copy: the bytes point into the archive.
  EXPECT_EQ(static_cast<const void*>(items[1].bytes.data()),
            static_cast<const void*>(static_cast<const std::string*>(items[1].storage.get())->data() + items[1].offset));
}

TEST(MboxSplit, CrlfArchiveGivesCrlfMessages) {
  auto items = split_view(to_crlf(mboxo_lf()));
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].bytes, to_crlf(kM1));
  EXPECT_EQ(items[1].bytes, to_crlf(kM2));
  EXPECT_EQ(items[2].bytes, to_crlf(kM3));
}

TEST(MboxSplit, IndexBaseZero) {
  IngestOptions options;
  options.mbox_index_base = 0;
  auto items = split_view(mboxo_lf(), options);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].source, "m#0");
}

TEST(MboxSplit, FromLineWithoutEmptyLineBeforeIsBodyText) {
  const std::string mbox = "From x\nFrom: a@b\n\nline\nFrom the start\n";
  auto items = split_view(mbox);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].bytes, "From: a@b\n\nline\nFrom the start\n");
}

TEST(MboxSplit, MboxrdIsUnquotedAndDetected) {
  const std::string mbox = "From x\nFrom: a@b\n\n>From one\n>>From two\n>>>From three\n > From no\n\n";
  EXPECT_EQ(detect_mbox_format(mbox, true), MboxFormat::mboxrd);
  auto items = split_view(mbox);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].bytes, "From: a@b\n\nFrom one\n>From two\n>>From three\n > From no\n");
}

// The stream reader un-quotes in its block, in place; the result is what a copy gives, including
// where a quoted line follows another on the same line of text or right after it.
TEST(MboxSplit, UnquotingInPlaceGivesWhatACopyGives) {
  // The in-place form that keeps the longest stretch where it is: first, middle, last.
  for (std::string message : {std::string(">From a >From b\n>>From c\n>From\n>From d"),
                              std::string("x\n>From a\n>From b\n\n>>>>From e\n"), std::string(">From "),
                              std::string("a long first line before the quotes\n>From x\n>From y\n"),
                              std::string("y\n>From x\na long middle stretch between the quotes\n>From z\nw\n"),
                              std::string(">From x\n>From y\na long last stretch after the quotes\n")}) {
    std::string copy;
    unquote_mboxrd(message, copy);
    std::string moved = message;
    EXPECT_EQ(unquote_mboxrd_in_place(moved.data(), moved.size()), copy);
    const std::size_t n = unquote_mboxrd(message, message.data());
    EXPECT_EQ(message.substr(0, n), copy);
  }
  std::string many;  // more quotes than are tracked: every run moves left
  for (int i = 0; i < 100; ++i) many += ">From " + std::to_string(i) + "\n";
  std::string copy;
  unquote_mboxrd(many, copy);
  EXPECT_EQ(unquote_mboxrd_in_place(many.data(), many.size()), copy);
  const std::string mbox = "From x\nFrom: a@b\n\n>From one\n>>From two\n\nFrom y\nFrom: c@d\n\n>From 3\n\n";
  IngestOptions options;
  options.mbox_format = MboxFormat::mboxrd;
  auto items = split_stream(mbox, 7, options);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].bytes, "From: a@b\n\nFrom one\n>From two\n");
  EXPECT_EQ(items[1].bytes, "From: c@d\n\nFrom 3\n");
  EXPECT_EQ(items[1].storage, items[0].storage);  // both in the one block: no copy
  EXPECT_EQ(items[1].offset, mbox.find("From: c@d"));
}

TEST(MboxSplit, ExplicitMboxoLeavesQuotesAlone) {
  const std::string mbox = "From x\nFrom: a@b\n\n>>From two\n\n";
  IngestOptions options;
  options.mbox_format = MboxFormat::mboxo;
  auto items = split_view(mbox, options);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].bytes, "From: a@b\n\n>>From two\n");
}

TEST(MboxSplit, Mboxcl2ContentLengthKeepsUnquotedFromLinesInTheBody) {
  const std::string body = "para\n\nFrom the body, not a boundary\n";
  const std::string m1 = "From: a@b\nContent-Length: " + std::to_string(body.size()) + "\n\n" + body;
  const std::string m2 = "From: c@d\nContent-Length: 3\n\nxy\n";
  const std::string mbox = "From a\n" + m1 + "\nFrom c\n" + m2 + "\n";
  EXPECT_EQ(detect_mbox_format(mbox, true), MboxFormat::mboxcl2);
  auto items = split_view(mbox);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].bytes, m1);
  EXPECT_EQ(items[1].bytes, m2);
  EXPECT_EQ(items[1].error, IngestError::none);
}

TEST(MboxSplit, Mboxcl2IsDetectedWhenAMessageStraddlesTheDetectionPrefix) {
  std::vector<std::string> messages;
  for (int i = 0; i < 15; ++i) {
    messages.push_back("From: a@b\nSubject: " + std::to_string(i) + "\n\n" + std::string(100000, 'x') +
                       "\n\nFrom the body\n");
  }
  const std::string mbox = testing::write_mbox(messages, MboxFormat::mboxcl2);
  ASSERT_GT(mbox.size(), 1u << 20);
  for (auto& items : {split_view(mbox), split_stream(mbox, 65536)}) {
    ASSERT_EQ(items.size(), 15u);
    EXPECT_EQ(items[14].error, IngestError::none);
    EXPECT_EQ(items[14].container, Container::mboxcl2);
  }
}

TEST(MboxSplit, EveryVariantGivesBackTheOriginalBytesWhereItsQuotingIsReversible) {
  const std::vector<std::string> lf = {kM1, kM2 + "\nFrom the body\n", kM2 + "\n>From quoted\n"};
  for (MboxFormat f : {MboxFormat::mboxo, MboxFormat::mboxrd, MboxFormat::mboxcl, MboxFormat::mboxcl2}) {
    for (bool crlf : {false, true}) {
      SCOPED_TRACE(std::string(mbox_format_name(f)) + (crlf ? " CRLF" : " LF"));
      std::vector<std::string> originals = lf;
      if (crlf) {
        for (auto& m : originals) m = to_crlf(m);
      }
      const std::string mbox = testing::write_mbox(originals, f);
      EXPECT_EQ(detect_mbox_format(mbox, true), f);
      auto items = split_view(mbox);
      ASSERT_EQ(items.size(), 3u);
      for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(items[i].error, IngestError::none) << i;
        // mboxrd and mboxcl2 give the originals back; mboxo/mboxcl quoting is left for repair.h.
        std::string want = originals[i];
        if (f == MboxFormat::mboxo || f == MboxFormat::mboxcl) want = testing::quote_for(want, f);
        if (f == MboxFormat::mboxcl || f == MboxFormat::mboxcl2) {  // the writer's field stays
          EXPECT_EQ(items[i].bytes.find("Content-Length: "), originals[i].find(crlf ? "\r\n\r\n" : "\n\n") + (crlf ? 2 : 1));
          const std::size_t field_end = items[i].bytes.find('\n', items[i].bytes.find("Content-Length: ")) + 1;
          std::string without(items[i].bytes);
          without.erase(without.find("Content-Length: "), field_end - without.find("Content-Length: "));
          EXPECT_EQ(without, want) << i;
        } else {
          EXPECT_EQ(items[i].bytes, want) << i;
        }
      }
    }
  }
}

TEST(MboxSplit, MboxclIsDetectedFromQuotedBodyLines) {
  const std::string body = "para\n\n>From the body\n";
  const std::string m1 = "From: a@b\nContent-Length: " + std::to_string(body.size()) + "\n\n" + body;
  const std::string mbox = "From a\n" + m1 + "\n";
  EXPECT_EQ(detect_mbox_format(mbox, true), MboxFormat::mboxcl);
  auto items = split_view(mbox);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].bytes, m1);  // mboxcl quoting is irreversible: stored bytes
}

TEST(MboxSplit, LyingContentLengthIsReportedAndSplitAtFromLines) {
  const std::string m1 = "From: a@b\nContent-Length: 2\n\nlonger than two\n";
  const std::string m2 = "From: c@d\nContent-Length: 3\n\nxy\n";
  const std::string mbox = "From a\n" + m1 + "\nFrom c\n" + m2 + "\n";
  IngestOptions options;
  options.mbox_format = MboxFormat::mboxcl2;
  auto items = split_view(mbox, options);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].error, IngestError::bad_content_length);
  EXPECT_EQ(items[0].error_detail, "Content-Length: 2 does not end at a From_ line");
  EXPECT_EQ(items[0].bytes, m1);
  EXPECT_EQ(items[1].error, IngestError::none);
  EXPECT_EQ(items[1].bytes, m2);
}

TEST(MboxSplit, ContentLengthPastTheEndIsReported) {
  const std::string m1 = "From: a@b\nContent-Length: 9999\n\nshort\n";
  IngestOptions options;
  options.mbox_format = MboxFormat::mboxcl2;
  auto items = split_view("From a\n" + m1, options);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].error, IngestError::bad_content_length);
  EXPECT_EQ(items[0].error_detail, "Content-Length: 9999 runs past the end of the archive");
  EXPECT_EQ(items[0].bytes, m1);
}

TEST(MboxSplit, FromLineAloneIsAnEmptyItem) {
  auto items = split_view("From nobody");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].error, IngestError::empty);
  EXPECT_EQ(items[0].source, "m#1");
}

// An empty message at the end of an archive, where the writer's empty line is all that follows
// its From_ line, is empty as one in the middle is (it was not_a_message), LF and CRLF alike, in
// the view and in the stream reader.
TEST(MboxSplit, EmptyLastMessageIsEmptyAsInTheMiddle) {
  for (const std::string eol : {"\n", "\r\n"}) {
    const std::string mbox = "From a" + eol + "Subject: 1" + eol + eol + "x" + eol + eol + "From b" + eol + eol +
                             "From c" + eol + "Subject: 3" + eol + eol + "y" + eol + eol + "From d" + eol + eol;
    for (const auto& items : {split_view(mbox), split_stream(mbox, 3)}) {
      ASSERT_EQ(items.size(), 4u) << eol.size();
      EXPECT_EQ(items[0].error, IngestError::none);
      EXPECT_EQ(items[1].error, IngestError::empty);
      EXPECT_EQ(items[1].error_detail, "zero bytes");
      EXPECT_EQ(items[2].error, IngestError::none);
      EXPECT_EQ(items[3].error, IngestError::empty) << eol.size();
      EXPECT_EQ(items[3].error_detail, "zero bytes");
    }
  }
}

TEST(MboxSplit, DamagedMessageInsideAnArchiveIsAnItemAndTheRestFollows) {
  const std::string mbox = "From a\n\x01\x02junk\n\nFrom b\nFrom: x@y\nSubject: s\n\nbody\n";
  auto items = split_view(mbox);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].error, IngestError::not_a_message);
  EXPECT_EQ(items[1].error, IngestError::none);
}

void expect_same(const std::vector<InputMessage>& a, const std::vector<InputMessage>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].bytes, b[i].bytes) << i;
    EXPECT_EQ(a[i].source, b[i].source) << i;
    EXPECT_EQ(a[i].offset, b[i].offset) << i;
    EXPECT_EQ(a[i].error, b[i].error) << i;
  }
}

TEST(MboxSplit, StreamInTinyChunksGivesWhatTheViewGives) {
  const std::string body = "para\n\nFrom the body\n";
  const std::string cl = "From a\nFrom: a@b\nContent-Length: " + std::to_string(body.size()) + "\n\n" + body + "\n";
  for (const std::string& mbox : {mboxo_lf(), to_crlf(mboxo_lf()), cl + mboxo_lf(),
                                  std::string("From x\nFrom: a@b\n\n>>From q\n\n")}) {
    auto view = split_view(mbox);
    // Blocks of 8 and 32 bytes make every message straddle blocks, and make some outgrow one.
    for (std::size_t block : {std::size_t{8}, std::size_t{32}, std::size_t{1} << 20}) {
      IngestOptions options;
      options.stream_block_bytes = block;
      for (std::size_t chunk : {1u, 2u, 3u, 7u, 64u, 100000u}) {
        SCOPED_TRACE(::testing::Message() << "block " << block << " chunk " << chunk);
        expect_same(split_stream(mbox, chunk, options), view);
      }
    }
  }
}

// The stream reader hands on views into the blocks it read, not copies, and a message keeps its
// block alive after the reader has moved on to the next block (and after the reader is gone).
TEST(MboxSplit, StreamMessagesPointIntoBlocksThatOutliveTheReader) {
  const std::string mbox = mboxo_lf();  // 280 bytes: messages 1 and 2 lie in the first 256
  IngestOptions options;
  options.stream_block_bytes = 256;
  options.mbox_format = MboxFormat::mboxo;  // detection would read the whole archive into one block
  std::vector<InputMessage> items;
  {
    auto source = open_mbox_stream("m", "", std::make_unique<StringReader>(mbox, 100000), options);
    items = drain(*source);
  }
  expect_same(items, split_view(mbox));
  ASSERT_EQ(items.size(), 3u);
  ASSERT_NE(items[0].storage, nullptr);
  EXPECT_EQ(items[0].storage, items[1].storage);
  EXPECT_EQ(static_cast<std::uint64_t>(items[1].bytes.data() - items[0].bytes.data()),
            items[1].offset - items[0].offset);  // where they lie in the archive: no copy
  EXPECT_NE(items[2].storage, items[0].storage);  // the third straddled the end: the next block
}

TEST(MboxSplit, StreamSkipsAMessageLargerThanTheLimit) {
  const std::string big = "From: a@b\n\n" + std::string(5000, 'x') + "\n";
  const std::string mbox = "From a\n" + kM1 + "\nFrom b\n" + big + "\nFrom c\n" + kM2 + "\n";
  IngestOptions options;
  options.max_message_bytes = 1000;
  for (std::size_t block : {std::size_t{16}, std::size_t{700}, std::size_t{1} << 20}) for (std::size_t chunk : {1u, 13u, 4096u}) {
    SCOPED_TRACE(::testing::Message() << "block " << block << " chunk " << chunk);
    options.stream_block_bytes = block;
    auto items = split_stream(mbox, chunk, options);
    ASSERT_EQ(items.size(), 3u);
    EXPECT_EQ(items[0].bytes, kM1);
    EXPECT_EQ(items[1].error, IngestError::too_large);
    EXPECT_EQ(items[1].error_detail, "message larger than 1000 bytes");
    EXPECT_EQ(items[1].source, "m#2");
    EXPECT_EQ(items[1].offset, mbox.find("From: a@b"));
    EXPECT_EQ(items[2].bytes, kM2);
    EXPECT_EQ(items[2].source, "m#3");
    EXPECT_EQ(items[2].offset, mbox.find(kM2));
  }
}

// A mapped archive has no size limit for messages handed on as views, but an mboxrd message that
// must be un-quoted into a copy does: the same when the reader un-quotes and when a worker does.
TEST(MboxSplit, MappedMboxrdMessageTooLargeToUnquoteIsReported) {
  const std::string quoted = "From: a@b\n\n" + std::string(300, 'x') + "\nFrom here\n";
  const std::string plain = "From: a@b\n\n" + std::string(300, 'y') + "\n";
  testing::TempDir dir;
  const std::string path = dir.write("big.mbox", testing::write_mbox({quoted, plain}, MboxFormat::mboxrd));
  IngestOptions options;
  options.read_mode = ReadMode::mmap;
  options.mbox_format = MboxFormat::mboxrd;
  options.max_message_bytes = 200;
  for (bool defer : {false, true}) {
    SCOPED_TRACE(defer);
    options.defer_reads = defer;
    auto items = testing::read_all({path}, options);
    ASSERT_EQ(items.size(), 2u);
    ByteArena arena;
    for (InputMessage& item : items) load_deferred(item, options, arena);
    EXPECT_EQ(items[0].error, IngestError::too_large);
    EXPECT_EQ(items[0].error_detail, "message of " + std::to_string(quoted.size() + 1) + " bytes to un-quote");
    EXPECT_TRUE(items[0].bytes.empty());
    EXPECT_EQ(items[1].error, IngestError::none);
    EXPECT_EQ(items[1].bytes, plain);
  }
}

// Also when the message is left to a worker (an mboxrd archive at -j2 and more): loading it must
// not replace the stream's error with its own check, or the output would depend on -j.
TEST(MboxSplit, TruncatedStreamMarksTheLastMessage) {
  const std::string mbox = "From a\n" + kM1 + "\nFrom b\nFrom: b@x\n\npartial bo";
  for (bool defer : {false, true}) {
    SCOPED_TRACE(defer);
    IngestOptions options;
    options.mbox_format = MboxFormat::mboxrd;
    options.defer_reads = defer;
    auto items = split_stream(mbox, 5, options, true);
    ASSERT_EQ(items.size(), 2u);
    ByteArena arena;
    for (InputMessage& item : items) load_deferred(item, options, arena);
    EXPECT_EQ(items[0].error, IngestError::none);
    EXPECT_EQ(items[1].error, IngestError::truncated);
    EXPECT_EQ(items[1].error_detail, "unexpected end of gzip stream");
    EXPECT_EQ(items[1].bytes, "From: b@x\n\npartial bo");
  }
}

TEST(MboxSplit, MboxFileOnDiskIsSplitByOpenInputs) {
  testing::TempDir dir;
  const std::string path = dir.write("archive.mbox", mboxo_lf());
  auto items = testing::read_all({path});
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].source, path + "#1");
  EXPECT_EQ(items[1].bytes, kM2);
}

TEST(LooksLikeMbox, FromLineYesFromHeaderFieldNo) {
  EXPECT_TRUE(looks_like_mbox("From joe@example.org Mon Jan  1 00:00:00 2024\n"));
  EXPECT_TRUE(looks_like_mbox("From - Mon Jan  1 00:00:00 2024\n"));  // Mozilla's sender "-"
  EXPECT_TRUE(looks_like_mbox("From "));
  EXPECT_FALSE(looks_like_mbox("From: joe@example.org\n"));
  EXPECT_FALSE(looks_like_mbox("From : joe@example.org\n"));  // RFC 5322 §4.5.1: WSP before ':'
  EXPECT_FALSE(looks_like_mbox("From \t : joe@example.org\n"));
  EXPECT_FALSE(looks_like_mbox("Subject: x\n"));
}

// A message file whose first field is "From :" is one message, not an mbox split at its body's
// "From " lines: small (read whole) and at the mapping threshold, where the reader looks at its
// first bytes only to choose between mapping it and streaming it as an mbox.
TEST(MboxSplit, MessageStartingWithFromSpaceColonIsOneMessage) {
  testing::TempDir dir;
  const std::string message = "From : a@example.org\nSubject: s\n\nbody\n\nFrom the desk of b\n";
  IngestOptions large;
  large.large_file_bytes = message.size();
  for (const IngestOptions& options : {IngestOptions{}, large}) {
    const std::string path = dir.write("m.eml", message);
    auto items = testing::read_all({path}, options);
    ASSERT_EQ(items.size(), 1u) << options.large_file_bytes;
    EXPECT_EQ(items[0].source, path);
    EXPECT_EQ(items[0].error, IngestError::none);
    EXPECT_EQ(items[0].bytes, message);
  }
}

}  // namespace
}  // namespace dkimscan::ingest
