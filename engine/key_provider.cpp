// File: key_provider.cpp
// The DNS name a key is published at (RFC 6376 §3.6.2.1): "<selector>._domainkey.<domain>",
// lower-cased so that cache keys for differently-cased d= and s= coincide (DNS is case-insensitive).
#include "engine/key_provider.h"

namespace dkimscan::engine {

std::string key_name(std::string_view selector, std::string_view domain) {
  constexpr std::string_view kInfix = "._domainkey.";
  std::string name;
  name.reserve(selector.size() + kInfix.size() + domain.size());
  name.append(selector).append(kInfix).append(domain);
  for (char& c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return name;
}

}  // namespace dkimscan::engine
