// File: tests/ingest/open_inputs_test.cpp
// Plain files, folders and Maildirs: order, byte exactness, and every damage case as an item.
#include "ingest/open_inputs.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "ingest/file_bytes.h"
#include "ingest/file_reader.h"
#include "ingest/mbox_source.h"
#include "ingest_test_util.h"

namespace dkimscan::ingest {
namespace {

using testing::make_message;
using testing::read_all;
using testing::TempDir;

TEST(OpenInputs, SingleFileIsHandedOnByteForByte) {
  TempDir dir;
  const std::string msg = "From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n";
  const std::string path = dir.write("one.eml", msg);
  auto items = read_all({path});
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].bytes, msg);
  EXPECT_EQ(items[0].source, path);
  EXPECT_EQ(items[0].offset, 0u);
  EXPECT_EQ(items[0].error, IngestError::none);
}

TEST(OpenInputs, MmapAndReadPathsGiveIdenticalBytes) {
  TempDir dir;
  const std::string msg = make_message("big", std::string(200000, 'x') + "\n");
  const std::string path = dir.write("big.eml", msg);
  for (ReadMode mode : {ReadMode::auto_select, ReadMode::mmap, ReadMode::read}) {
    IngestOptions options;
    options.read_mode = mode;
    auto items = read_all({path}, options);
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0].bytes, msg) << static_cast<int>(mode);
  }
}

// A large file is read, not mapped, unless mmap is asked for: a file truncated by another process
// while its mapped bytes were verified raised SIGBUS and ended the run, losing every result not
// yet written. Read, the bytes stay as read; a large archive is streamed rather than held whole.
TEST(OpenInputs, LargeFilesAreReadNotMappedSoTruncationCannotCrash) {
  TempDir dir;
  const std::string msg = make_message("big", std::string(300000, 'x') + "\n");
  const std::string path = dir.write("big.eml", msg);
  IngestOptions options;
  options.large_file_bytes = 64;  // the .gz below is larger too
  for (const bool one_message : {false, true}) {
    FileBytes bytes = read_file_bytes(path, options, one_message);
    ASSERT_EQ(bytes.kind, FileBytes::Kind::bytes);
    ASSERT_EQ(bytes.mapping, nullptr);  // else the check below would crash
    ASSERT_EQ(::truncate(path.c_str(), 100), 0);
    EXPECT_EQ(bytes.bytes, msg);  // a mapping would fault here, past the file's new end
    dir.write("big.eml", msg);
  }
  ASSERT_TRUE(testing::shell("gzip -k " + path));
  EXPECT_EQ(read_file_bytes(path + ".gz", options).kind, FileBytes::Kind::stream);
  auto items = read_all({path + ".gz"}, options);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].bytes, msg);
  // A file too large to be one message, and neither an mbox nor an archive, is refused unread
  // (buffering it only to find it too large took 560 MB for a 270 MB file); an archive that large
  // is streamed, its messages read one by one.
  options.max_message_bytes = 1000;
  const std::string junk = dir.write("junk.bin", std::string(5000, 'j'));
  FileBytes refused = read_file_bytes(junk, options);
  ASSERT_EQ(refused.kind, FileBytes::Kind::error);
  EXPECT_EQ(refused.error, IngestError::too_large);
  EXPECT_EQ(refused.error_detail, "file larger than 1000 bytes, and not an mbox or an archive");
  EXPECT_EQ(read_file_bytes(junk, options, /*one_message=*/true).error_detail, "message larger than 1000 bytes");
  const std::string small = make_message("small", "x\n");
  std::string mbox;
  for (int i = 0; i < 20; ++i) mbox += "From a@b Thu Jan  1 00:00:00 2024\n" + small + "\n";
  const std::string archive = dir.write("many.mbox", mbox);
  ASSERT_TRUE(testing::shell("gzip -k " + archive));
  for (const std::string& large_archive : {archive, archive + ".gz"}) {
    items = read_all({large_archive}, options);
    ASSERT_EQ(items.size(), 20u) << large_archive;
    EXPECT_EQ(items[19].bytes, small) << large_archive;
  }
  options.read_mode = ReadMode::mmap;  // asked for: mapped
  options.max_message_bytes = 1u << 20;
  EXPECT_NE(read_file_bytes(path, options).mapping, nullptr);
}

