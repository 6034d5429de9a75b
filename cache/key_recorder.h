// File: key_recorder.h
// --record-keys FILE: writes every key answer the run used, once per name, in the key-file format
// with "#@" metadata (cache/KEYFILE.md), so that --keys FILE replays the run offline. A KeySet holds
// parsed keys, not TXT text, so the layers that see raw answers (key files, the DNS cache) report
// them here; record() is thread-safe and cheap for names already recorded (a sharded map). The
// names are written sorted by finish(), so that one archive gives the same snapshot file whatever
// the thread count or the order in which the answers came (a forensic audit diffs snapshots).
#pragma once

#include <array>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cache/key_file.h"
#include "cache/key_file_format.h"

namespace dkimscan::cache {

// The snapshot file could not be created or written whole: an output error (exit code 74), not
// an internal one.
class KeySnapshotError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One answer as a snapshot stores it.
struct RecordedAnswer {
  KeyLineKind kind = KeyLineKind::record;  // record, nxdomain or tempfail
  std::vector<std::string> txt;            // record: the TXT values, in answer order
  std::string text;                        // tempfail: the text after !TEMPFAIL
  KeyLineMeta meta;                        // ttl, queried, server, reason, detail
};

// The snapshot form of a looked-up KeySet: ok → its TXT values; key_not_found → !NXDOMAIN with
// the detail kept; key_dns_timeout / key_dns_servfail → !TEMPFAIL with reason= and the detail.
RecordedAnswer recorded_answer(const engine::KeySet& keys, std::vector<std::string> txt,
                               KeyLineMeta meta);

// The lines of one name (with their "#@" lines); empty when the name cannot be written (white
// space or control bytes in it, or a leading '#').
std::string format_recorded(std::string_view name, const RecordedAnswer& answer);

class KeyRecorder {
 public:
  // Creates (truncates) path; throws KeySnapshotError when it cannot. verified_at, the run's clock
  // for x= (unix seconds), goes into the first line: the --at that replays the run's verdicts, and
  // replay_flags after it (" --legacy --min-rsa-bits 2048"), the policy flags the replay needs.
  KeyRecorder(const std::string& path, std::int64_t verified_at, std::string_view replay_flags = {});
  ~KeyRecorder();
  KeyRecorder(const KeyRecorder&) = delete;
  KeyRecorder& operator=(const KeyRecorder&) = delete;

  // True when name was already recorded (then there is no need to build its RecordedAnswer).
  bool recorded(std::string_view name) const;
  // Keeps name's answer unless it was recorded before. Thread-safe; never throws (running out of
  // memory is remembered and reported by finish()).
  void record(std::string_view name, const RecordedAnswer& answer) noexcept;
  // Writes the recorded names in byte order of their names, then closes the file; throws
  // KeySnapshotError on an I/O error. Idempotent.
  void finish();

  std::size_t names_recorded() const noexcept { return count_.load(std::memory_order_relaxed); }

 private:
  static constexpr std::size_t kShards = 16;
  struct Shard {
    mutable std::mutex mutex;
    // name → its lines (format_recorded; empty for a name that cannot be written)
    std::unordered_map<std::string, std::string, NameHash, std::equal_to<>> lines;
  };
  Shard& shard_for(std::string_view name) const;
  void note_error(int error) noexcept;  // keeps the first; file_mutex_ held (or in the constructor)

  std::string path_;
  mutable std::array<Shard, kShards> shards_;
  std::mutex file_mutex_;
  std::FILE* file_ = nullptr;  // guarded by file_mutex_
  int error_ = 0;              // the first error's errno, 0 while none (guarded by file_mutex_)
  std::atomic<std::size_t> count_{0};
};

}  // namespace dkimscan::cache
