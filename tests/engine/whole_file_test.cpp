// File: tests/engine/whole_file_test.cpp
// read_whole_file: the bytes exactly (NULs, CRs, more than one read's worth), and the reason
// when there is nothing to read.
#include "engine/whole_file.h"

#include <gtest/gtest.h>

#include "tests/temp_dir.h"

namespace dkimscan::engine {
namespace {

TEST(WholeFile, GivesTheBytesExactly) {
  testing::TempDir dir;
  std::string bytes("a\0b\r\n", 5);
  bytes += std::string(200000, 'x');  // several reads
  const std::string path = dir.write("f.bin", bytes);
  std::string reason;
  const auto got = read_whole_file(path, reason);
  ASSERT_TRUE(got.has_value()) << reason;
  EXPECT_EQ(*got, bytes);
  const auto empty = read_whole_file(dir.write("empty", ""), reason);
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty());
}

TEST(WholeFile, MissingFileAndFolderGiveTheReason) {
  testing::TempDir dir;
  std::string reason;
  EXPECT_FALSE(read_whole_file(dir / "missing", reason).has_value());
  EXPECT_EQ(reason, "No such file or directory");
  EXPECT_FALSE(read_whole_file(dir.path(), reason).has_value());
  EXPECT_EQ(reason, "Is a directory");
}

}  // namespace
}  // namespace dkimscan::engine
