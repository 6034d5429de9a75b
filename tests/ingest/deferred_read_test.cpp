// Deferred Maildir reads: the serial reader hands out Maildir messages unread and a worker loads
// them; the items must then be exactly what an immediate read gives, errors included.
#include <gtest/gtest.h>

#include "ingest/open_inputs.h"
#include "ingest_test_util.h"

namespace dkimscan::ingest {
namespace {

using testing::make_message;
using testing::read_all;
using testing::TempDir;

TEST(DeferredRead, MaildirItemsLoadToTheSameItemsAsAnImmediateRead) {
  TempDir dir;
  dir.write("Maildir/cur/1.host:2,S", make_message("one", "1\n"));
  dir.write("Maildir/cur/2.host:2,S", "");  // empty: an error item either way
  dir.write("Maildir/new/3.host", "\x01\x02 binary junk\n");
  dir.write("Maildir/.Sent/cur/4.host:2,RS", make_message("sent", "4\n"));
  dir.mkdir("Maildir/.Sent/new");
  dir.write("loose.eml", make_message("loose", "5\n"));  // outside a Maildir: never deferred

  auto immediate = read_all({dir / "Maildir", dir / "loose.eml"});
  IngestOptions options;
  options.defer_maildir_reads = true;
  auto deferred = read_all({dir / "Maildir", dir / "loose.eml"}, options);
  ASSERT_EQ(deferred.size(), immediate.size());
  ASSERT_EQ(deferred.size(), 5u);
  for (std::size_t i = 0; i < deferred.size(); ++i) {
    const bool in_maildir = i < 4;
    EXPECT_EQ(deferred[i].deferred, in_maildir) << i;
    EXPECT_TRUE(deferred[i].bytes.empty() || !in_maildir) << i;
    load_deferred(deferred[i], options);
    EXPECT_FALSE(deferred[i].deferred);
    EXPECT_EQ(deferred[i].source, immediate[i].source);
    EXPECT_EQ(deferred[i].bytes, immediate[i].bytes);
    EXPECT_EQ(deferred[i].error, immediate[i].error) << deferred[i].source;
  }
  EXPECT_EQ(deferred[2].error, IngestError::empty);  // order: .Sent/cur, cur, new, loose
  EXPECT_EQ(deferred[3].error, IngestError::not_a_message);
}

TEST(DeferredRead, AFileThatVanishedBeforeLoadingIsUnreadable) {
  TempDir dir;
  std::string path = dir.write("Maildir/cur/1.host:2,S", make_message("one", "1\n"));
  dir.mkdir("Maildir/new");
  IngestOptions options;
  options.defer_maildir_reads = true;
  auto items = read_all({dir / "Maildir"}, options);
  ASSERT_EQ(items.size(), 1u);
  std::filesystem::remove(path);
  load_deferred(items[0], options);
  EXPECT_EQ(items[0].error, IngestError::unreadable);
  EXPECT_EQ(items[0].source, path);
}

}  // namespace
}  // namespace dkimscan::ingest
