// The verifier's steady state allocates nothing: once a thread's VerifyScratch and MessageResult
// have seen a mix of messages, verifying those messages again takes no operator new at all. The
// pipeline relies on this (issue 5: no heap allocation per message on the hot path). OpenSSL's
// own mallocs inside RSA_verify and EVP_DigestInit_ex2 are not operator new and not counted here;
// bench/alloc_count.py counts them (bench/README.md, "Heap allocations per message").
//
// This file replaces the global operator new for the whole engine_tests binary; the replacement
// only counts, on threads that asked for it, and then allocates with malloc as usual.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "cache/key_file.h"
#include "engine/verify.h"
#include "tests/engine/sample_messages.h"

namespace {

thread_local bool counting = false;
thread_local std::size_t allocations = 0;

void* counted_allocation(std::size_t size) {
  if (counting) ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

void* counted_aligned_allocation(std::size_t size, std::align_val_t align) {
  if (counting) ++allocations;
  const std::size_t alignment = static_cast<std::size_t>(align);
  // aligned_alloc wants a size that is a multiple of the alignment.
  const std::size_t rounded = (std::max<std::size_t>(size, 1) + alignment - 1) / alignment * alignment;
  if (void* p = std::aligned_alloc(alignment, rounded)) return p;
  throw std::bad_alloc();
}

}  // namespace

void* operator new(std::size_t size) { return counted_allocation(size); }
void* operator new[](std::size_t size) { return counted_allocation(size); }
void* operator new(std::size_t size, std::align_val_t align) { return counted_aligned_allocation(size, align); }
void* operator new[](std::size_t size, std::align_val_t align) { return counted_aligned_allocation(size, align); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace dkimscan::engine {
namespace {

using testing::kSample;
using testing::read_sample_messages;

TEST(SteadyState, VerifyingAgainAllocatesNothing) {
  const std::vector<std::string> messages = read_sample_messages();
  ASSERT_EQ(messages.size(), 100u);  // pass, fail, permerror and unsigned messages, 1–3 signatures
  cache::KeyFileProvider keys({(kSample / "keys.zone").string()});
  const Verifier verifier({Policy::strict, 1800000000, 16});
  VerifyScratch scratch;
  MessageResult result;
  std::size_t passes = 0;

  // The first round sizes the scratch buffers and the result for the largest message.
  for (const std::string& message : messages) verifier.verify(message, keys, scratch, result);

  counting = true;
  allocations = 0;
  for (const std::string& message : messages) {
    verifier.verify(message, keys, scratch, result);
    passes += result.best == Verdict::pass;
  }
  counting = false;

  EXPECT_EQ(allocations, 0u) << "operator new calls in the second round over the sample";
  EXPECT_GT(passes, 50u);  // the round really verified (and the counting really counted, below)

  // The counter works: a fresh scratch must allocate.
  counting = true;
  allocations = 0;
  {
    VerifyScratch fresh;
    MessageResult fresh_result;
    verifier.verify(messages.front(), keys, fresh, fresh_result);
  }
  counting = false;
  EXPECT_GT(allocations, 0u);
}

}  // namespace
}  // namespace dkimscan::engine
