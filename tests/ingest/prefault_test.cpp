// Tests for ingest/prefault.h: a prefaulted buffer keeps its bytes, only pages wholly inside it
// come in (seen with mincore), and filling it afterwards takes no page faults (counted with
// getrusage), where filling a fresh one takes one per page.
#include "ingest/prefault.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

namespace dkimscan::ingest {
namespace {

constexpr std::size_t kMappingBytes = 4u << 20;

// A fresh private anonymous mapping, without transparent huge pages, so that each 4 KiB page
// faults on its own when first written.
class FreshMapping {
 public:
  FreshMapping() {
    void* p = ::mmap(nullptr, kMappingBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) {
      data_ = static_cast<char*>(p);
      ::madvise(p, kMappingBytes, MADV_NOHUGEPAGE);
    }
  }
  ~FreshMapping() {
    if (data_ != nullptr) ::munmap(data_, kMappingBytes);
  }
  FreshMapping(const FreshMapping&) = delete;
  FreshMapping& operator=(const FreshMapping&) = delete;
  char* data() const { return data_; }

 private:
  char* data_ = nullptr;
};

long minor_faults() {
  rusage usage{};
  ::getrusage(RUSAGE_THREAD, &usage);
  return usage.ru_minflt;
}

// Page faults taken while writing one byte into each page of the mapping. Not instrumented by
// ASan: its check of each store would touch the shadow memory, one fault per 8 pages written.
__attribute__((no_sanitize("address"))) long faults_writing(char* data) {
  const long page = ::sysconf(_SC_PAGESIZE);
  const long before = minor_faults();
  for (std::size_t at = 0; at < kMappingBytes; at += static_cast<std::size_t>(page)) data[at] = 'x';
  return minor_faults() - before;
}

bool kernel_populates() {
#ifdef MADV_POPULATE_WRITE
  FreshMapping probe;
  return probe.data() != nullptr && ::madvise(probe.data(), 4096, MADV_POPULATE_WRITE) == 0;
#else
  return false;
#endif
}

TEST(Prefault, FillingAPrefaultedBufferTakesNoPageFaults) {
  if (!kernel_populates()) GTEST_SKIP() << "this kernel has no MADV_POPULATE_WRITE (Linux 5.14)";
  const long pages = static_cast<long>(kMappingBytes) / ::sysconf(_SC_PAGESIZE);

  FreshMapping control;
  ASSERT_NE(control.data(), nullptr);
  // Without the call, the fill faults once per page: what the prefault is there to batch.
  EXPECT_GE(faults_writing(control.data()), pages / 2);

  FreshMapping prefaulted;
  ASSERT_NE(prefaulted.data(), nullptr);
  prefault_for_write(prefaulted.data(), kMappingBytes);
  EXPECT_LE(faults_writing(prefaulted.data()), 2);
}

// Which pages of the mapping are in memory, one character each: '1' resident, '0' not.
std::string resident_pages(const char* data, std::size_t pages) {
  std::vector<unsigned char> in_core(pages);
  if (::mincore(const_cast<char*>(data), pages * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)),
                in_core.data()) != 0) {
    return "mincore failed";
  }
  std::string map;
  for (unsigned char page : in_core) map += (page & 1) != 0 ? '1' : '0';
  return map;
}

TEST(Prefault, KeepsTheBytesAndStaysInsideAnUnalignedBuffer) {
  // The bytes: a buffer that starts and ends inside a page keeps every byte it had.
  std::string bytes(1u << 20, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 131 % 251);
  const std::string before = bytes;
  prefault_for_write(bytes.data() + 3, bytes.size() - 7);
  prefault_for_write(bytes.data() + 1, 100);  // too small to be worth a system call
  prefault_for_write(bytes.data(), 0);
  EXPECT_EQ(bytes, before);

  // Staying inside: MADV_POPULATE_WRITE changes no byte, so a prefault that reached past the buffer
  // would not show in its bytes; it shows in which pages it made resident. In a mapping nobody has
  // touched, only the pages wholly inside the buffer may come in: the pages at its ends may belong
  // to other allocations (prefault.h), and nothing at all outside it.
  if (!kernel_populates()) GTEST_SKIP() << "this kernel has no MADV_POPULATE_WRITE (Linux 5.14)";
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  constexpr std::size_t kPages = 32;
  ASSERT_LE(kPages * page, kMappingBytes);
  FreshMapping mapping;
  ASSERT_NE(mapping.data(), nullptr);
  ASSERT_EQ(resident_pages(mapping.data(), kPages), std::string(kPages, '0'));
  // From 123 bytes into page 5 to 1000 bytes into page 25: pages 6 to 24 are wholly inside.
  char* const begin = mapping.data() + 5 * page + 123;
  const std::size_t size = 20 * page + 1000 - 123;
  ASSERT_GE(size, kPrefaultMinBytes);
  prefault_for_write(begin, size);
  EXPECT_EQ(resident_pages(mapping.data(), kPages),
            std::string(6, '0') + std::string(19, '1') + std::string(kPages - 25, '0'));
}

}  // namespace
}  // namespace dkimscan::ingest
