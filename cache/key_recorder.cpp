// File: key_recorder.cpp
// Key snapshots: each name once, its metadata on a "#@" line before its first record line, values
// that a line cannot hold verbatim written with escaped=1 (cache/KEYFILE.md).
#include "cache/key_recorder.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace dkimscan::cache {
namespace {

// The first line: what the file is, and how to replay it. x= expiry depends on the clock, and key
// sizes and local rules on the policy flags, so the verdicts are the recorded run's only with its
// clock (--at) and its flags.
std::string snapshot_header(std::int64_t verified_at, std::string_view replay_flags) {
  std::tm tm{};
  const std::time_t time = static_cast<std::time_t>(verified_at);
  char iso[32] = "?";
  if (gmtime_r(&time, &tm) != nullptr) std::strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return "# dkimscan key snapshot (cache/KEYFILE.md) of a run that verified as of " + std::string(iso) +
         "; replay it with --keys FILE --at " + std::to_string(verified_at) + std::string(replay_flags) + "\n";
}

// A name parse_key_line() would read back as written: one word, no comment, no empty label and
// no trailing dot (which it strips, so "x." would merge with "x"). Other names are not recorded.
bool writable_name(std::string_view name) noexcept {
  if (name.empty() || name.front() == '#' || name.back() == '.') return false;
  if (name.find("..") != std::string_view::npos) return false;
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) return false;
  }
  return true;
}

}  // namespace

RecordedAnswer recorded_answer(const engine::KeySet& keys, std::vector<std::string> txt,
                               KeyLineMeta meta) {
  RecordedAnswer answer;
  answer.meta = std::move(meta);
  answer.meta.escaped = false;
  answer.meta.reason = engine::Reason::ok;
  answer.meta.detail.clear();
  switch (keys.lookup) {
    case engine::Reason::ok:
      answer.kind = KeyLineKind::record;
      answer.txt = std::move(txt);
      break;
    case engine::Reason::key_dns_timeout:
    case engine::Reason::key_dns_servfail:
      answer.kind = KeyLineKind::tempfail;
      answer.text = keys.detail;
      answer.meta.reason = keys.lookup;
      break;
    default:  // key_not_found: RFC 6376 §6.1.2, no key record
      answer.kind = KeyLineKind::nxdomain;
      answer.meta.detail = keys.detail;
      break;
  }
  return answer;
}

std::string format_recorded(std::string_view name, const RecordedAnswer& answer) {
  if (!writable_name(name)) return {};
  std::string out;
  const std::string line_start = std::string(name) + " ";
  if (answer.kind == KeyLineKind::nxdomain) {
    out += format_key_meta(answer.meta);
    out += line_start + "!NXDOMAIN\n";
  } else if (answer.kind == KeyLineKind::tempfail) {
    out += format_key_meta(answer.meta);
    std::string text = answer.text;
    for (char& c : text) {
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';  // the text must stay on its line
    }
    out += line_start + "!TEMPFAIL " + text + "\n";
  } else {
    for (std::size_t i = 0; i < answer.txt.size(); ++i) {
      KeyLineMeta meta = i == 0 ? answer.meta : KeyLineMeta{};
      meta.escaped = key_value_needs_escape(answer.txt[i]);
      out += format_key_meta(meta);
      out += line_start + (meta.escaped ? escape_key_value(answer.txt[i]) : answer.txt[i]) + "\n";
    }
  }
  return out;
}

KeyRecorder::KeyRecorder(const std::string& path, std::int64_t verified_at, std::string_view replay_flags)
    : path_(path) {
  file_ = std::fopen(path.c_str(), "wb");
  if (file_ == nullptr) {
    throw KeySnapshotError(path + ": cannot create the key snapshot: " + std::strerror(errno));
  }
  const std::string header = snapshot_header(verified_at, replay_flags);
  // On disk at once: a run that is killed leaves a file that says what it is, if nothing more.
  if (std::fwrite(header.data(), 1, header.size(), file_) != header.size() || std::fflush(file_) != 0) {
    note_error(errno);
  }
}

void KeyRecorder::note_error(int error) noexcept {
  if (error_ == 0) error_ = error != 0 ? error : EIO;  // stdio need not set errno
}

KeyRecorder::~KeyRecorder() {
  if (file_ != nullptr) std::fclose(file_);
}

KeyRecorder::Shard& KeyRecorder::shard_for(std::string_view name) const {
  return shards_[NameHash{}(name) % kShards];
}

bool KeyRecorder::recorded(std::string_view name) const {
  Shard& shard = shard_for(name);
  std::lock_guard lock(shard.mutex);
  return shard.lines.contains(name);
}

void KeyRecorder::record(std::string_view name, const RecordedAnswer& answer) noexcept {
  try {
    Shard& shard = shard_for(name);
    if (recorded(name)) return;
    std::string text = format_recorded(name, answer);  // outside the lock: it allocates
    std::lock_guard lock(shard.mutex);
    if (shard.lines.try_emplace(std::string(name), std::move(text)).second) {
      count_.fetch_add(1, std::memory_order_relaxed);
    }
  } catch (...) {  // std::bad_alloc: the snapshot is incomplete, say so at the end
    std::lock_guard lock(file_mutex_);
    note_error(ENOMEM);
  }
}

void KeyRecorder::finish() {
  std::lock_guard lock(file_mutex_);
  if (file_ == nullptr) return;
  // Sorted, so that the file does not depend on which worker asked for which key first.
  std::vector<std::pair<std::string_view, std::string_view>> names;
  for (Shard& shard : shards_) {
    std::lock_guard shard_lock(shard.mutex);
    for (const auto& [name, text] : shard.lines) names.emplace_back(name, text);
  }
  std::sort(names.begin(), names.end());
  // An answer that could not be kept (out of memory, noted by record()) costs that name only.
  bool write_failed = false;
  for (const auto& [name, text] : names) {
    if (write_failed) break;
    if (std::fwrite(text.data(), 1, text.size(), file_) != text.size()) {
      note_error(errno);
      write_failed = true;
    }
  }
  if (std::fclose(file_) != 0) note_error(errno);
  file_ = nullptr;
  if (error_ != 0) {
    throw KeySnapshotError(path_ + ": the key snapshot could not be written completely: " + std::strerror(error_));
  }
}

}  // namespace dkimscan::cache
