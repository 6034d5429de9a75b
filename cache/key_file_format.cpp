// File: key_file_format.cpp
// The line grammar of key files (cache/KEYFILE.md): split at the first space, "!" directives,
// "#@" metadata, and the \xHH escapes that snapshots use for values a line cannot hold.
#include "cache/key_file_format.h"

#include <charconv>

namespace dkimscan::cache {
namespace {

constexpr std::string_view kNxdomain = "!NXDOMAIN";
constexpr std::string_view kTempfail = "!TEMPFAIL";
constexpr std::string_view kMetaPrefix = "#@";

bool is_space(char c) noexcept { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

KeyLine make_error(std::string message) {
  KeyLine line;
  line.kind = KeyLineKind::error;
  line.error = std::move(message);
  return line;
}

template <typename Int>
bool parse_int(std::string_view text, Int& out) noexcept {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// One "key=value" token of a metadata line; false when the value is malformed. Unknown keys are
// ignored so that later versions may add fields.
bool apply_meta_token(std::string_view key, std::string_view value, KeyLineMeta& meta) noexcept {
  if (key == "ttl") {
    std::uint32_t ttl = 0;
    if (!parse_int(value, ttl)) return false;
    meta.ttl = ttl;
  } else if (key == "queried") {
    std::int64_t queried = 0;
    if (!parse_int(value, queried)) return false;
    meta.queried = queried;
  } else if (key == "server") {
    meta.server = std::string(value);
  } else if (key == "reason") {
    if (value == "timeout") {
      meta.reason = engine::Reason::key_dns_timeout;
    } else if (value == "servfail") {
      meta.reason = engine::Reason::key_dns_servfail;
    } else {
      return false;
    }
  } else if (key == "escaped") {
    if (value != "0" && value != "1") return false;
    meta.escaped = value == "1";
  }
  return true;
}

// "#@ ttl=300 queried=1700000000 server=127.0.0.1:53 detail=free text to the end of the line"
KeyLine parse_meta(std::string_view rest) noexcept {
  KeyLine line;
  line.kind = KeyLineKind::meta;
  while (true) {
    while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
    if (rest.empty()) break;
    const std::size_t eq = rest.find('=');
    if (eq == std::string_view::npos || eq == 0) return make_error("metadata token without key=value");
    const std::string_view key = rest.substr(0, eq);
    if (key.find_first_of(" \t") != std::string_view::npos) {
      return make_error("metadata token without key=value");
    }
    if (key == "detail") {  // the last key: its value runs to the end of the line
      line.meta.detail = std::string(rest.substr(eq + 1));
      break;
    }
    std::size_t end = rest.find_first_of(" \t", eq + 1);
    if (end == std::string_view::npos) end = rest.size();
    if (!apply_meta_token(key, rest.substr(eq + 1, end - eq - 1), line.meta)) {
      return make_error("bad metadata value for '" + std::string(key) + "'");
    }
    rest.remove_prefix(end);
  }
  return line;
}

// The value part after "<name> ": a directive or a verbatim TXT value.
KeyLine parse_value(std::string name, std::string_view value) noexcept {
  KeyLine line;
  line.name = std::move(name);
  if (value.empty() || value.front() != '!') {
    line.kind = KeyLineKind::record;
    line.value = std::string(value);
    return line;
  }
  if (value == kNxdomain) {
    line.kind = KeyLineKind::nxdomain;
    return line;
  }
  if (value.starts_with(kTempfail) &&
      (value.size() == kTempfail.size() || value[kTempfail.size()] == ' ')) {
    line.kind = KeyLineKind::tempfail;
    line.value = std::string(trim(value.substr(kTempfail.size())));
    return line;
  }
  return make_error("unknown directive '" + std::string(value.substr(0, value.find(' '))) +
                    "' (values starting with '!' must be escaped)");
}

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string lower_name(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view canonical_name(std::string_view name, std::string& storage) {
  if (name.size() > 1 && name.back() == '.') name.remove_suffix(1);
  for (const char c : name) {
    if (c >= 'A' && c <= 'Z') {
      storage = lower_name(name);
      return storage;
    }
  }
  return name;
}

KeyLine parse_key_line(std::string_view line) noexcept {
  try {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.starts_with(kMetaPrefix)) return parse_meta(line.substr(kMetaPrefix.size()));
    const std::string_view trimmed = trim(line);
    if (trimmed.empty() || trimmed.front() == '#') return KeyLine{};
    if (is_space(line.front())) return make_error("line starts with white space (no name)");
    const std::size_t space = line.find(' ');
    if (space == std::string_view::npos) return make_error("no space between name and value");
    std::string_view name = line.substr(0, space);
    if (name.find('\t') != std::string_view::npos) return make_error("tab inside the name");
    // An empty label ("a..b", "name..") is no DNS name; refusing it also keeps names canonical:
    // lookups strip one trailing dot, so "x.." stored as "x." could never be found.
    if (name.find("..") != std::string_view::npos) return make_error("empty label in the name");
    if (name.size() > 1 && name.back() == '.') name.remove_suffix(1);
    if (name.empty() || name == ".") return make_error("empty name");
    return parse_value(lower_name(name), line.substr(space + 1));
  } catch (...) {  // std::bad_alloc only
    return make_error("out of memory");
  }
}

std::optional<std::string> unescape_key_value(std::string_view value) noexcept {
  try {
    std::string out;
    out.reserve(value.size());
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (value[i] != '\\') {
        out.push_back(value[i]);
        continue;
      }
      if (i + 1 < value.size() && value[i + 1] == '\\') {
        out.push_back('\\');
        i += 1;
        continue;
      }
      if (i + 3 >= value.size()) return std::nullopt;  // \xHH needs three more bytes
      if (value[i + 1] != 'x') return std::nullopt;
      const int hi = hex_digit(value[i + 2]);
      const int lo = hex_digit(value[i + 3]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 3;
    }
    return out;
  } catch (...) {
    return std::nullopt;
  }
}

bool key_value_needs_escape(std::string_view value) noexcept {
  if (!value.empty() && value.front() == '!') return true;
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t') || byte == 0x7f) return true;
  }
  return false;
}

std::string escape_key_value(std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(value.size() + 8);
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto byte = static_cast<unsigned char>(value[i]);
    const bool control = (byte < 0x20 && value[i] != '\t') || byte == 0x7f;
    if (value[i] == '\\') {
      out += "\\\\";
    } else if (control || (i == 0 && value[i] == '!')) {
      out += "\\x";
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    } else {
      out.push_back(value[i]);
    }
  }
  return out;
}

std::string format_key_meta(const KeyLineMeta& meta) {
  std::string out;
  if (meta.ttl) out += " ttl=" + std::to_string(*meta.ttl);
  if (meta.queried) out += " queried=" + std::to_string(*meta.queried);
  if (!meta.server.empty()) {
    std::string server = meta.server;  // one token: white space would split it
    for (char& c : server) {
      if (static_cast<unsigned char>(c) <= 0x20) c = '_';
    }
    out += " server=" + server;
  }
  if (meta.reason == engine::Reason::key_dns_timeout) out += " reason=timeout";
  if (meta.reason == engine::Reason::key_dns_servfail) out += " reason=servfail";
  if (meta.escaped) out += " escaped=1";
  if (!meta.detail.empty()) {
    // The detail runs to the end of the line: line ends inside it would break the file.
    std::string detail = meta.detail;
    for (char& c : detail) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    out += " detail=" + detail;
  }
  if (out.empty()) return out;
  return std::string(kMetaPrefix) + out + "\n";
}

}  // namespace dkimscan::cache
