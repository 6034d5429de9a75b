// File: ingest/find_text.cpp
#include "ingest/find_text.h"

#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace dkimscan::ingest {

namespace {

// Where the search runs: from p up to last, the last position at which the needle still fits.
struct Range {
  const char* p;
  const char* last;
};

bool rest_matches(const char* at, std::string_view needle) noexcept {
  return std::memcmp(at + 2, needle.data() + 2, needle.size() - 2) == 0;
}

const char* find_bytewise(Range r, std::string_view needle) noexcept {
  for (const char* p = r.p; p <= r.last; ++p) {
    if (p[0] == needle[0] && p[1] == needle[1] && rest_matches(p, needle)) return p;
  }
  return nullptr;
}

// Lanes look at p[0..16]; a candidate at lane i also needs p[i..i+size) inside: i <= last - p.
const char* find_16_at_a_time(Range r, std::string_view needle) noexcept {
  const char* p = r.p;
#if defined(__SSE2__)
  const __m128i first = _mm_set1_epi8(needle[0]);
  const __m128i second = _mm_set1_epi8(needle[1]);
  while (r.last - p >= 16) {
    const __m128i here = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i next = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 1));
    unsigned mask = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(here, first), _mm_cmpeq_epi8(next, second))));
    while (mask != 0) {
      const char* candidate = p + __builtin_ctz(mask);
      if (rest_matches(candidate, needle)) return candidate;
      mask &= mask - 1;
    }
    p += 16;
  }
#endif
  return find_bytewise({p, r.last}, needle);
}

#if defined(__x86_64__)
// The same 32 positions at a time; compiled for AVX2 and only called where the CPU has it.
__attribute__((target("avx2"))) const char* find_32_at_a_time(Range r, std::string_view needle) noexcept {
  const char* p = r.p;
  const __m256i first = _mm256_set1_epi8(needle[0]);
  const __m256i second = _mm256_set1_epi8(needle[1]);
  while (r.last - p >= 32) {
    const __m256i here = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const __m256i next = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 1));
    auto mask = static_cast<unsigned>(
        _mm256_movemask_epi8(_mm256_and_si256(_mm256_cmpeq_epi8(here, first), _mm256_cmpeq_epi8(next, second))));
    while (mask != 0) {
      const char* candidate = p + __builtin_ctz(mask);
      if (rest_matches(candidate, needle)) return candidate;
      mask &= mask - 1;
    }
    p += 32;
  }
  return find_16_at_a_time({p, r.last}, needle);
}

const bool kHaveAvx2 = [] {
  __builtin_cpu_init();  // this runs among the static constructors, which may precede libgcc's
  return __builtin_cpu_supports("avx2") != 0;
}();
#endif

// The cases every loop shares: a needle that cannot fit, or of fewer than two bytes.
template <typename Loop>
const char* find_with(std::string_view haystack, std::size_t from, std::string_view needle, Loop loop) noexcept {
  if (from > haystack.size() || needle.size() > haystack.size() - from) return nullptr;
  if (needle.size() < 2) {
    if (needle.empty()) return haystack.data() + from;
    return static_cast<const char*>(std::memchr(haystack.data() + from, needle[0], haystack.size() - from));
  }
  return loop(Range{haystack.data() + from, haystack.data() + haystack.size() - needle.size()}, needle);
}

}  // namespace

const char* find_text(std::string_view haystack, std::size_t from, std::string_view needle) noexcept {
#if defined(__x86_64__)
  if (kHaveAvx2) return find_with(haystack, from, needle, find_32_at_a_time);
#endif
  return find_with(haystack, from, needle, find_16_at_a_time);
}

const char* find_text_sse2(std::string_view haystack, std::size_t from, std::string_view needle) noexcept {
  return find_with(haystack, from, needle, find_16_at_a_time);
}

}  // namespace dkimscan::ingest