// A large mbox is read in blocks (FileBytes::Kind::mbox_stream) unless mmap is asked for; both
// give the same items. The thresholds are lowered so that a small archive takes each path.
TEST(OpenInputs, LargeMboxGivesTheSameItemsReadInBlocksAsMapped) {
  TempDir dir;
  std::vector<std::string> messages;
  for (int i = 0; i < 20; ++i) {
    const std::string quoted = i % 2 == 1 ? ">From quoted\n" : "";  // odd ones need un-quoting
    messages.push_back(make_message("m" + std::to_string(i), quoted + "body " + std::to_string(i) + "\n"));
  }
  const std::string path = dir.write("big.mbox", testing::write_mbox(messages, MboxFormat::mboxrd));
  IngestOptions options;
  options.large_file_bytes = 64;
  options.stream_block_bytes = 256;  // smaller than the archive: messages straddle blocks
  options.mbox_format = MboxFormat::mboxrd;  // detection would read the first MiB into one block
  IngestOptions mapped = options;
  mapped.read_mode = ReadMode::mmap;
  const auto blocks = read_all({path}, options);
  const auto whole = read_all({path}, mapped);
  ASSERT_EQ(blocks.size(), messages.size());
  ASSERT_EQ(whole.size(), messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(blocks[i].bytes, whole[i].bytes);
    EXPECT_EQ(blocks[i].bytes, messages[i]);  // un-quoted
    EXPECT_EQ(blocks[i].source, whole[i].source);
    EXPECT_EQ(blocks[i].offset, whole[i].offset);
    EXPECT_EQ(blocks[i].error, IngestError::none);
  }
  // Messages 0 and 18 need no un-quoting, so both are views: into one mapping, or into two blocks.
  EXPECT_EQ(whole[0].storage, whole[18].storage);
  EXPECT_NE(blocks[0].storage, blocks[18].storage);
  // The same with deferred un-quoting, as at -j2: every message of the mboxrd archive is left to a
  // worker, which un-quotes those that need it, in place in a block, into a copy from a read-only
  // mapping, and leaves the others as they are stored.
  for (IngestOptions* o : {&options, &mapped}) {
    o->defer_reads = true;
    const bool in_blocks = o == &options;
    ByteArena arena;
    auto deferred = read_all({path}, *o);
    ASSERT_EQ(deferred.size(), messages.size());
    for (std::size_t i = 0; i < messages.size(); ++i) {
      SCOPED_TRACE(::testing::Message() << "blocks " << in_blocks << " message " << i);
      EXPECT_TRUE(deferred[i].unquote_pending);
      EXPECT_EQ(deferred[i].writable, in_blocks);
      const char* stored_at = deferred[i].bytes.data();
      load_deferred(deferred[i], *o, arena);
      EXPECT_EQ(deferred[i].bytes, messages[i]);
      EXPECT_EQ(deferred[i].bytes.data() == stored_at, in_blocks || i % 2 == 0);  // in place, or copied
    }
  }
}

// The reader under the block path reports a file that cannot be opened as a read error, which the
// stream reader turns into an item.
TEST(OpenInputs, FileReaderOfAMissingFileFailsWithTheErrnoText) {
  TempDir dir;
  FileReader reader(dir / "gone.mbox");
  char buffer[16];
  EXPECT_EQ(reader.read(buffer, sizeof buffer), -1);
  EXPECT_EQ(reader.error(), IngestError::unreadable);
  EXPECT_EQ(reader.error_detail(), "No such file or directory");
  auto source = open_mbox_stream("gone.mbox", "", std::make_unique<FileReader>(dir / "gone.mbox"), {});
  auto items = testing::drain(*source);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].source, "gone.mbox");
  EXPECT_EQ(items[0].error, IngestError::unreadable);
}

TEST(OpenInputs, FolderIsWalkedRecursivelyInSortedOrderSkippingHiddenEntries) {
  TempDir dir;
  dir.write("b.eml", make_message("b", "2\n"));
  dir.write("a.eml", make_message("a", "1\n"));
  dir.write("sub/c.eml", make_message("c", "3\n"));
  dir.write(".hidden.eml", make_message("h", "no\n"));
  dir.write(".git/x.eml", make_message("g", "no\n"));
  auto items = read_all({dir.path()});
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].source, dir / "a.eml");
  EXPECT_EQ(items[1].source, dir / "b.eml");
  EXPECT_EQ(items[2].source, dir / "sub/c.eml");
  EXPECT_EQ(items[2].bytes, make_message("c", "3\n"));
}

