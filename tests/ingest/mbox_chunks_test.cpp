// File: tests/ingest/mbox_chunks_test.cpp
// An mbox file cut in chunks by "workers" gives, item for item, what the stream reader gives
// for the same file: the same bytes, names, offsets and errors, whatever the chunk size.
#include "ingest/mbox_chunks.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <random>

#include "ingest/file_reader.h"
#include "ingest/mbox_source.h"
#include "ingest_test_util.h"

namespace dkimscan::ingest {
namespace {

using testing::drain;
using testing::failing_between;

// The items of the chunks of the file at path, cut one chunk at a time as the pipeline's workers
// do (each chunk into its own arena), then named in order. Front to back, each chunk's worker
// knows what the one before learned about it (where a large message ends); back to front, none
// does, as when workers cut neighbouring chunks at the same time.
struct ChunkCut {
  std::deque<ByteArena> arenas;  // LIFETIME: the items' bytes live here
  std::vector<InputMessage> items;
  std::size_t chunks = 0;
};

void cut_in_chunks(const std::string& path, const IngestOptions& options, ChunkCut& out, bool backwards = false,
                   MboxNamer* namer = nullptr, ReadAtFn read_at = {}) {
  auto source = open_mbox_chunks(path, options, std::move(read_at));
  ASSERT_NE(source, nullptr);
  std::vector<InputMessage> chunks;
  InputMessage chunk;
  while (source->next(chunk)) {
    ASSERT_TRUE(chunk.mbox_chunk);
    chunks.push_back(std::move(chunk));
  }
  out.chunks += chunks.size();
  std::vector<std::vector<InputMessage>> cut(chunks.size());
  for (std::size_t k = 0; k < chunks.size(); ++k) {
    const std::size_t i = backwards ? chunks.size() - 1 - k : k;
    cut_mbox_chunk(chunks[i], cut[i], out.arenas.emplace_back());
  }
  MboxNamer own_namer(options.mbox_index_base);
  for (auto& items : cut) {
    for (InputMessage& item : items) {
      (namer != nullptr ? *namer : own_namer).name(item);
      EXPECT_FALSE(item.name_pending);
      out.items.push_back(std::move(item));
    }
  }
}

std::vector<InputMessage> read_as_stream(const std::string& path, IngestOptions options) {
  options.stream_block_bytes = 1u << 20;
  auto source = open_mbox_stream(path, "", std::make_unique<FileReader>(path), options);
  return drain(*source);
}

void expect_same(const std::vector<InputMessage>& chunked, const std::vector<InputMessage>& streamed) {
  ASSERT_EQ(chunked.size(), streamed.size());
  for (std::size_t i = 0; i < chunked.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(chunked[i].bytes, streamed[i].bytes);
    EXPECT_EQ(chunked[i].source, streamed[i].source);
    EXPECT_EQ(chunked[i].offset, streamed[i].offset);
    EXPECT_EQ(chunked[i].error, streamed[i].error);
    EXPECT_EQ(chunked[i].error_detail, streamed[i].error_detail);
    EXPECT_EQ(chunked[i].container, streamed[i].container);
  }
}

// Chunk sizes from 1 byte on: boundaries then fall on every byte of "\n\r\nFrom ".
void expect_chunks_give_the_stream(const std::string& path, IngestOptions options) {
  const std::vector<InputMessage> streamed = read_as_stream(path, options);
  for (std::size_t chunk : {1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u, 13u, 64u, 1000u, 1u << 20}) {
    SCOPED_TRACE(::testing::Message() << "chunk " << chunk);
    options.stream_block_bytes = chunk;
    for (bool backwards : {false, true}) {
      ChunkCut cut;
      cut_in_chunks(path, options, cut, backwards);
      expect_same(cut.items, streamed);
    }
  }
}

const std::string kM1 = "From: a@example.com\nSubject: one\n\nHello\n";
const std::string kM2 = "From: b@example.com\nSubject: two\n\nWorld\n\nbye\n";

TEST(MboxChunks, SmallArchivesGiveWhatTheStreamGives) {
  const std::vector<std::string> archives = {
      "From a\n" + kM1 + "\nFrom b\n" + kM2 + "\n",
      "From a\r\nFrom: a@b\r\n\r\nbody\r\n\r\nFrom b\r\nFrom: c@d\r\n\r\nx\r\n\r\n",
      "From a\n" + kM1 + "From not a boundary: no empty line before\n\nFrom b\n" + kM2,
      "From x\nFrom: a@b\n\n>>From q\n>From r\n\n",          // mboxrd, detected
      "From \n\nFrom \n\nFrom x\n",                          // From_ lines with nothing between
      "From a\n" + kM1 + "\n\n\n\nFrom b\nFrom: x@y\n\nno final line end",
      "From only\n",
      "From a\nFrom: a@b\n\nbody\n\r\nFrom b\nFrom: c@d\n\nmixed line ends\n",
  };
  for (const std::string& mbox : archives) {
    SCOPED_TRACE(mbox);
    testing::TempDir dir;
    expect_chunks_give_the_stream(dir.write("a.mbox", mbox), {});
  }
}

// Many messages of many sizes, some far larger than a chunk, CRLF and LF, quoted body lines.
std::string random_archive(unsigned seed, MboxFormat format) {
  std::mt19937 random(seed);
  std::vector<std::string> messages;
  for (int i = 0; i < 60; ++i) {
    std::string body;
    const bool large = random() % 2 == 0;  // many lines: larger than the smaller chunk sizes
    const int lines = large ? std::uniform_int_distribution<int>(100, 900)(random)
                            : std::uniform_int_distribution<int>(0, 12)(random);
    for (int line = 0; line < lines; ++line) {
      switch (random() % 6) {
        case 0: body += "From the body, quoted by the writer\n"; break;
        case 1: body += ">From an already quoted line\n"; break;
        case 2: body += "\n"; break;
        default: body += std::string(random() % 90, 'a' + static_cast<char>(random() % 26)) + "\n";
      }
    }
    std::string message = testing::make_message("m" + std::to_string(i), body);
    if (random() % 3 == 0) {
      std::string crlf;
      for (char c : message) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
      message = crlf;
    }
    messages.push_back(message);
  }
  return testing::write_mbox(messages, format);
}

TEST(MboxChunks, RandomArchivesGiveWhatTheStreamGives) {
  for (MboxFormat format : {MboxFormat::mboxo, MboxFormat::mboxrd}) {
    for (unsigned seed : {1u, 2u, 3u}) {
      SCOPED_TRACE(::testing::Message() << mbox_format_name(format) << " seed " << seed);
      testing::TempDir dir;
      const std::string path = dir.write("r.mbox", random_archive(seed, format));
      IngestOptions options;
      options.mbox_format = format;
      const std::vector<InputMessage> streamed = read_as_stream(path, options);
      ASSERT_EQ(streamed.size(), 60u);
      for (std::size_t chunk : {97u, 4096u, 65536u, 1u << 20}) {
        SCOPED_TRACE(chunk);
        options.stream_block_bytes = chunk;
        for (bool backwards : {false, true}) {
          ChunkCut cut;
          cut_in_chunks(path, options, cut, backwards);
          expect_same(cut.items, streamed);
        }
      }
    }
  }
}

// Each chunk's messages become one pipeline batch, with a result and a report line each: a 1 MiB
// chunk of tiny messages held 87,000 and the batches in flight took 658 MB at -j2. Such a file
// is cut in smaller chunks, of about a thousand messages (at least 16 KiB), with the same items.
TEST(MboxChunks, ChunksOfTinyMessagesAreSmaller) {
  testing::TempDir dir;
  std::string mbox;
  for (int i = 0; i < 50000; ++i) mbox += "From x\nA:" + std::to_string(i % 10) + "\n\n";  // 12 bytes each
  mbox += "From y\n" + kM1;  // and some larger ones at the end
  for (int i = 0; i < 100; ++i) mbox += "\nFrom y\n" + kM2 + std::string(20000, 'x') + "\n";
  const std::string path = dir.write("tiny.mbox", mbox);
  IngestOptions options;
  options.stream_block_bytes = 1u << 20;
  ChunkCut cut;
  cut_in_chunks(path, options, cut);
  expect_same(cut.items, read_as_stream(path, options));
  ASSERT_EQ(cut.items.size(), 50101u);
  EXPECT_GE(cut.chunks, 50000u * 12 / (16u << 10));  // chunks of at most 16 KiB
  EXPECT_LE(cut.chunks, mbox.size() / (16u << 10) + 1);
  // A file of ordinary messages keeps the chunk size asked for.
  const std::string plain = dir.write("plain.mbox", random_archive(1, MboxFormat::mboxrd));
  ChunkCut one;
  cut_in_chunks(plain, options, one);
  EXPECT_EQ(one.chunks, (std::filesystem::file_size(plain) + (1u << 20) - 1) / (1u << 20));
}

// The messages lie in the arena of the worker that cut them: views, no copy each, no storage.
TEST(MboxChunks, MessagesAreViewsIntoTheArena) {
  testing::TempDir dir;
  const std::string mbox = "From a\n" + kM1 + "\nFrom b\n" + kM2 + "\n";
  const std::string path = dir.write("a.mbox", mbox);
  ChunkCut cut;
  cut_in_chunks(path, {}, cut);
  ASSERT_EQ(cut.chunks, 1u);
  ASSERT_EQ(cut.items.size(), 2u);
  EXPECT_EQ(cut.items[0].storage, nullptr);
  EXPECT_EQ(static_cast<std::uint64_t>(cut.items[1].bytes.data() - cut.items[0].bytes.data()),
            cut.items[1].offset - cut.items[0].offset);
  EXPECT_EQ(cut.items[0].source, path + "#1");
  EXPECT_GE(cut.arenas.front().capacity(), mbox.size());
}

// A chunk that lies inside a message which an earlier chunk's worker has cut already is not read
// again: that worker said where the next message starts. Cut back to front, every chunk is read.
TEST(MboxChunks, ChunksInsideALargeMessageAreNotReadAgain) {
  testing::TempDir dir;
  const std::string large = testing::make_message("large", std::string(10000, 'x') + "\n");
  const std::string path = dir.write("a.mbox", testing::write_mbox({kM1, large, kM2}, MboxFormat::mboxo));
  IngestOptions options;
  options.stream_block_bytes = 1000;
  for (bool backwards : {false, true}) {
    SCOPED_TRACE(backwards);
    ChunkCut cut;
    cut_in_chunks(path, options, cut, backwards);
    ASSERT_EQ(cut.items.size(), 3u);
    EXPECT_EQ(cut.items[1].bytes, large);
    EXPECT_EQ(cut.items[2].bytes, kM2);
    std::size_t unread = 0;
    for (const ByteArena& arena : cut.arenas) unread += arena.capacity() == 0;
    EXPECT_EQ(unread, backwards ? 0u : 9u);  // 9 of the 11 chunks lie inside the large message
  }
}

// Too large by its text, and by a From_ line without an end: as the stream reader says, at
// every chunk size, and the messages after it follow.
TEST(MboxChunks, MessagesBeyondTheLimitAreTooLargeAsInTheStream) {
  const std::string big = "From: a@b\n\n" + std::string(5000, 'x') + "\n";
  const std::string border = "From: a@b\n\n" + std::string(1000 - 12, 'y') + "\n";  // exactly 1000 bytes
  const std::string long_from_line = "From " + std::string(3000, 'z') + "\nFrom: a@b\n\nshort\n";
  testing::TempDir dir;
  const std::string path = dir.write("big.mbox", "From a\n" + kM1 + "\nFrom b\n" + big + "\nFrom c\n" + border +
                                                     "\n" + long_from_line + "\nFrom d\n" + kM2 + "\n");
  IngestOptions options;
  options.max_message_bytes = 1000;
  expect_chunks_give_the_stream(path, options);
  ChunkCut cut;
  cut_in_chunks(path, options, cut);
  ASSERT_EQ(cut.items.size(), 5u);
  EXPECT_EQ(cut.items[1].error, IngestError::too_large);
  EXPECT_EQ(cut.items[2].error, IngestError::none);
  EXPECT_EQ(cut.items[2].bytes.size(), 1000u);
  EXPECT_EQ(cut.items[3].error, IngestError::too_large);
  EXPECT_EQ(cut.items[4].bytes, kM2);
  EXPECT_EQ(cut.items[4].source, path + "#5");
}

// Whether a message is too large, and where that is reported, must not depend on how much of the
// archive a reader had in view when it decided: From_ lines at the limit, with and without a
// line end, read one byte at a time or whole, in chunks (found by fuzzing).
TEST(MboxChunks, TooLargeAtTheBorderIsTheSameForEveryReader) {
  IngestOptions options;
  options.max_message_bytes = 20;
  options.mbox_format = MboxFormat::mboxo;  // detection would read the whole archive first
  const std::string at_limit = "From " + std::string(15, 'f');  // 20 bytes: not too large
  const std::vector<std::string> archives = {
      "From x\n\x01\n\nFrom From \xe1#From \xe1#\x04%",      // 21 bytes, no line end, at the end
      "From x\n\x01\n\n" + at_limit + "\n\nFrom y\nFrom: a@b\n\nz\n",
      "From x\n\x01\n\n" + at_limit + "g\n\nFrom y\nFrom: a@b\n\nz\n",  // 21 bytes and its line end
      "From x\n\x01\n\nFrom \xff\xff\xff#\0_\0\0\0\0\0\0\xdf\x14(\t\n",
      "From x\nFrom: a@b\n\n" + std::string(9, 'q') + "\n\nFrom y\nFrom: a@b\n\n" + std::string(10, 'q') + "\n",
  };
  for (const std::string& mbox : archives) {
    SCOPED_TRACE(mbox);
    testing::TempDir dir;
    const std::string path = dir.write("a.mbox", mbox);
    const std::vector<InputMessage> whole = read_as_stream(path, options);
    for (std::size_t piece : {1u, 3u, 100000u}) {
      IngestOptions stream_options = options;
      stream_options.stream_block_bytes = 3 * piece;
      auto source = open_mbox_stream(path, "", std::make_unique<testing::StringReader>(mbox, piece), stream_options);
      expect_same(drain(*source), whole);
    }
    expect_chunks_give_the_stream(path, options);
  }
}

// mboxcl/mboxcl2 find the next message through the one before: left to the stream reader.
TEST(MboxChunks, ContentLengthVariantsStayWithTheStreamReader) {
  testing::TempDir dir;
  const std::string path = dir.write("cl.mbox", testing::write_mbox({kM1, kM2}, MboxFormat::mboxcl2));
  EXPECT_EQ(open_mbox_chunks(path, {}), nullptr);
  IngestOptions options;
  options.cut_mbox_chunks = true;
  options.large_file_bytes = 1;  // "large": the kind of file that is cut in chunks
  auto items = testing::read_all({path}, options);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_FALSE(items[0].mbox_chunk);
  EXPECT_EQ(items[1].error, IngestError::none);
  EXPECT_TRUE(items[1].bytes.ends_with("\n\nWorld\n\nbye\n")) << items[1].bytes;  // after its Content-Length
  EXPECT_EQ(open_mbox_chunks(dir.path() + "/missing.mbox", {}), nullptr);  // the stream reader reports it
}

TEST(MboxChunks, OpenInputsHandsOutChunksOfALargeMbox) {
  testing::TempDir dir;
  const std::string path = dir.write("a.mbox", "From a\n" + kM1 + "\nFrom b\n" + kM2 + "\n");
  IngestOptions options;
  options.cut_mbox_chunks = true;
  options.large_file_bytes = 1;
  options.stream_block_bytes = 32;
  auto items = testing::read_all({path}, options);
  ASSERT_EQ(items.size(), (std::filesystem::file_size(path) + 31) / 32);
  for (const InputMessage& item : items) EXPECT_TRUE(item.mbox_chunk && item.deferred);
  // A consumer that loads it without cutting it gets an error, not an empty message.
  ByteArena arena;
  load_deferred(items[0], options, arena);
  EXPECT_EQ(items[0].error, IngestError::unreadable);
}

// The count restarts with each archive, also when the same file comes twice.
TEST(MboxChunks, NamesCountFromEachArchivesStart) {
  testing::TempDir dir;
  const std::string path = dir.write("a.mbox", "From a\n" + kM1 + "\nFrom b\n" + kM2 + "\n");
  for (unsigned base : {0u, 1u}) {
    IngestOptions options;
    options.mbox_index_base = base;
    options.stream_block_bytes = 16;
    ChunkCut cut;
    MboxNamer namer(base);
    cut_in_chunks(path, options, cut, false, &namer);
    cut_in_chunks(path, options, cut, false, &namer);
    ASSERT_EQ(cut.items.size(), 4u);
    for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(cut.items[i].source, path + "#" + std::to_string(base + i % 2));
  }
}

// A read error loses the messages around it and nothing else: the messages before it keep their
// numbers, those after it (from the next chunk on) are read and named by offset, since how many
// messages the lost bytes held is unknown, and the loss is reported as unreadable items.
TEST(MboxChunks, ReadErrorLosesOnlyTheMessagesAroundIt) {
  testing::TempDir dir;
  const std::string mbox = random_archive(4, MboxFormat::mboxrd);
  const std::string path = dir.write("r.mbox", mbox);
  IngestOptions options;
  options.mbox_format = MboxFormat::mboxrd;
  const std::vector<InputMessage> streamed = read_as_stream(path, options);
  ASSERT_EQ(streamed.size(), 60u);
  const auto message_end = [&](std::size_t i) { return i + 1 < streamed.size() ? streamed[i + 1].offset : mbox.size(); };
  const auto from_line_of = [&](std::size_t i) { return mbox.rfind('\n', streamed[i].offset - 2) + 1; };
  for (double where : {0.1, 0.5, 0.9}) {
    for (std::uint64_t length : {1u, 3000u}) {
      const auto bad_begin = static_cast<std::uint64_t>(where * static_cast<double>(mbox.size()));
      const std::uint64_t bad_end = bad_begin + length;
      for (std::size_t chunk : {97u, 4096u, 65536u}) {
        for (bool backwards : {false, true}) {
          SCOPED_TRACE(::testing::Message() << "bad [" << bad_begin << ", " << bad_end << ") chunk " << chunk
                                            << (backwards ? " backwards" : ""));
          options.stream_block_bytes = chunk;
          ChunkCut cut;
          cut_in_chunks(path, options, cut, backwards, nullptr, failing_between(bad_begin, bad_end));
          // Chunks that start this far on read nothing of the bad bytes (3: the look-behind).
          const std::uint64_t clean_from = (bad_end + 3 + chunk - 1) / chunk * chunk;
          std::size_t errors = 0, next = 0;
          std::uint64_t last_offset = 0;
          for (const InputMessage& item : cut.items) {
            if (item.error == IngestError::unreadable) {
              ++errors;
              EXPECT_TRUE(item.count_lost);
              EXPECT_EQ(item.source, path);
              EXPECT_NE(item.error_detail.find(std::strerror(EIO)), std::string::npos) << item.error_detail;
              EXPECT_LT(item.offset, bad_end);
              continue;
            }
            while (next < streamed.size() && streamed[next].offset < item.offset) {
              // Skipped: only a message that the bad bytes, or its chunk's, kept from being read.
              EXPECT_FALSE(message_end(next) + 8 <= bad_begin || from_line_of(next) >= clean_from) << next;
              ++next;
            }
            ASSERT_LT(next, streamed.size());
            ASSERT_EQ(item.offset, streamed[next].offset);
            EXPECT_EQ(item.bytes, streamed[next].bytes);
            EXPECT_EQ(item.error, streamed[next].error);
            EXPECT_EQ(item.source, errors == 0 ? streamed[next].source : path + "@" + std::to_string(item.offset));
            EXPECT_TRUE(item.offset >= last_offset);
            last_offset = item.offset;
            ++next;
          }
          for (; next < streamed.size(); ++next) EXPECT_LT(from_line_of(next), clean_from) << next;
          // One for the message that runs into the bad bytes, one for each chunk that reads them.
          const std::uint64_t chunks_on_them = (bad_end - 1 + 3) / chunk - bad_begin / chunk + 1;
          EXPECT_GE(errors, 1u);
          EXPECT_LE(errors, 1 + chunks_on_them);
        }
      }
    }
  }
}

// The namer counts again from each archive's start, also after a read error in an earlier one.
TEST(MboxChunks, NumberingRestartsAfterAnArchiveWithAReadError) {
  testing::TempDir dir;
  const std::string mbox = "From a\n" + kM1 + "\nFrom b\n" + kM2 + "\nFrom c\n" + kM1 + "\n";
  const std::string path = dir.write("a.mbox", mbox);
  IngestOptions options;
  options.stream_block_bytes = 16;
  const std::uint64_t bad = mbox.find("Hello");
  ChunkCut cut;
  MboxNamer namer(1);
  cut_in_chunks(path, options, cut, false, &namer, failing_between(bad, bad + 1));
  cut_in_chunks(path, options, cut, false, &namer);
  std::vector<std::string> names;
  for (const InputMessage& item : cut.items) names.push_back(item.source);
  // The first message runs into the bad byte, and the chunk the byte lies in is read from it.
  const std::uint64_t b = mbox.find(kM2), c = mbox.find("From c\n") + 7;
  EXPECT_EQ(names, (std::vector<std::string>{path, path, path + "@" + std::to_string(b), path + "@" + std::to_string(c),
                                             path + "#1", path + "#2", path + "#3"}));
}

// A message the chunk reads run on into is read in steps that double it, so the searches from its
// From_ line, repeated after each step, stay linear in its length: a From_ line of 8 MiB without
// an end takes a handful of reads, not one per 64 KiB (then 78 s for 270 MB).
TEST(MboxChunks, ALongMessageIsReadInStepsThatDoubleIt) {
  testing::TempDir dir;
  const std::string mbox = "From a\n" + kM1 + "\nFrom x " + std::string(8u << 20, 'z') + "\n\nFrom c\n" + kM2 + "\n";
  const std::string path = dir.write("long.mbox", mbox);
  IngestOptions options;
  options.max_message_bytes = 6u << 20;  // the From_ line alone is too large
  int reads = 0;
  ReadAtFn counting = [&reads](int fd, char* out, std::size_t n, std::uint64_t offset) -> long {
    ++reads;
    return static_cast<long>(::pread(fd, out, n, static_cast<off_t>(offset)));
  };
  ChunkCut cut;
  cut_in_chunks(path, options, cut, false, nullptr, counting);
  ASSERT_EQ(cut.items.size(), 3u);
  EXPECT_EQ(cut.items[0].bytes, kM1);
  EXPECT_EQ(cut.items[1].error, IngestError::too_large);
  EXPECT_EQ(cut.items[2].bytes, kM2);
  EXPECT_LE(reads, 40);  // 96 for the too-large line alone in fixed 64 KiB steps
}

// A file that shrinks after it was opened: what is left is cut, and the message the file now
// ends in says so; nothing is invented for the bytes that are gone.
TEST(MboxChunks, FileThatShrinksMarksTheMessageItEndsIn) {
  testing::TempDir dir;
  const std::string mbox = "From a\n" + kM1 + "\nFrom b\n" + kM2 + "\nFrom c\n" + kM1 + "\n";
  const std::string path = dir.write("a.mbox", mbox);
  for (std::size_t chunk : {8u, 1u << 20}) {
    SCOPED_TRACE(chunk);
    dir.write("a.mbox", mbox);
    IngestOptions options;
    options.stream_block_bytes = chunk;
    auto source = open_mbox_chunks(path, options);
    ASSERT_NE(source, nullptr);
    const std::size_t cut_at = mbox.find("World") + 2;
    std::filesystem::resize_file(path, cut_at);
    std::vector<InputMessage> items;
    std::deque<ByteArena> arenas;
    InputMessage chunk_item;
    while (source->next(chunk_item)) cut_mbox_chunk(chunk_item, items, arenas.emplace_back());
    ASSERT_EQ(items.size(), 2u);
    EXPECT_EQ(items[0].error, IngestError::none);
    EXPECT_EQ(items[0].bytes, kM1);
    EXPECT_EQ(items[1].error, IngestError::truncated);
    EXPECT_EQ(items[1].error_detail, "the file ended at byte " + std::to_string(cut_at) + "; it had " +
                                         std::to_string(mbox.size()) + " bytes when it was opened");
  }
}

}  // namespace
}  // namespace dkimscan::ingest
