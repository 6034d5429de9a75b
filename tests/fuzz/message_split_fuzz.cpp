// File: tests/fuzz/message_split_fuzz.cpp
// libFuzzer target for ParsedMessage::split, from_domain and header canonicalization: every view
// must lie inside the input, fields must come in order, and the body must be the input's tail.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/canon.h"
#include "engine/header_hash.h"
#include "engine/message.h"

namespace {

using dkimscan::engine::ByteSink;

class CountingSink final : public ByteSink {
 public:
  void write(std::string_view bytes) noexcept override { size += bytes.size(); }
  std::size_t size = 0;
};

void require(bool ok) {
  if (!ok) std::abort();
}

// Plain reference of RFC 6376 §3.4.2 for one field: name lower-cased and trimmed, value
// unfolded (CRLF and bare LF removed, a lone CR kept), WSP runs to one SP, value trimmed.
std::string relaxed_reference(std::string_view raw) {
  const std::size_t colon = raw.find(':');
  std::string name(raw.substr(0, colon));
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.pop_back();
  for (char& c : name) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  std::string unfolded;
  const std::string_view value = raw.substr(colon + 1);
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\n' || (value[i] == '\r' && i + 1 < value.size() && value[i + 1] == '\n')) continue;
    unfolded += value[i];
  }
  std::string out;
  bool wsp = false;
  for (const char c : unfolded) {
    if (c == ' ' || c == '\t') {
      wsp = true;
      continue;
    }
    if (wsp && !out.empty()) out += ' ';
    wsp = false;
    out += c;
  }
  return name + ":" + out + "\r\n";
}

bool inside(std::string_view part, std::string_view whole) {
  if (part.empty()) return true;
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dkimscan::engine;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  static ParsedMessage message;  // reused, as a worker thread does
  message.split(input);
  require((size == 0) == (message.defect() == MessageDefect::empty));
  require(message.header_block().data() == input.data() || message.header_block().empty());
  require(inside(message.header_block(), input));
  require(message.body().data() + message.body().size() == input.data() + input.size());
  const char* last_end = input.data();
  for (const HeaderField& f : message.fields()) {
    require(inside(f.raw, message.header_block()));
    require(f.raw.data() >= last_end);
    last_end = f.raw.data() + f.raw.size();
    require(f.name.data() == f.raw.data() && !f.name.empty());
    require(inside(f.value, f.raw));
    require(f.raw[f.name.size()] == ':');  // the name keeps any WSP before ':' (obs syntax)
    require(f.value.data() == f.raw.data() + f.name.size() + 1);
    const std::string_view domain = from_domain(f.value);
    require(inside(domain, f.value));
    CountingSink sink;
    canon_header(Canon::simple, f.raw, sink);
    require(sink.size >= f.raw.size());
    dkimscan::engine::StringSink relaxed;
    canon_header(Canon::relaxed, f.raw, relaxed);
    require(relaxed.text == relaxed_reference(f.raw));
    canon_signature_header(Canon::relaxed, f.raw, f.raw.size() / 3, f.raw.size() / 2, sink);
    canon_signature_header(Canon::simple, f.raw, f.raw.size() / 3, f.raw.size() / 2, sink);
  }
  require(last_end <= message.body().data());
  // Any h= (here: the first field's value) must select without crashing.
  if (!message.fields().empty()) {
    std::size_t picked = 0;
    select_signed_headers(message.fields(), message.fields().front().value, [&](const HeaderField* f) {
      if (f != nullptr) ++picked;
    });
    require(picked <= message.fields().size());
  }
  return 0;
}
