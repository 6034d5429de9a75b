// File: ingest/libarchive_loader.h
// libarchive, loaded with dlopen the first time a compressed file, a packed archive or standard
// input is read. Linked in, it made every run load ten more shared libraries (libxml2 and ICU
// among them, for formats dkimscan never reads): 3.5 ms of each start on the 2-core benchmark
// machine, for runs that mostly read plain files, Maildirs and mboxes. The headers still give the
// types, so a mismatch with the library's functions is a compile error here, not a crash.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <string>

namespace dkimscan::ingest {

// The libarchive functions dkimscan calls (archive_source.cpp), by their names minus "archive_".
struct LibArchive {
  decltype(&::archive_read_new) read_new;
  decltype(&::archive_read_free) read_free;
  decltype(&::archive_read_support_filter_gzip) read_support_filter_gzip;
  decltype(&::archive_read_support_filter_bzip2) read_support_filter_bzip2;
  decltype(&::archive_read_support_filter_xz) read_support_filter_xz;
  decltype(&::archive_read_support_filter_lzma) read_support_filter_lzma;
  decltype(&::archive_read_support_filter_zstd) read_support_filter_zstd;
  decltype(&::archive_read_support_format_tar) read_support_format_tar;
  decltype(&::archive_read_support_format_zip) read_support_format_zip;
  decltype(&::archive_read_support_format_empty) read_support_format_empty;
  decltype(&::archive_read_support_format_raw) read_support_format_raw;
  decltype(&::archive_read_open_memory) read_open_memory;
  decltype(&::archive_read_open_filename) read_open_filename;
  decltype(&::archive_read_open_fd) read_open_fd;
  decltype(&::archive_read_open) read_open;
  decltype(&::archive_read_next_header) read_next_header;
  decltype(&::archive_read_data_block) read_data_block;
  decltype(&::archive_error_string) error_string;
  decltype(&::archive_set_error) set_error;
  decltype(&::archive_format) format;
  decltype(&::archive_entry_filetype) entry_filetype;
  decltype(&::archive_entry_pathname) entry_pathname;
};

// The functions, loaded once per process (thread-safe); null when the library or one of them
// cannot be found, with dlerror()'s words in why.
const LibArchive* load_libarchive(std::string& why) noexcept;

}  // namespace dkimscan::ingest
