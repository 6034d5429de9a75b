// File: tests/ingest/archive_source_test.cpp
// Compressed and packed inputs, made in the test with the real tools (gzip, bzip2, xz, zstd,
// tar, zip): the same messages must come out byte for byte whatever the container, and damaged
// containers give error items without losing what came before the damage.
#include "ingest/archive_source.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "ingest_test_util.h"

namespace dkimscan::ingest {
namespace {

using testing::make_message;
using testing::read_all;
using testing::shell;
using testing::TempDir;

const std::string kA = make_message("alpha", "first\n");
const std::string kB = make_message("beta", "second\n\n>From quoted\n");
const std::string kC = make_message("gamma", std::string(70000, 'c') + "\n");

std::string mbox_of(const std::vector<std::string>& messages) {
  std::string out;
  for (const auto& m : messages) out += "From sender@example.com Thu Jan  1 00:00:00 2024\n" + m + "\n";
  return out;
}

std::vector<std::string> bytes_of(const std::vector<InputMessage>& items) {
  std::vector<std::string> out;
  for (const auto& m : items) {
    EXPECT_EQ(m.error, IngestError::none) << m.source << ": " << m.error_detail;
    out.emplace_back(m.bytes);
  }
  return out;
}

// A Maildir with the three messages plus the things a packed Maildir must not yield.
void write_maildir(const TempDir& dir) {
  dir.write("Maildir/cur/1.host:2,S", kA);
  dir.write("Maildir/cur/2.host:2,", kB);
  dir.write("Maildir/new/3.host", kC);
  dir.write("Maildir/tmp/4.host", make_message("in progress", "x\n"));
  dir.write("Maildir/dovecot-uidlist", "3 V1\n");
  dir.write("Maildir/maildirsize", "10000S\n1234 3\n");  // the Maildir++ quota file
}

TEST(ArchiveSource, EachCompressorGivesTheMessageByteForByte) {
  TempDir dir;
  for (const std::string tool : {"gzip", "bzip2", "xz", "zstd -q --rm"}) {
    SCOPED_TRACE(tool);
    const std::string path = dir.write("m.eml", kC);
    ASSERT_TRUE(shell(tool + " -f " + path));
    const std::string packed = path + (tool == "gzip" ? ".gz" : tool == "bzip2" ? ".bz2" : tool == "xz" ? ".xz" : ".zst");
    auto items = read_all({packed});
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0].source, packed);
    EXPECT_EQ(items[0].bytes, kC);
    EXPECT_EQ(items[0].error, IngestError::none);
  }
}

TEST(ArchiveSource, GzippedMboxIsSplitLikeThePlainOne) {
  TempDir dir;
  const std::string plain = dir.write("list.mbox", mbox_of({kA, kB, kC}));
  const std::string copy = dir.write("copy.mbox", mbox_of({kA, kB, kC}));
  ASSERT_TRUE(shell("gzip " + copy));
  auto want = read_all({plain});
  auto got = read_all({copy + ".gz"});
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(bytes_of(got), bytes_of(want));
  EXPECT_EQ(got[2].source, copy + ".gz#3");
  EXPECT_EQ(got[2].offset, want[2].offset);  // offsets count decompressed bytes
}

TEST(ArchiveSource, PackedMaildirsGiveTheMaildirMessages) {
  TempDir dir;
  write_maildir(dir);
  const std::vector<std::string> want = {kA, kB, kC};
  EXPECT_EQ(bytes_of(read_all({dir / "Maildir"})), want);
  const std::string cd = "cd " + dir.path() + " && ";
  ASSERT_TRUE(shell(cd + "tar --sort=name -cf m.tar Maildir && tar --sort=name -czf m.tar.gz Maildir"));
  ASSERT_TRUE(shell(cd + "tar --sort=name -cJf m.tar.xz Maildir && zip -q m.zip Maildir/cur/1.host:2,S Maildir/cur/2.host:2, Maildir/new/3.host"));
  for (const std::string name : {"m.tar", "m.tar.gz", "m.tar.xz", "m.zip"}) {
    SCOPED_TRACE(name);
    auto items = read_all({dir / name});
    ASSERT_EQ(items.size(), 3u);
    EXPECT_EQ(bytes_of(items), want);
    EXPECT_EQ(items[0].source, dir / name + "!Maildir/cur/1.host:2,S");
  }
}

