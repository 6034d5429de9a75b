// Fuzz target for the raw DNS answer reader (cache/dns_answer.h), which sees whatever a network
// peer sends: no input may crash it, and a successful parse keeps its invariants.
#include <cstddef>
#include <cstdint>
#include <span>

#include "cache/dns_answer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  dkimscan::cache::TxtAnswer answer;
  const bool ok = dkimscan::cache::parse_txt_answer(std::span<const std::uint8_t>(data, size), answer);
  if (!ok && !answer.txt.empty()) __builtin_trap();   // a failed parse returns no records
  if (ok && !answer.txt.empty() && !answer.ttl) __builtin_trap();  // records always carry a TTL
  if (answer.rcode < 0 || answer.rcode > 15) __builtin_trap();
  // A name to ask next only when the answer ended at a CNAME and gave no key: never a loop back to
  // "nothing followed", never alongside records.
  if (!answer.unanswered_target.empty() && (answer.cname_links == 0 || !answer.txt.empty())) __builtin_trap();
  if (answer.cname_links > 0 && !answer.cname_ttl) __builtin_trap();
  return 0;
}
