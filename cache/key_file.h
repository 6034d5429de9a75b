// File: key_file.h
// Keys from files instead of DNS (--keys FILE): the test corpora's keys.zone files and the
// snapshots that --record-keys writes (format: cache/KEYFILE.md). Every line is parsed and every
// KeySet built once at load; lookups afterwards are a hash-map read, safe from any thread.
#pragma once

#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cache/key_file_format.h"
#include "engine/key_provider.h"

namespace dkimscan::cache {

// A key file could not be loaded: unreadable, or a malformed line ("path:line: what").
class KeyFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What the files say about one name.
struct KeyFileEntry {
  engine::KeySetPtr keys;  // never null
  std::vector<std::string> txt_values;  // the TXT values as written (escapes undone), for snapshots
  KeyLineMeta meta;        // snapshot metadata (ttl, queried, server, detail); empty in plain files
  std::string origin;      // "path:line" of the name's first line
};

// Hash for names that accepts std::string_view without building a std::string.
struct NameHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view name) const noexcept {
    return std::hash<std::string_view>{}(name);
  }
};

class KeyFileProvider : public engine::KeyProvider {
 public:
  KeyFileProvider();
  // Loads the files in order; a name found in an earlier file hides it in later ones.
  explicit KeyFileProvider(const std::vector<std::string>& paths);

  // Throws KeyFileError. The same "earlier wins" rule holds across calls.
  void load_file(const std::string& path);
  void load_text(std::string_view text, std::string_view origin);

  // The entry for name (any case), or null when no file names it.
  const KeyFileEntry* find(std::string_view name) const noexcept;

  // A name no file names is NXDOMAIN: key_not_found (the keys.zone convention).
  engine::KeySetPtr lookup(std::string_view name) override;

  std::size_t size() const noexcept { return entries_.size(); }
  const std::unordered_map<std::string, KeyFileEntry, NameHash, std::equal_to<>>& entries()
      const noexcept {
    return entries_;
  }

 private:
  std::unordered_map<std::string, KeyFileEntry, NameHash, std::equal_to<>> entries_;
  engine::KeySetPtr absent_;  // the shared answer for names no file names
};

}  // namespace dkimscan::cache