TEST(ArchiveSource, MboxAndCompressedMboxInsideATar) {
  TempDir dir;
  dir.write("a/list.mbox", mbox_of({kA, kB}));
  dir.write("a/old.mbox", mbox_of({kC}));
  ASSERT_TRUE(shell("gzip " + (dir / "a/old.mbox")));
  ASSERT_TRUE(shell("cd " + dir.path() + " && tar --sort=name -cf t.tar a"));
  auto items = read_all({dir / "t.tar"});
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(bytes_of(items), (std::vector<std::string>{kA, kB, kC}));
  EXPECT_EQ(items[0].source, dir / "t.tar!a/list.mbox#1");
  EXPECT_EQ(items[2].source, dir / "t.tar!a/old.mbox.gz#1");
}

// Every message that ends before the last 64 KiB (libarchive's gzip output block) of what the cut
// stream still decompresses to is read; the one the stream broke in is marked truncated.
TEST(ArchiveSource, TruncatedGzipMboxKeepsTheMessagesBeforeTheDamage) {
  TempDir dir;
  std::vector<std::string> messages = {kA, kB};
  std::uint32_t seed = 1;
  for (int i = 0; i < 60; ++i) {  // about 10 KB each of text gzip cannot shrink much
    std::string body;
    for (int line = 0; line < 130; ++line) {
      for (int c = 0; c < 76; ++c) {
        seed = seed * 1103515245u + 12345u;
        body += static_cast<char>('!' + (seed >> 16) % 90);
      }
      body += "\n";
    }
    messages.push_back(make_message("filler " + std::to_string(i), body));
  }
  const std::string mbox = mbox_of(messages);
  const std::string path = dir.write("l.mbox", mbox);
  ASSERT_TRUE(shell("gzip " + path));
  std::filesystem::resize_file(path + ".gz", std::filesystem::file_size(path + ".gz") * 3 / 4);
  // What the cut stream still decompresses to: gzip writes it before it complains.
  shell("gzip -dc " + path + ".gz > " + (dir / "recoverable") + " 2>/dev/null");
  const auto recoverable = std::filesystem::file_size(dir / "recoverable");
  ASSERT_GT(recoverable, 128u << 10);
  std::size_t whole = 0;  // messages that end before the last 64 KiB of it
  for (std::size_t end = 0; whole < messages.size(); ++whole) {
    end += mbox_of({messages[whole]}).size();
    if (end + (64u << 10) > recoverable) break;
  }

  auto items = read_all({path + ".gz"});
  ASSERT_GT(items.size(), whole);
  for (std::size_t i = 0; i < whole; ++i) {
    EXPECT_EQ(items[i].error, IngestError::none) << i;
    EXPECT_EQ(items[i].bytes, messages[i]) << i;
  }
  for (std::size_t i = 0; i + 1 < items.size(); ++i) EXPECT_EQ(items[i].error, IngestError::none) << i;
  EXPECT_EQ(items.back().error, IngestError::truncated);
  EXPECT_EQ(items.back().error_detail, "truncated gzip input");
}

TEST(ArchiveSource, TruncatedTarIsReportedAfterTheEntriesBeforeIt) {
  TempDir dir;
  write_maildir(dir);
  ASSERT_TRUE(shell("cd " + dir.path() + " && tar --sort=name -cf m.tar Maildir"));
  // Cut inside the data of the last entry (new/3.host, 70 kB).
  std::filesystem::resize_file(dir / "m.tar", std::filesystem::file_size(dir / "m.tar") - 40000);
  auto items = read_all({dir / "m.tar"});
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].bytes, kA);
  EXPECT_EQ(items[1].bytes, kB);
  EXPECT_EQ(items[2].error, IngestError::truncated);
  EXPECT_EQ(items[2].source, dir / "m.tar!Maildir/new/3.host");
}

