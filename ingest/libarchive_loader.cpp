// File: ingest/libarchive_loader.cpp
#include "ingest/libarchive_loader.h"

#include <dlfcn.h>

namespace dkimscan::ingest {

namespace {

// The library's soname, from the build (ingest/CMakeLists.txt): libarchive.so.13 on Debian 12.
#ifndef DKIMSCAN_LIBARCHIVE_SONAME
#define DKIMSCAN_LIBARCHIVE_SONAME "libarchive.so.13"
#endif

struct Loaded {
  LibArchive functions{};
  bool ok = false;
  std::string why;
};

template <class Function>
bool find(void* library, const char* name, Function& out, std::string& why) {
  out = reinterpret_cast<Function>(::dlsym(library, name));
  if (out == nullptr) why = std::string("libarchive has no ") + name;
  return out != nullptr;
}

Loaded load() {
  Loaded loaded;
  // RTLD_LOCAL: its symbols stay out of the process's global scope. LIFETIME: never dlclose()d,
  // so the functions stay valid until the process ends.
  void* library = ::dlopen(DKIMSCAN_LIBARCHIVE_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* error = ::dlerror();
    loaded.why = std::string("cannot load libarchive: ") + (error ? error : DKIMSCAN_LIBARCHIVE_SONAME);
    return loaded;
  }
  LibArchive& f = loaded.functions;
  std::string& why = loaded.why;
  loaded.ok = find(library, "archive_read_new", f.read_new, why) &&
              find(library, "archive_read_free", f.read_free, why) &&
              find(library, "archive_read_support_filter_gzip", f.read_support_filter_gzip, why) &&
              find(library, "archive_read_support_filter_bzip2", f.read_support_filter_bzip2, why) &&
              find(library, "archive_read_support_filter_xz", f.read_support_filter_xz, why) &&
              find(library, "archive_read_support_filter_lzma", f.read_support_filter_lzma, why) &&
              find(library, "archive_read_support_filter_zstd", f.read_support_filter_zstd, why) &&
              find(library, "archive_read_support_format_tar", f.read_support_format_tar, why) &&
              find(library, "archive_read_support_format_zip", f.read_support_format_zip, why) &&
              find(library, "archive_read_support_format_empty", f.read_support_format_empty, why) &&
              find(library, "archive_read_support_format_raw", f.read_support_format_raw, why) &&
              find(library, "archive_read_open_memory", f.read_open_memory, why) &&
              find(library, "archive_read_open_filename", f.read_open_filename, why) &&
              find(library, "archive_read_open_fd", f.read_open_fd, why) &&
              find(library, "archive_read_open", f.read_open, why) &&
              find(library, "archive_read_next_header", f.read_next_header, why) &&
              find(library, "archive_read_data_block", f.read_data_block, why) &&
              find(library, "archive_error_string", f.error_string, why) &&
              find(library, "archive_set_error", f.set_error, why) &&
              find(library, "archive_format", f.format, why) &&
              find(library, "archive_entry_filetype", f.entry_filetype, why) &&
              find(library, "archive_entry_pathname", f.entry_pathname, why);
  return loaded;
}

}  // namespace

const LibArchive* load_libarchive(std::string& why) noexcept {
  static const Loaded loaded = load();  // thread-safe, once
  if (!loaded.ok) why = loaded.why;
  return loaded.ok ? &loaded.functions : nullptr;
}

}  // namespace dkimscan::ingest
