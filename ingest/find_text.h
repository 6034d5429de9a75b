// File: ingest/find_text.h
// Substring search for the short markers of mbox archives ("\nFrom ", ">From ", ">>From "). glibc's
// memmem runs at about 1.4 GB/s on mail text, and the mbox reader runs the search twice over
// every byte (the From_ lines that split the archive, then the quoted ">From " lines to unquote)
// in its one serial thread, where it was a fifth of a one-thread mbox run. Here the first two
// bytes of the needle are compared 32 positions at a time (AVX2, where the CPU has it; else 16,
// SSE2), so only the rare places where both match (a line end followed by 'F') are compared in
// full.
#pragma once

#include <string_view>

namespace dkimscan::ingest {

// The first occurrence of needle in haystack at or after from, or nullptr.
const char* find_text(std::string_view haystack, std::size_t from, std::string_view needle) noexcept;

// The same with the 16-byte loop whatever the CPU: what find_text does where AVX2 is missing,
// here so that the tests hold both loops to std::string_view::find on any machine.
const char* find_text_sse2(std::string_view haystack, std::size_t from, std::string_view needle) noexcept;

}  // namespace dkimscan::ingest