TEST(OpenInputs, MaildirReadsCurNewAndMaildirPlusPlusFoldersButNotTmp) {
  TempDir dir;
  dir.mkdir("Maildir/tmp");
  dir.write("Maildir/cur/1700000000.M1.host:2,S", make_message("cur", "1\n"));
  dir.write("Maildir/new/1700000001.M2.host", make_message("new", "2\n"));
  dir.write("Maildir/tmp/1700000002.M3.host", make_message("tmp", "3\n"));
  dir.write("Maildir/dovecot-uidlist", "3 V1 N4\n");
  dir.write("Maildir/.Sent/cur/1700000003.M4.host:2,RS", make_message("sent", "4\n"));
  dir.mkdir("Maildir/.Sent/new");
  dir.write("Maildir/.Sent/maildirfolder", "");
  auto items = read_all({dir / "Maildir"});
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].source, dir / "Maildir/.Sent/cur/1700000003.M4.host:2,RS");
  EXPECT_EQ(items[1].source, dir / "Maildir/cur/1700000000.M1.host:2,S");
  EXPECT_EQ(items[2].source, dir / "Maildir/new/1700000001.M2.host");
  EXPECT_EQ(items[1].bytes, make_message("cur", "1\n"));
  for (const auto& m : items) EXPECT_EQ(m.error, IngestError::none);
}

TEST(OpenInputs, EmptyFileIsAnErrorItemAndTheRunGoesOn) {
  TempDir dir;
  dir.write("a.eml", "");
  dir.write("b.eml", make_message("b", "x\n"));
  auto source = open_inputs({dir.path()}, {});
  auto items = testing::drain(*source);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].error, IngestError::empty);
  EXPECT_EQ(items[1].error, IngestError::none);
  EXPECT_EQ(source->stats().read, 1u);
  EXPECT_EQ(source->stats().errored, 1u);
}

TEST(OpenInputs, MissingPathIsUnreadable) {
  TempDir dir;
  auto items = read_all({dir / "nope.eml"});
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].error, IngestError::unreadable);
  EXPECT_EQ(items[0].error_detail, "No such file or directory");
}

TEST(OpenInputs, DanglingSymlinkInFolderIsUnreadable) {
  TempDir dir;
  ASSERT_EQ(::symlink("gone.eml", (dir / "link.eml").c_str()), 0);
  auto items = read_all({dir.path()});
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].error, IngestError::unreadable);
  EXPECT_EQ(items[0].source, dir / "link.eml");
}

// Root reads a file whatever its mode, through CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (and CI
// runs as root). This takes both out of the calling thread's effective set while it lives, and
// puts them back after: capabilities belong to each thread, and the raw capset() call changes only
// the caller's, so the rest of the test binary keeps them. Without them, a mode-000 file is as
// unreadable to root as to anyone. A no-op when the thread does not hold them.
class NoReadOverride {
 public:
  NoReadOverride() {
    if (::syscall(SYS_capget, &header_, saved_) != 0) return;
    __user_cap_data_struct lowered[2] = {saved_[0], saved_[1]};
    for (int cap : {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH}) lowered[cap / 32].effective &= ~(1u << (cap % 32));
    lowered_ = ::syscall(SYS_capset, &header_, lowered) == 0;
  }
  ~NoReadOverride() {
    if (lowered_) ::syscall(SYS_capset, &header_, saved_);
  }
  NoReadOverride(const NoReadOverride&) = delete;
  NoReadOverride& operator=(const NoReadOverride&) = delete;

 private:
  __user_cap_header_struct header_{_LINUX_CAPABILITY_VERSION_3, 0};  // pid 0: this thread
  __user_cap_data_struct saved_[2] = {};
  bool lowered_ = false;
};

// A file that the walk stat()s as a regular file but whose open() fails: the error comes from the
// reader (read_file_bytes), not from the walk as for a missing path. Runs as root too.
TEST(OpenInputs, UnreadableFileIsAnErrorItem) {
  TempDir dir;
  const std::string path = dir.write("secret.eml", make_message("s", "x\n"));
  ASSERT_EQ(::chmod(path.c_str(), 0), 0);
  NoReadOverride no_override;  // read_all() below reads on this thread (no defer_reads)
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  const int open_errno = errno;
  if (fd >= 0) ::close(fd);
  ASSERT_LT(fd, 0) << "the setup failed: this thread can still read a mode-000 file";
  ASSERT_EQ(open_errno, EACCES);
  auto items = read_all({path});
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].source, path);
  EXPECT_EQ(items[0].error, IngestError::unreadable);
  EXPECT_EQ(items[0].error_detail, "Permission denied");  // strerror(EACCES): says why
  EXPECT_TRUE(items[0].bytes.empty());
}

