// File: key_file.cpp
// Loads key files; each name's KeySet is built on its first lookup. Lines of one name gather
// into one answer (several TXT records, RFC 6376 §6.1.2 step 3); a "#@" metadata line applies
// to the record line after it.
#include "cache/key_file.h"

#include <filesystem>

#include "engine/whole_file.h"

namespace dkimscan::cache {
namespace {

// One name's lines while a file is being read.
struct PendingName {
  KeyLineKind kind = KeyLineKind::record;
  std::vector<std::string> txt_values;  // record lines, in file order
  std::string tempfail_text;
  KeyLineMeta meta;
  std::string origin;
};

[[noreturn]] void fail_at(std::string_view origin, std::size_t line_no, std::string_view what) {
  throw KeyFileError(std::string(origin) + ":" + std::to_string(line_no) + ": " + std::string(what));
}

// Snapshot metadata of one line joins the name's metadata (the last given value wins).
void merge_meta(KeyLineMeta& into, const KeyLineMeta& from) {
  if (from.ttl) into.ttl = from.ttl;
  if (from.queried) into.queried = from.queried;
  if (!from.server.empty()) into.server = from.server;
  if (from.reason != engine::Reason::ok) into.reason = from.reason;
  if (!from.detail.empty()) into.detail = from.detail;
}

// Adds one parsed line to its name; throws on a conflict between the name's lines.
void add_line(KeyLine& line, KeyLineMeta& next_meta, std::string_view origin, std::size_t line_no,
              std::unordered_map<std::string, PendingName>& names) {
  auto [it, inserted] = names.try_emplace(line.name);
  PendingName& name = it->second;
  if (inserted) {
    name.kind = line.kind;
    name.origin = std::string(origin) + ":" + std::to_string(line_no);
  } else if (name.kind != KeyLineKind::record || line.kind != KeyLineKind::record) {
    fail_at(origin, line_no, "'" + line.name + "' already has a conflicting line at " + name.origin);
  }
  if (line.kind == KeyLineKind::record) {
    if (next_meta.escaped) {
      auto value = unescape_key_value(line.value);
      if (!value) fail_at(origin, line_no, "bad escape in an escaped=1 value");
      line.value = std::move(*value);
    }
    name.txt_values.push_back(std::move(line.value));
  } else if (line.kind == KeyLineKind::tempfail) {
    name.tempfail_text = std::move(line.value);
  }
  merge_meta(name.meta, next_meta);
  next_meta = KeyLineMeta{};
}

}  // namespace

const engine::KeySetPtr& KeyFileEntry::keys() const {
  std::call_once(built_, [this] {
    switch (kind) {
      case KeyLineKind::nxdomain:
        // RFC 6376 §6.1.2 step 2: no key record → permerror (key_not_found).
        keys_ = engine::make_key_set_error(engine::Reason::key_not_found, meta.detail.empty() ? "NXDOMAIN" : meta.detail);
        break;
      case KeyLineKind::tempfail: {
        // RFC 6376 §6.1.2 step 2: a temporary DNS failure → temperror.
        const engine::Reason reason = meta.reason == engine::Reason::key_dns_timeout ? engine::Reason::key_dns_timeout
                                                                                     : engine::Reason::key_dns_servfail;
        keys_ = engine::make_key_set_error(reason, tempfail_text);
        break;
      }
      default:
        keys_ = engine::make_key_set(txt_values);
    }
  });
  return keys_;
}

KeyFileProvider::KeyFileProvider()
    : absent_(engine::make_key_set_error(engine::Reason::key_not_found,
                                         "NXDOMAIN (name not in the key files)")) {}

KeyFileProvider::KeyFileProvider(const std::vector<std::string>& paths) : KeyFileProvider() {
  for (const std::string& path : paths) load_file(path);
}

void KeyFileProvider::load_file(const std::string& path) {
  // A folder opens as a stream that reads nothing: without this check it would load as an empty
  // key file and every signature would end in key_not_found.
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) {
    throw KeyFileError(path + ": is a folder; --keys takes key files (cache/KEYFILE.md)");
  }
  std::string reason;
  const std::optional<std::string> text = engine::read_whole_file(path, reason);
  if (!text) throw KeyFileError(path + ": cannot read the key file: " + reason);
  load_text(*text, path);
}

void KeyFileProvider::load_text(std::string_view text, std::string_view origin) {
  std::unordered_map<std::string, PendingName> names;
  KeyLineMeta next_meta;
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const std::size_t end = text.find('\n');
    const std::string_view raw = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    KeyLine line = parse_key_line(raw);
    switch (line.kind) {
      case KeyLineKind::blank:
        break;
      case KeyLineKind::error:
        fail_at(origin, line_no, line.error);
      case KeyLineKind::meta:
        next_meta = std::move(line.meta);
        break;
      default:
        add_line(line, next_meta, origin, line_no, names);
    }
  }
  // Names of earlier files win: a later file cannot change an answer already loaded.
  for (auto& [name, pending] : names) {
    auto [it, inserted] = entries_.try_emplace(name);
    if (!inserted) continue;
    KeyFileEntry& entry = it->second;  // built in place: its once_flag cannot move
    entry.kind = pending.kind;
    entry.txt_values = std::move(pending.txt_values);
    entry.tempfail_text = std::move(pending.tempfail_text);
    entry.meta = std::move(pending.meta);
    entry.origin = std::move(pending.origin);
  }
}

const KeyFileEntry* KeyFileProvider::find(std::string_view name) const noexcept {
  try {
    std::string storage;
    const auto it = entries_.find(canonical_name(name, storage));
    return it == entries_.end() ? nullptr : &it->second;
  } catch (...) {  // std::bad_alloc from lower_name
    return nullptr;
  }
}

engine::KeySetPtr KeyFileProvider::lookup(std::string_view name) {
  const KeyFileEntry* entry = find(name);
  return entry ? entry->keys() : absent_;
}

}  // namespace dkimscan::cache
