// File: ingest/find_text.cpp
#include "ingest/find_text.h"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace dkimscan::ingest {

const char* find_text(std::string_view haystack, std::size_t from, std::string_view needle) noexcept {
  if (from > haystack.size() || needle.size() > haystack.size() - from) return nullptr;
  if (needle.size() < 2) {
    if (needle.empty()) return haystack.data() + from;
    return static_cast<const char*>(std::memchr(haystack.data() + from, needle[0], haystack.size() - from));
  }
  const char* p = haystack.data() + from;
  // The last position where the needle still fits.
  const char* const last = haystack.data() + haystack.size() - needle.size();
  auto matches_at = [&](const char* at) { return std::memcmp(at + 2, needle.data() + 2, needle.size() - 2) == 0; };
#if defined(__SSE2__)
  const __m128i first = _mm_set1_epi8(needle[0]);
  const __m128i second = _mm_set1_epi8(needle[1]);
  // Lanes look at p[0..16]; a candidate at lane i also needs p[i..i+size) inside: i <= last - p.
  while (last - p >= 16) {
    const __m128i here = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i next = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 1));
    unsigned mask = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(here, first), _mm_cmpeq_epi8(next, second))));
    while (mask != 0) {
      const char* candidate = p + __builtin_ctz(mask);
      if (matches_at(candidate)) return candidate;
      mask &= mask - 1;
    }
    p += 16;
  }
#endif
  for (; p <= last; ++p) {
    if (p[0] == needle[0] && p[1] == needle[1] && matches_at(p)) return p;
  }
  return nullptr;
}

}  // namespace dkimscan::ingest
