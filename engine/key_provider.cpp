// File: key_provider.cpp
// The DNS name a key is published at (RFC 6376 §3.6.2.1): "<selector>._domainkey.<domain>",
// lower-cased so that cache keys for differently-cased d= and s= coincide (DNS is case-insensitive).
#include "engine/key_provider.h"

namespace dkimscan::engine {

void assign_key_name(std::string_view selector, std::string_view domain, std::string& out) {
  constexpr std::string_view kInfix = "._domainkey.";
  out.clear();
  out.reserve(selector.size() + kInfix.size() + domain.size());
  out.append(selector).append(kInfix).append(domain);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
}

std::string key_name(std::string_view selector, std::string_view domain) {
  std::string name;
  assign_key_name(selector, domain, name);
  return name;
}

}  // namespace dkimscan::engine
