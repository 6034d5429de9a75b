// File: key_file_format.h
// One line of a key file (cache/KEYFILE.md): "<name> <TXT value>", "!NXDOMAIN", "!TEMPFAIL text",
// comments, and "#@ key=value ..." metadata lines that snapshots (--record-keys) add and plain
// readers skip as comments. Parsing and writing live together so that a written snapshot always
// reads back to the same answers; the parser is noexcept and is the fuzz target for key files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/verdict.h"

namespace dkimscan::cache {

// What a "#@" metadata line says about the record line after it. Every field is optional.
struct KeyLineMeta {
  std::optional<std::uint32_t> ttl;        // seconds the answer was valid for
  std::optional<std::int64_t> queried;     // unix seconds of the query
  std::string server;                      // "HOST:PORT" that answered (empty: unknown)
  engine::Reason reason = engine::Reason::ok;  // "reason=timeout": !TEMPFAIL is key_dns_timeout
  bool escaped = false;                    // the value uses \\ and \xHH escapes
  std::string detail;                      // the lookup's detail text, for negative answers
};

enum class KeyLineKind : std::uint8_t {
  blank,     // empty, only spaces, or a "#" comment
  meta,      // "#@ ..." metadata for the next record line
  record,    // "<name> <TXT value>"
  nxdomain,  // "<name> !NXDOMAIN"
  tempfail,  // "<name> !TEMPFAIL <text>"
  error,     // malformed: see error
};

struct KeyLine {
  KeyLineKind kind = KeyLineKind::blank;
  std::string name;   // lower case, one trailing dot removed (record, nxdomain, tempfail)
  std::string value;  // the TXT value (record) or the text (tempfail), escapes NOT yet undone
  KeyLineMeta meta;   // kind == meta
  std::string error;  // kind == error: what is wrong, for "file:line: error"
};

// Parses one line without its line end (a single trailing '\r' is ignored).
KeyLine parse_key_line(std::string_view line) noexcept;

// Undoes the \\ and \xHH escapes of a value written with escaped=1; nullopt when malformed.
std::optional<std::string> unescape_key_value(std::string_view value) noexcept;

// True when a TXT value cannot be written verbatim on one line: it holds CR, LF, NUL or a
// backslash-free line would be misread (a leading '!' looks like a directive).
bool key_value_needs_escape(std::string_view value) noexcept;
std::string escape_key_value(std::string_view value);

// Writes a "#@ ..." line (with its '\n'), or nothing when meta carries nothing.
std::string format_key_meta(const KeyLineMeta& meta);

// Lower-cases ASCII letters of a DNS name (DNS names compare case-insensitively, RFC 4343).
std::string lower_name(std::string_view name);

// The canonical form of a looked-up name (lower case, no trailing dot): name itself when it is
// already canonical (no allocation), else a copy made in storage.
// LIFETIME: the result may point into name or into storage.
std::string_view canonical_name(std::string_view name, std::string& storage);

}  // namespace dkimscan::cache
