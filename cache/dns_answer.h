// File: dns_answer.h
// Reads a raw DNS answer (RFC 1035 §4) for a TXT query: the TXT records at the queried name (through
// a CNAME chain), each record's character-strings joined (RFC 6376 §3.6.2.2), the TTL, the
// negative-caching TTL from the SOA (RFC 2308 §5), and where the chain ends when the answer stops
// at a CNAME (an authoritative server answers a CNAME into another zone with the CNAME alone). c-ares 1.18 has no TTL accessor for TXT, so the
// answer is parsed with libresolv's ns_initparse/ns_parserr. noexcept; a fuzz target.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace dkimscan::cache {

struct TxtAnswer {
  int rcode = 0;                          // RFC 1035 §4.1.1 RCODE (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED)
  bool truncated = false;                 // TC bit
  std::vector<std::string> txt;           // one value per TXT record, in answer order
  std::optional<std::uint32_t> ttl;       // the smallest TTL of the records used (TXT and CNAME)
  std::optional<std::uint32_t> negative_ttl;  // min(SOA TTL, SOA MINIMUM) from the authority section
  // The CNAME links followed from the question name, and the smallest of their TTLs.
  int cname_links = 0;
  std::optional<std::uint32_t> cname_ttl;
  // Set when the answer is NOERROR and ends at a CNAME whose target it says nothing about (no TXT
  // record, no SOA): the name to ask next (RFC 1034 §3.6.2), lower-cased.
  std::string unanswered_target;
};

// False when the message is not a well-formed DNS message (header, question, records, TXT rdata).
bool parse_txt_answer(std::span<const std::uint8_t> message, TxtAnswer& out) noexcept;

}  // namespace dkimscan::cache
