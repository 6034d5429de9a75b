// File: fuzz/message_split_fuzz.cpp
// libFuzzer target for ParsedMessage::split, from_domain and header canonicalization: every view
// must lie inside the input, fields must come in order, and the body must be the input's tail.
#include <cstdint>
#include <cstdlib>
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
    canon_header(Canon::relaxed, f.raw, sink);
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
