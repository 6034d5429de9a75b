// Deferred reads: the serial reader hands out single-message files unread and a worker loads
// them (small files outside a Maildir are read whole by the sniff instead); the items must then be
// exactly what an immediate read gives, errors included. Files that hold many messages (mbox,
// archives) are still expanded by the serial reader.
#include <gtest/gtest.h>

#include "ingest/open_inputs.h"
#include "ingest/sniff_ahead.h"
#include "ingest_test_util.h"

namespace dkimscan::ingest {
namespace {

using testing::make_message;
using testing::read_all;
using testing::read_both_ways;
using testing::ReadBothWays;
using testing::shell;
using testing::TempDir;
using testing::write_mbox;

TEST(DeferredRead, MaildirItemsLoadToTheSameItemsAsAnImmediateRead) {
  TempDir dir;
  dir.write("Maildir/cur/1.host:2,S", make_message("one", "1\n"));
  dir.write("Maildir/cur/2.host:2,S", "");  // empty: an error item either way
  dir.write("Maildir/new/3.host", "\x01\x02 binary junk\n");
  dir.write("Maildir/.Sent/cur/4.host:2,RS", make_message("sent", "4\n"));
  dir.mkdir("Maildir/.Sent/new");
  // Outside a Maildir: sniffed, and too large to be read whole by the sniff (sniff_ahead.h), so
  // left for a worker as one message.
  dir.write("loose.eml", make_message("loose", std::string(SniffAhead::kReadWholeBytes, 'x') + "\n"));

  auto immediate = read_all({dir / "Maildir", dir / "loose.eml"});
  IngestOptions options;
  options.defer_reads = true;
  auto deferred = read_all({dir / "Maildir", dir / "loose.eml"}, options);
  ASSERT_EQ(deferred.size(), immediate.size());
  ASSERT_EQ(deferred.size(), 5u);
  ByteArena arena;
  for (std::size_t i = 0; i < deferred.size(); ++i) {
    EXPECT_TRUE(deferred[i].deferred) << i;
    EXPECT_TRUE(deferred[i].bytes.empty()) << i;
    load_deferred(deferred[i], options, arena);
    EXPECT_FALSE(deferred[i].deferred);
    EXPECT_EQ(deferred[i].source, immediate[i].source);
    EXPECT_EQ(deferred[i].bytes, immediate[i].bytes);
    EXPECT_EQ(deferred[i].error, immediate[i].error) << deferred[i].source;
  }
  EXPECT_EQ(deferred[2].error, IngestError::empty);  // order: .Sent/cur, cur, new, loose
  EXPECT_EQ(deferred[3].error, IngestError::not_a_message);
}

// A Maildir file is one message whatever its first bytes say, read at once (-j1) or by a worker
// (-jN): a "From " line on top or gzip's magic made it an mbox or an archive at -j1 only, and the
// report differed with -j.
TEST(DeferredRead, MaildirFilesAreOneMessageHoweverTheyAreRead) {
  TempDir dir;
  dir.write("Maildir/cur/1.host:2,S", "From a@example.org Mon Jan  1 00:00:00 2024\n" + make_message("one", "1\n"));
  dir.write("Maildir/cur/2.host:2,S", "\x1f\x8b\x08 gzip magic");
  dir.write("Maildir/cur/3.host:2,S", write_mbox({make_message("a", "1\n"), make_message("b", "2\n")}, MboxFormat::mboxo));
  dir.mkdir("Maildir/new");
  const ReadBothWays read = read_both_ways({dir / "Maildir"});
  const auto& [immediate, deferred, arena] = read;
  ASSERT_EQ(immediate.size(), 3u);
  ASSERT_EQ(deferred.size(), 3u);
  for (std::size_t i = 0; i < deferred.size(); ++i) {
    EXPECT_EQ(immediate[i].source, dir / ("Maildir/cur/" + std::to_string(i + 1) + ".host:2,S"));
    EXPECT_EQ(deferred[i].source, immediate[i].source);
    EXPECT_EQ(deferred[i].bytes, immediate[i].bytes) << immediate[i].source;
    EXPECT_EQ(deferred[i].error, immediate[i].error) << immediate[i].source;
  }
}

// dovecot's zlib plugin stores Maildir files compressed. Each is unpacked as one message, at -j1
// and by a worker alike, whatever the unpacked bytes look like: a tar.gz is not opened as a tar,
// and damaged or cut data is an error item that says so.
TEST(DeferredRead, CompressedMaildirFilesAreUnpackedHoweverTheyAreRead) {
  TempDir dir;
  const std::string message = make_message("one", "the body\n");
  const std::string cur = dir / "Maildir/cur";
  dir.write("Maildir/cur/1.host:2,S,Z=gz", message);
  dir.write("Maildir/cur/2.host:2,S,Z=bz2", message);
  dir.write("Maildir/cur/3.host:2,S,Z=xz", message);
  dir.write("Maildir/cur/4.host:2,S,Z=zst", message);
  dir.write("Maildir/cur/5.host:2,S,Z=tgz", message);
  dir.write("Maildir/cur/6.host:2,S,Z=cut", message);
  dir.write("Maildir/cur/7.host:2,S,Z=empty", "");
  // Each file replaced by its compressed form, under the same name (as dovecot does).
  const auto pack = [&cur](const std::string& name, const std::string& command) {
    return shell("cd '" + cur + "' && (" + command + ") < '" + name + "' > packed && mv packed '" + name + "'");
  };
  ASSERT_TRUE(pack("1.host:2,S,Z=gz", "gzip -c"));
  ASSERT_TRUE(pack("2.host:2,S,Z=bz2", "bzip2 -c"));
  ASSERT_TRUE(pack("3.host:2,S,Z=xz", "xz -c"));
  ASSERT_TRUE(pack("4.host:2,S,Z=zst", "zstd -q -c"));
  ASSERT_TRUE(shell("cd '" + cur + "' && tar cf - 5.host:2,S,Z=tgz | gzip -c > packed && mv packed 5.host:2,S,Z=tgz"));
  ASSERT_TRUE(shell("head -c 300 /dev/urandom >> '" + cur + "/6.host:2,S,Z=cut'"));
  ASSERT_TRUE(pack("6.host:2,S,Z=cut", "gzip -c | head -c 200"));
  ASSERT_TRUE(pack("7.host:2,S,Z=empty", "gzip -c"));
  dir.mkdir("Maildir/new");
  const ReadBothWays read = read_both_ways({dir / "Maildir"});
  const auto& [immediate, deferred, arena] = read;
  ASSERT_EQ(immediate.size(), 7u);
  ASSERT_EQ(deferred.size(), 7u);
  for (std::size_t i = 0; i < deferred.size(); ++i) {
    EXPECT_EQ(deferred[i].source, immediate[i].source);
    EXPECT_EQ(deferred[i].bytes, immediate[i].bytes) << immediate[i].source;
    EXPECT_EQ(deferred[i].error, immediate[i].error) << immediate[i].source;
    EXPECT_EQ(deferred[i].error_detail, immediate[i].error_detail) << immediate[i].source;
  }
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(immediate[i].error, IngestError::none) << immediate[i].source << ": " << immediate[i].error_detail;
    EXPECT_EQ(immediate[i].bytes, message) << immediate[i].source;
  }
  EXPECT_EQ(immediate[0].source, cur + "/1.host:2,S,Z=gz");  // the file, not an entry in it
  ASSERT_GT(immediate[4].bytes.size(), 262u);  // the tar itself, not its entry
  EXPECT_EQ(immediate[4].bytes.substr(257, 5), "ustar");
  // Cut within the first block libarchive unpacks, the stream fails before its one entry starts.
  EXPECT_EQ(immediate[5].error, IngestError::unreadable) << immediate[5].error_detail;
  EXPECT_EQ(immediate[5].error_detail, "truncated gzip input");
  EXPECT_EQ(immediate[6].error, IngestError::empty) << immediate[6].error_detail;
}

TEST(DeferredRead, AFileThatVanishedBeforeLoadingIsUnreadable) {
  TempDir dir;
  std::string path = dir.write("Maildir/cur/1.host:2,S", make_message("one", "1\n"));
  dir.mkdir("Maildir/new");
  IngestOptions options;
  options.defer_reads = true;
  auto items = read_all({dir / "Maildir"}, options);
  ASSERT_EQ(items.size(), 1u);
  std::filesystem::remove(path);
  ByteArena arena;
  load_deferred(items[0], options, arena);
  EXPECT_EQ(items[0].error, IngestError::unreadable);
  EXPECT_EQ(items[0].source, path);
}

// a.eml and f.eml are small enough for the sniff to read whole (sniff_ahead.h): they come read,
// and the serial reader checks them. c.eml is not: a worker reads it.
TEST(DeferredRead, AFolderDefersItsMessagesAndExpandsItsArchives) {
  TempDir dir;
  dir.write("in/a.eml", make_message("a", "1\n"));
  // b1's body has ">From " and "From " lines: stored as ">>From " and ">From ", so the archive is
  // read as mboxrd and b1 must be un-quoted, which a worker does when the reads are deferred.
  dir.write("in/b.mbox", write_mbox({make_message("b1", ">From quoted\nFrom plain\n"), make_message("b2", "3\n")},
                                    MboxFormat::mboxrd));
  dir.write("in/c.eml", make_message("c", std::string(SniffAhead::kReadWholeBytes, '4') + "\n"));
  dir.write("in/d", "");                              // empty: the serial reader's error item
  dir.write("in/e.gz.src", make_message("e", "5\n"));  // compressed below: an archive
  ASSERT_TRUE(shell("gzip -c " + (dir / "in/e.gz.src") + " > " + (dir / "in/e.gz") + " && rm " + (dir / "in/e.gz.src")));
  dir.write("in/f.eml", "\x01\x02 binary junk\n");  // not a message: reported after loading

  auto immediate = read_all({dir / "in"});
  IngestOptions options;
  options.defer_reads = true;
  auto deferred = read_all({dir / "in"}, options);
  ASSERT_EQ(immediate.size(), 7u);  // a, b#1, b#2, c, d, e.gz#1, f
  ASSERT_EQ(deferred.size(), immediate.size());
  // b#2 needs no un-quoting, but is an mboxrd message too: a worker looks for quoted lines.
  const std::vector<bool> expect_deferred{false, true, true, true, false, false, false};
  EXPECT_TRUE(deferred[1].unquote_pending);
  ByteArena arena;
  EXPECT_EQ(immediate[1].bytes.find(">>From"), std::string_view::npos);  // un-quoted once
  EXPECT_NE(immediate[1].bytes.find("\n>From quoted\nFrom plain\n"), std::string_view::npos);
  for (std::size_t i = 0; i < deferred.size(); ++i) {
    EXPECT_EQ(deferred[i].deferred, expect_deferred[i]) << immediate[i].source;
    if (deferred[i].deferred && !deferred[i].unquote_pending) {  // a file's size; an mbox message's is as stored
      EXPECT_EQ(deferred[i].deferred_size, immediate[i].bytes.size()) << immediate[i].source;
    }
    load_deferred(deferred[i], options, arena);
    EXPECT_EQ(deferred[i].source, immediate[i].source);
    EXPECT_EQ(deferred[i].bytes, immediate[i].bytes) << immediate[i].source;
    EXPECT_EQ(deferred[i].error, immediate[i].error) << immediate[i].source;
  }
  EXPECT_EQ(deferred[6].error, IngestError::not_a_message);
}


// The walk's size is only a hint: a file that grew or shrank before a worker read it is read as it
// is then, whole, and a file at the mapping threshold is mapped rather than put in the arena.
TEST(DeferredRead, TheBytesAreTheFileAsItIsWhenLoaded) {
  TempDir dir;
  const std::string grows = dir.write("Maildir/cur/1.host:2,S", make_message("grows", "1\n"));
  const std::string shrinks = dir.write("Maildir/cur/2.host:2,S", make_message("shrinks", "long body line\n"));
  const std::string large = dir.write("Maildir/cur/3.host:2,S", make_message("large", std::string(300, 'x') + "\n"));
  const std::string small = dir.write("Maildir/cur/4.host:2,S", make_message("small", "4\n"));
  dir.mkdir("Maildir/new");
  IngestOptions options;
  options.defer_reads = true;
  options.large_file_bytes = 300;  // only 3.host is this large
  auto items = read_all({dir / "Maildir"}, options);
  ASSERT_EQ(items.size(), 4u);
  const std::string grown = make_message("grows", "1\nand a second line\n");
  const std::string shrunk = make_message("shrinks", "b\n");
  dir.write("Maildir/cur/1.host:2,S", grown);
  dir.write("Maildir/cur/2.host:2,S", shrunk);
  ByteArena arena;
  for (InputMessage& item : items) load_deferred(item, options, arena);
  EXPECT_EQ(items[0].bytes, grown);
  EXPECT_EQ(items[1].bytes, shrunk);
  EXPECT_EQ(items[2].bytes, make_message("large", std::string(300, 'x') + "\n"));
  EXPECT_EQ(items[3].bytes, make_message("small", "4\n"));
  EXPECT_NE(items[2].storage, nullptr);  // mapped, owned by the item
  EXPECT_EQ(items[3].storage, nullptr);  // in the arena
  for (const InputMessage& item : items) EXPECT_EQ(item.error, IngestError::none) << item.source;
}

}  // namespace
}  // namespace dkimscan::ingest
