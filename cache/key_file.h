// File: key_file.h
// Keys from files instead of DNS (--keys FILE): the test corpora's keys.zone files and the
// snapshots that --record-keys writes (format: cache/KEYFILE.md). Every line is parsed at load;
// a name's KeySet (the decoded public keys) is built on its first lookup, once, on whichever
// thread asks: a snapshot of years of mail holds far more keys than one run uses, and decoding
// them all cost a second and 250 MB for 100,000 keys. Lookups are safe from any thread.
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
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
  KeyLineKind kind = KeyLineKind::record;  // record, nxdomain or tempfail
  std::vector<std::string> txt_values;  // the TXT values as written (escapes undone), for snapshots
  std::string tempfail_text;            // the text of a !TEMPFAIL line
  KeyLineMeta meta;        // snapshot metadata (ttl, queried, server, detail); empty in plain files
  std::string origin;      // "path:line" of the name's first line

  // The answer the lines give, built on the first call (never null). Safe from any thread.
  const engine::KeySetPtr& keys() const;

 private:
  mutable std::once_flag built_;
  mutable engine::KeySetPtr keys_;
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
