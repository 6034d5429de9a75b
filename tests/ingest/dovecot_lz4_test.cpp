// Tests for ingest/dovecot_lz4.{h,cpp}: dovecot's lz4 container unpacked, chunk by chunk, and every
// way it can be damaged reported; and a Maildir file stored in it read as its message.
#include "ingest/dovecot_lz4.h"

#include <gtest/gtest.h>

#include "ingest/open_inputs.h"
#include "ingest_test_util.h"
#include "tests/ingest/dovecot_lz4_packer.h"

namespace dkimscan::ingest {
namespace {

using testing::make_message;
using testing::pack_dovecot_lz4;
using testing::TempDir;

std::string large_message() {
  std::string body;
  for (int line = 0; body.size() < 200 * 1024; ++line) body += "line " + std::to_string(line * 7919 % 100003) + " of the body\n";
  return make_message("large", body);
}

TEST(DovecotLz4, UnpacksEveryChunk) {
  const std::string message = large_message();
  const std::string packed = pack_dovecot_lz4(message);
  ASSERT_TRUE(looks_dovecot_lz4(packed));
  std::string out, why;
  EXPECT_EQ(unpack_dovecot_lz4(packed, 1u << 30, out, why), IngestError::none) << why;
  EXPECT_EQ(out, message);
  EXPECT_EQ(unpack_dovecot_lz4(pack_dovecot_lz4(""), 1u << 30, out, why), IngestError::none);
  EXPECT_EQ(out, "");
}

TEST(DovecotLz4, DamageIsReportedAndNamesTheChunk) {
  const std::string packed = pack_dovecot_lz4(large_message());
  std::string out, why;
  // Cut inside the second chunk.
  const std::size_t first_length = (std::size_t{static_cast<unsigned char>(packed[19])} << 24) |
                                   (std::size_t{static_cast<unsigned char>(packed[20])} << 16) |
                                   (std::size_t{static_cast<unsigned char>(packed[21])} << 8) |
                                   static_cast<unsigned char>(packed[22]);
  const std::size_t second = 19 + 4 + first_length;
  EXPECT_EQ(unpack_dovecot_lz4(packed.substr(0, second + 10), 1u << 30, out, why), IngestError::truncated);
  EXPECT_EQ(why, "dovecot lz4 data cut short in the chunk at byte " + std::to_string(second));
  EXPECT_EQ(unpack_dovecot_lz4(packed.substr(0, second + 2), 1u << 30, out, why), IngestError::truncated);
  EXPECT_EQ(unpack_dovecot_lz4(packed.substr(0, 17), 1u << 30, out, why), IngestError::truncated);
  // A chunk whose bytes are not LZ4.
  std::string damaged = packed;
  for (std::size_t i = second + 4; i < second + 40; ++i) damaged[i] = '\xff';
  EXPECT_EQ(unpack_dovecot_lz4(damaged, 1u << 30, out, why), IngestError::unreadable);
  EXPECT_EQ(why, "damaged dovecot lz4 chunk at byte " + std::to_string(second));
  // Lengths that cannot be: a zero chunk size in the header, a chunk longer than any compression.
  std::string zero_size = packed;
  zero_size.replace(15, 4, std::string(4, '\0'));
  EXPECT_EQ(unpack_dovecot_lz4(zero_size, 1u << 30, out, why), IngestError::unreadable);
  EXPECT_EQ(why, "dovecot lz4 header names a chunk size of 0 bytes");
  std::string huge_chunk = packed;
  huge_chunk.replace(19, 4, "\x7f\xff\xff\xff");
  EXPECT_EQ(unpack_dovecot_lz4(huge_chunk, 1u << 30, out, why), IngestError::unreadable);
  EXPECT_EQ(why, "dovecot lz4 chunk at byte 19 claims 2147483647 bytes");
  // More than the message limit once unpacked.
  EXPECT_EQ(unpack_dovecot_lz4(packed, 100 * 1024, out, why), IngestError::too_large);
}

TEST(DovecotLz4, AMaildirFileInItIsReadAsItsMessageHoweverItIsRead) {
  TempDir dir;
  const std::string message = large_message();
  dir.write("Maildir/cur/1.host:2,S,Z=lz4", pack_dovecot_lz4(message));
  dir.write("Maildir/cur/2.host:2,S,Z=lz4", pack_dovecot_lz4(message).substr(0, 1000));
  dir.mkdir("Maildir/new");
  const testing::ReadBothWays read = testing::read_both_ways({dir / "Maildir"});
  const auto& [immediate, deferred, arena] = read;
  ASSERT_EQ(immediate.size(), 2u);
  ASSERT_EQ(deferred.size(), 2u);
  EXPECT_EQ(immediate[0].error, IngestError::none) << immediate[0].error_detail;
  EXPECT_EQ(immediate[0].bytes, message);
  EXPECT_EQ(deferred[0].bytes, message);
  EXPECT_EQ(immediate[1].error, IngestError::truncated);
  EXPECT_EQ(deferred[1].error, IngestError::truncated);
  EXPECT_EQ(deferred[1].error_detail, immediate[1].error_detail);
}

// Outside a Maildir too, a file in the container is its message, whether the sniff reads it whole
// (small) or hands it to a worker (large): the same at -j1 and -jN.
TEST(DovecotLz4, ALooseFileIsItsMessageHoweverItIsRead) {
  TempDir dir;
  const std::string large = large_message();
  const std::string small = make_message("small", "a short body\n");
  dir.write("loose/large.lz4", pack_dovecot_lz4(large));
  dir.write("loose/small.lz4", pack_dovecot_lz4(small));
  ASSERT_GT(pack_dovecot_lz4(large).size(), 16u * 1024);  // beyond what the sniff reads whole
  const testing::ReadBothWays read = testing::read_both_ways({dir / "loose"});
  const auto& [immediate, deferred, arena] = read;
  ASSERT_EQ(immediate.size(), 2u);
  ASSERT_EQ(deferred.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(immediate[i].error, IngestError::none) << immediate[i].source << ": " << immediate[i].error_detail;
    EXPECT_EQ(deferred[i].error, IngestError::none) << deferred[i].source << ": " << deferred[i].error_detail;
    EXPECT_EQ(immediate[i].bytes, i == 0 ? large : small);
    EXPECT_EQ(deferred[i].bytes, immediate[i].bytes);
  }
}

}  // namespace
}  // namespace dkimscan::ingest