// An encrypted zip entry cannot be read, but the archive is intact: the entry is an unreadable
// item and the entries after it follow, in the zip alone and in a zip inside a tar. (It was
// "truncated", and the rest of the zip was lost.)
TEST(ArchiveSource, EncryptedZipEntryIsUnreadableAndTheNextEntriesFollow) {
  TempDir dir;
  dir.write("z/1.eml", kA);
  dir.write("z/2.eml", kB);
  dir.write("z/3.eml", kC);
  ASSERT_TRUE(shell("cd " + (dir / "z") + " && zip -q ../m.zip 1.eml && zip -q -P secret ../m.zip 2.eml && zip -q ../m.zip 3.eml"));
  ASSERT_TRUE(shell("cd " + dir.path() + " && tar -cf t.tar m.zip z/1.eml"));
  auto zipped = read_all({dir / "m.zip"});
  ASSERT_EQ(zipped.size(), 3u);
  EXPECT_EQ(zipped[0].bytes, kA);
  EXPECT_EQ(zipped[1].source, dir / "m.zip!2.eml");
  EXPECT_EQ(zipped[1].error, IngestError::unreadable);
  EXPECT_NE(zipped[1].error_detail.find("assphrase"), std::string::npos) << zipped[1].error_detail;
  EXPECT_EQ(zipped[2].bytes, kC);
  auto tarred = read_all({dir / "t.tar"});
  ASSERT_EQ(tarred.size(), 4u);
  EXPECT_EQ(tarred[1].error, IngestError::unreadable);
  EXPECT_EQ(tarred[2].bytes, kC);
  EXPECT_EQ(tarred[3].source, dir / "t.tar!z/1.eml");
  EXPECT_EQ(tarred[3].bytes, kA);
}

TEST(ArchiveSource, EntryLargerThanTheLimitIsAnItemAndTheNextEntryFollows) {
  TempDir dir;
  write_maildir(dir);
  ASSERT_TRUE(shell("cd " + dir.path() + " && tar --sort=name -czf m.tgz Maildir"));
  IngestOptions options;
  options.max_message_bytes = 1000;
  auto items = read_all({dir / "m.tgz"}, options);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].bytes, kA);
  EXPECT_EQ(items[2].error, IngestError::too_large);
  EXPECT_EQ(items[2].error_detail, "entry larger than 1000 bytes");
}

// A compressed file that unpacks to nothing says so, whether it stands alone or is a Maildir
// message dovecot stored compressed (read both ways the pipeline reads it); a tar with no
// messages in it is a different case with a different detail.
TEST(ArchiveSource, EmptyCompressedFileIsEmpty) {
  TempDir dir;
  const std::string path = dir.write("e.eml", "");
  dir.write("Maildir/cur/1.host:2,S", "");
  dir.write("Maildir/new/.keep", "");
  const std::string message = dir / "Maildir/cur/1.host:2,S";
  ASSERT_TRUE(shell("gzip " + path + " && gzip -c " + message + " > " + (dir / "z") + " && mv " + (dir / "z") + " " +
                    message + " && tar -czf " + (dir / "none.tgz") + " -C " + dir.path() + " Maildir/new"));
  auto items = read_all({path + ".gz"});
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].error, IngestError::empty);
  EXPECT_EQ(items[0].error_detail, "zero bytes once unpacked");
  const testing::ReadBothWays maildir = testing::read_both_ways({dir / "Maildir/cur/1.host:2,S"});
  for (const auto* read : {&maildir.immediate, &maildir.deferred}) {
    ASSERT_EQ(read->size(), 1u);
    EXPECT_EQ(read->at(0).error, IngestError::empty);
    EXPECT_EQ(read->at(0).error_detail, "zero bytes once unpacked");
  }
  items = read_all({dir / "none.tgz"});
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].error, IngestError::empty);
  EXPECT_EQ(items[0].error_detail, "no messages in the archive");
}

