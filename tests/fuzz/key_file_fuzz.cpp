// Fuzz target for the key-file line grammar (cache/key_file_format.h) and the loader
// (cache/key_file.h): no input may crash them, an error is a KeyFileError, and what the snapshot
// writer produces must read back to the same value and metadata.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cache/key_file.h"
#include "cache/key_file_format.h"

using namespace dkimscan::cache;

namespace {

void check_round_trips(std::string_view line) {
  const KeyLine parsed = parse_key_line(line);
  if (parsed.kind == KeyLineKind::record) {
    // Any value, escaped as a snapshot writes it, must come back byte for byte.
    const std::string escaped = escape_key_value(parsed.value);
    const auto back = unescape_key_value(escaped);
    if (!back || *back != parsed.value) __builtin_trap();
    const KeyLine again = parse_key_line("n " + escaped);
    if (again.kind != KeyLineKind::record || again.value != escaped) __builtin_trap();
  }
  if (parsed.kind == KeyLineKind::meta) {
    std::string text = format_key_meta(parsed.meta);
    if (text.empty()) return;
    text.pop_back();  // the '\n'
    const KeyLine back = parse_key_line(text);
    if (back.kind != KeyLineKind::meta || back.meta.ttl != parsed.meta.ttl ||
        back.meta.queried != parsed.meta.queried || back.meta.reason != parsed.meta.reason ||
        back.meta.escaped != parsed.meta.escaped) {
      __builtin_trap();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string_view rest = text;
  while (!rest.empty()) {
    const std::size_t end = rest.find('\n');
    check_round_trips(rest.substr(0, end));
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
  }
  try {
    KeyFileProvider keys;
    keys.load_text(text, "fuzz");
    for (const auto& [name, entry] : keys.entries()) {
      if (!entry.keys() || keys.lookup(name) != entry.keys()) __builtin_trap();
    }
  } catch (const KeyFileError&) {
  }
  return 0;
}
