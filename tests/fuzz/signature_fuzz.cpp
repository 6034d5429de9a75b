// File: signature_fuzz.cpp
// libFuzzer target for parse_signature() (RFC 6376 §3.5) under both policies, and for the §2.11
// dkim-quoted-printable decoder: no crash, and every accepted field has a b= span inside the value.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engine/message.h"
#include "engine/signature.h"

using namespace dkimscan::engine;

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

void check_accepted(const HeaderField& field, const Signature& sig) {
  check(sig.field == &field);
  check(sig.b_value_begin <= sig.b_value_end && sig.b_value_end <= field.value.size());
  check(sig.b_size > 0 && sig.b_size <= sig.b.size());
  check(sig.bh_size > 0 && sig.bh_size <= sig.bh.size());
  check(!sig.domain.empty() && !sig.selector.empty());
  if (sig.timestamp && sig.expiration) check(*sig.expiration >= *sig.timestamp);
  bool from = false;
  for_each_signed_header(sig.signed_headers, [&](std::string_view name) { from = from || iequals(name, "from"); });
  check(from);
  (void)check_signature_times(sig, 1700000000);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view value(reinterpret_cast<const char*>(data), size);
  const HeaderField field{value, "DKIM-Signature", value};
  static Signature sig;  // 1 KiB of arrays: keep it off the stack of every run
  for (Policy policy : {Policy::strict, Policy::legacy}) {
    const Reason reason = parse_signature(field, policy, sig);
    check(static_cast<std::size_t>(reason) < kReasonCount);
    if (reason == Reason::ok) check_accepted(field, sig);
  }
  std::array<char, 256> qp;
  std::size_t qp_size = 0;
  if (decode_dkim_quoted_printable(value, qp, qp_size)) check(qp_size <= qp.size() && qp_size <= size);
  return 0;
}
