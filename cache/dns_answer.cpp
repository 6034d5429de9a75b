// File: dns_answer.cpp
// TXT answers from raw DNS messages with libresolv: follow CNAMEs from the question name, join each
// TXT record's strings, take TTLs, and read the SOA MINIMUM for negative answers (RFC 2308 §5).
#include "cache/dns_answer.h"

#include <arpa/nameser.h>
#include <resolv.h>

#include <algorithm>
#include <cstring>
#include <string_view>

namespace dkimscan::cache {
namespace {

constexpr int kMaxChain = 8;  // CNAME links followed; more is a loop or an attack

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool same_name(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// RFC 1035 §3.3.14: TXT-DATA is one or more <character-string>s (a length byte, then the bytes).
bool join_txt(const ns_rr& rr, std::string& out) {
  const unsigned char* p = ns_rr_rdata(rr);
  const unsigned char* end = p + ns_rr_rdlen(rr);
  if (p == end) return false;  // TXT rdata holds at least one string
  while (p < end) {
    const std::size_t len = *p++;
    if (len > static_cast<std::size_t>(end - p)) return false;
    out.append(reinterpret_cast<const char*>(p), len);
    p += len;
  }
  return true;
}

void take_min(std::optional<std::uint32_t>& into, std::uint32_t value) noexcept {
  into = into ? std::min(*into, value) : value;
}

// RFC 2308 §5: the negative TTL is the smaller of the SOA record's TTL and its MINIMUM field,
// which is the last 32 bits of the rdata whatever the (compressed) names before it.
void read_soa_minimum(ns_msg& msg, TxtAnswer& out) {
  for (int i = 0; i < ns_msg_count(msg, ns_s_ns); ++i) {
    ns_rr rr;
    if (ns_parserr(&msg, ns_s_ns, i, &rr) < 0) return;
    if (ns_rr_type(rr) != ns_t_soa || ns_rr_rdlen(rr) < 22) continue;
    const unsigned char* min = ns_rr_rdata(rr) + ns_rr_rdlen(rr) - 4;
    const std::uint32_t minimum = (std::uint32_t{min[0]} << 24) | (std::uint32_t{min[1]} << 16) |
                                  (std::uint32_t{min[2]} << 8) | std::uint32_t{min[3]};
    take_min(out.negative_ttl, std::min<std::uint32_t>(ns_rr_ttl(rr), minimum));
    return;
  }
}

// The names that lead to the answer: the question name and the CNAME targets reached from it.
bool follow_cnames(ns_msg& msg, std::vector<std::string>& names, TxtAnswer& out) {
  char target[NS_MAXDNAME];
  for (int round = 0; round < kMaxChain; ++round) {
    bool grew = false;
    for (int i = 0; i < ns_msg_count(msg, ns_s_an); ++i) {
      ns_rr rr;
      if (ns_parserr(&msg, ns_s_an, i, &rr) < 0) return false;
      if (ns_rr_type(rr) != ns_t_cname || !same_name(ns_rr_name(rr), names.back())) continue;
      if (ns_name_uncompress(ns_msg_base(msg), ns_msg_end(msg), ns_rr_rdata(rr), target,
                             sizeof target) < 0) {
        return false;
      }
      take_min(out.ttl, ns_rr_ttl(rr));
      take_min(out.cname_ttl, ns_rr_ttl(rr));
      ++out.cname_links;
      names.emplace_back(target);
      grew = true;
      break;
    }
    if (!grew) break;
  }
  return true;
}

bool parse_records(ns_msg& msg, TxtAnswer& out) {
  if (ns_msg_count(msg, ns_s_qd) != 1) return ns_msg_count(msg, ns_s_an) == 0;
  ns_rr question;
  if (ns_parserr(&msg, ns_s_qd, 0, &question) < 0) return false;
  std::vector<std::string> names{ns_rr_name(question)};
  if (!follow_cnames(msg, names, out)) return false;
  for (int i = 0; i < ns_msg_count(msg, ns_s_an); ++i) {
    ns_rr rr;
    if (ns_parserr(&msg, ns_s_an, i, &rr) < 0) return false;
    if (ns_rr_type(rr) != ns_t_txt || ns_rr_class(rr) != ns_c_in) continue;
    const bool at_chain = std::any_of(names.begin(), names.end(), [&](const std::string& n) {
      return same_name(ns_rr_name(rr), n);
    });
    if (!at_chain) continue;
    std::string value;
    if (!join_txt(rr, value)) return false;
    out.txt.push_back(std::move(value));
    take_min(out.ttl, ns_rr_ttl(rr));
  }
  read_soa_minimum(msg, out);
  if (out.txt.empty()) {
    out.ttl.reset();  // no key here
    // An SOA says the chain's last name has no TXT record (NODATA, RFC 2308 §2.2); without one the
    // server did not speak for that name, which is what an authoritative server does for a CNAME
    // into a zone it does not serve.
    if (names.size() > 1 && out.rcode == ns_r_noerror && !out.negative_ttl) {
      out.unanswered_target = names.back();
      for (char& c : out.unanswered_target) c = lower(c);
    }
  }
  return true;
}

}  // namespace

bool parse_txt_answer(std::span<const std::uint8_t> message, TxtAnswer& out) noexcept {
  out = TxtAnswer{};
  if (message.size() < NS_HFIXEDSZ || message.size() > 65535) return false;
  ns_msg msg;
  if (ns_initparse(message.data(), static_cast<int>(message.size()), &msg) < 0) return false;
  out.rcode = ns_msg_getflag(msg, ns_f_rcode);
  out.truncated = ns_msg_getflag(msg, ns_f_tc) != 0;
  try {
    if (parse_records(msg, out)) return true;
  } catch (...) {  // std::bad_alloc
  }
  out.txt.clear();
  return false;
}

}  // namespace dkimscan::cache
