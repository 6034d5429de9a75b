// File: ingest/find_text.h
// Substring search for the short markers of mbox archives ("\nFrom ", ">From ", ">>From "). glibc's
// memmem runs at about 1.4 GB/s on mail text, and the mbox splitter runs it over every byte in the
// one serial reader, where it was a fifth of a one-thread mbox run. Here the first two bytes of
// the needle are compared 16 positions at a time, so only the rare places where both match (a
// line end followed by 'F') are compared in full.
#pragma once

#include <string_view>

namespace dkimscan::ingest {

// The first occurrence of needle in haystack at or after from, or nullptr.
const char* find_text(std::string_view haystack, std::size_t from, std::string_view needle) noexcept;

}  // namespace dkimscan::ingest