TEST(OpenInputs, PathThroughAFileIsUnreadable) {
  TempDir dir;
  const std::string file = dir.write("file.eml", make_message("f", "x\n"));
  auto items = read_all({file + "/inner.eml"});
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].error, IngestError::unreadable);
  EXPECT_EQ(items[0].error_detail, "Not a directory");
}

TEST(OpenInputs, SymlinkLoopBetweenTwoLinksIsReported) {
  TempDir dir;
  ASSERT_EQ(::symlink("b", (dir / "a").c_str()), 0);
  ASSERT_EQ(::symlink("a", (dir / "b").c_str()), 0);
  auto items = read_all({dir.path()});
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].error, IngestError::symlink_loop);
  EXPECT_EQ(items[1].error, IngestError::symlink_loop);
}

TEST(OpenInputs, SymlinkedFolderCycleIsReportedOnceAndTheWalkEnds) {
  TempDir dir;
  dir.write("mail/a.eml", make_message("a", "1\n"));
  ASSERT_EQ(::symlink("..", (dir / "mail/up").c_str()), 0);
  auto items = read_all({dir / "mail"});
  // mail/a.eml, then mail/up → dir, whose only entry mail/ is already on the stack.
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].error, IngestError::none);
  EXPECT_EQ(items[1].error, IngestError::symlink_loop);
  EXPECT_EQ(items[1].source, dir / "mail/up/mail");
}

// RFC 5322 §3.5: the body is optional. A header-only message is handed on to be verified (with
// an empty body), also when its last line is cut off; the engine reports that as a defect.
TEST(OpenInputs, HeaderOnlyMessageIsHandedOn) {
  TempDir dir;
  const std::string whole = "From: a@example.com\nSubject: no body\n";
  const std::string cut = "From: a@example.com\nSubject: cut o";
  auto items = read_all({dir.write("whole.eml", whole), dir.write("cut.eml", cut)});
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].error, IngestError::none);
  EXPECT_EQ(items[0].bytes, whole);
  EXPECT_EQ(items[1].error, IngestError::none);
  EXPECT_EQ(items[1].bytes, cut);
}

TEST(OpenInputs, BinaryJunkIsNotAMessage) {
  TempDir dir;
  static constexpr char kJunk[] = "\x7f" "ELF\x02\x01\x01\0\0\0binary\n\n";
  const std::string junk(kJunk, sizeof kJunk - 1);
  auto items = read_all({dir.write("junk.bin", junk)});
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].error, IngestError::not_a_message);
  EXPECT_EQ(items[0].bytes, junk);
}

TEST(OpenInputs, HundredMegabyteHeaderLineIsLineTooLong) {
  TempDir dir;
  std::string msg = "From: a@example.com\nX-Long: " + std::string(100u << 20, 'a') + "\n\nbody\n";
  auto items = read_all({dir.write("long.eml", msg)});
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].error, IngestError::line_too_long);
  EXPECT_EQ(items[0].error_detail, "header line of 104857608 bytes at offset 20");
}

TEST(OpenInputs, LongBodyLineIsFine) {
  TempDir dir;
  std::string msg = make_message("long body", std::string(8u << 20, 'b') + "\n");
  auto items = read_all({dir.write("long.eml", msg)});
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].error, IngestError::none);
  EXPECT_EQ(items[0].bytes.size(), msg.size());
}

TEST(OpenInputs, NamedPathsKeepTheirOrder) {
  TempDir dir;
  const std::string b = dir.write("b.eml", make_message("b", "2\n"));
  const std::string a = dir.write("a.eml", make_message("a", "1\n"));
  auto items = read_all({b, a, b});
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].source, b);
  EXPECT_EQ(items[1].source, a);
  EXPECT_EQ(items[2].source, b);
}

TEST(OpenInputs, StorageKeepsBytesAliveAfterTheSourceIsGone) {
  TempDir dir;
  const std::string msg = make_message("keep", std::string(100000, 'k') + "\n");
  const std::string path = dir.write("k.eml", msg);
  InputMessage kept;
  {
    auto source = open_inputs({path}, {});
    ASSERT_TRUE(source->next(kept));
  }
  std::filesystem::remove(path);
  EXPECT_EQ(kept.bytes, msg);
}

}  // namespace
}  // namespace dkimscan::ingest
