// File: key_record_fuzz.cpp
// libFuzzer target for parse_key_record() (RFC 6376 §3.6.1) and make_key_set(): no crash, no leak,
// and a record holds a key exactly when its status is ok.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "engine/key_record.h"

using namespace dkimscan::engine;

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

void check_record(const KeyRecord& rec) {
  check((rec.status == Reason::ok) == (rec.key != nullptr));
  if (rec.status == Reason::ok) check(rec.bits > 0);
  else check(rec.bits == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view txt(reinterpret_cast<const char*>(data), size);
  check_record(parse_key_record(txt));

  // Several TXT records at one name: split the input at NUL bytes.
  std::vector<std::string> values;
  std::size_t start = 0;
  while (start <= txt.size() && values.size() < 4) {
    std::size_t nul = txt.find('\0', start);
    if (nul == std::string_view::npos) nul = txt.size();
    values.emplace_back(txt.substr(start, nul - start));
    start = nul + 1;
  }
  const KeySetPtr set = make_key_set(values);
  check(set != nullptr && set->lookup == Reason::ok && set->records.size() == values.size());
  for (const KeyRecord& rec : set->records) check_record(rec);
  return 0;
}