TEST(ArchiveSource, GarbageWithGzipMagicIsAnErrorItem) {
  TempDir dir;
  auto items = read_all({dir.write("bad.gz", std::string("\x1f\x8b\x08\x00garbage garbage garbage", 27))});
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].error, IngestError::unreadable);
  EXPECT_EQ(items[0].error_detail, "gzip decompression failed");
}

// A gzip stream cut within its first bytes is handed over by libarchive as raw data, and so is an
// archive inside two others (one nesting more than is read): both are compressed data that cannot
// be unpacked, not "not_a_message". (Compression on compression is no nesting: libarchive stacks
// the filters, so m.eml.gz.gz.gz reads as m.eml.)
TEST(ArchiveSource, CompressedDataThatCannotBeUnpackedIsUnreadable) {
  TempDir dir;
  dir.write("m.eml", kA);
  ASSERT_TRUE(shell("cd " + dir.path() + " && gzip -c m.eml | head -c 10 > cut.gz && tar -czf inner.tgz m.eml &&" +
                    " zip -q mid.zip inner.tgz && tar -cf outer.tar mid.zip && gzip -c m.eml | gzip | gzip > three.gz"));
  for (const char* name : {"cut.gz", "outer.tar"}) {
    auto items = read_all({dir / name});
    ASSERT_EQ(items.size(), 1u) << name;
    EXPECT_EQ(items[0].error, IngestError::unreadable) << name;
    EXPECT_NE(items[0].error_detail.find("cannot be unpacked"), std::string::npos) << items[0].error_detail;
  }
  EXPECT_EQ(read_all({dir / "outer.tar"})[0].source, dir / "outer.tar!mid.zip!inner.tgz");
  auto stacked = read_all({dir / "three.gz"});
  ASSERT_EQ(stacked.size(), 1u);
  EXPECT_EQ(stacked[0].bytes, kA);
}

TEST(ArchiveSource, LargeFileThatCannotBeBufferedIsStreamed) {
  TempDir dir;
  const std::string path = dir.write("big.mbox", mbox_of({kA, kB, kC}));
  auto want = read_all({path});
  IngestOptions options;
  options.read_mode = ReadMode::read;
  options.max_message_bytes = 70200;  // each message fits, the whole file does not
  ASSERT_GT(std::filesystem::file_size(path), options.max_message_bytes);
  auto got = read_all({path}, options);
  ASSERT_EQ(got.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(got[i].bytes, want[i].bytes);
    EXPECT_EQ(got[i].source, want[i].source);
    EXPECT_EQ(got[i].offset, want[i].offset);
  }
}

// Runs open_inputs({"-"}) with the file at path as standard input.
std::vector<InputMessage> read_stdin(const std::string& path, IngestOptions options) {
  const int saved = ::dup(STDIN_FILENO);
  const int fd = ::open(path.c_str(), O_RDONLY);
  ::dup2(fd, STDIN_FILENO);
  ::close(fd);
  auto items = read_all({"-"}, options);
  ::dup2(saved, STDIN_FILENO);
  ::close(saved);
  return items;
}

TEST(ArchiveSource, StandardInputAsMessageOrMbox) {
  TempDir dir;
  const std::string mbox = dir.write("in.mbox", mbox_of({kA, kB}));
  IngestOptions options;
  auto items = read_stdin(mbox, options);  // auto: an mbox
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[1].bytes, kB);
  EXPECT_EQ(items[1].source, "-#2");

  options.stdin_format = StdinFormat::message;
  items = read_stdin(dir.write("in.eml", kA), options);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].bytes, kA);
  EXPECT_EQ(items[0].source, "-");

  options.stdin_format = StdinFormat::mbox;
  items = read_stdin(dir / "in.eml", options);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].error, IngestError::not_a_message);

  items = read_stdin(dir.write("empty", ""), IngestOptions{});
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].error, IngestError::empty);
}

}  // namespace
}  // namespace dkimscan::ingest
