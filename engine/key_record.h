// File: key_record.h
// A DKIM key record (RFC 6376 §3.6.1), parsed once into a ready-to-use public key. A KeySet holds
// everything one DNS name answered (several TXT records are possible); it is immutable once built
// and shared between threads through KeySetPtr, which is what the key cache stores.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/algorithms.h"
#include "engine/verdict.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace dkimscan::engine {

struct PublicKeyDeleter {
  void operator()(EVP_PKEY* key) const noexcept;
};
using PublicKeyPtr = std::unique_ptr<EVP_PKEY, PublicKeyDeleter>;

struct KeyRecord {
  Reason status = Reason::ok;  // ok, or why the record is unusable (key_syntax, key_revoked, ...)
  KeyType type = KeyType::rsa;
  bool sha1_allowed = true;    // h= (absent: every hash allowed)
  bool sha256_allowed = true;
  bool email_service = true;   // s= contains "email" or "*" (absent: "*")
  bool testing = false;        // t=y
  bool strict_subdomains = false;  // t=s
  unsigned bits = 0;           // RSA modulus size; 256 for Ed25519
  PublicKeyPtr key;            // null unless status == ok
};

// Parses one TXT record value (the strings of the record already joined).
KeyRecord parse_key_record(std::string_view txt) noexcept;

// What looking up one name produced. The documented rule for several TXT records (RFC 6376
// §6.1.2 step 3 leaves it open): every record is tried in the order given; the signature passes if
// any usable record verifies it; otherwise the first record's outcome is reported.
struct KeySet {
  Reason lookup = Reason::ok;  // ok, key_not_found, key_dns_timeout or key_dns_servfail
  std::string detail;          // e.g. the DNS error text: a failed lookup's reported as the
                               // signature's key_detail, and written to --record-keys snapshots
  std::vector<KeyRecord> records;  // in answer order; never empty when lookup == ok
};
using KeySetPtr = std::shared_ptr<const KeySet>;

// Builds a KeySet from the TXT values found at one name (empty: key_not_found).
KeySetPtr make_key_set(const std::vector<std::string>& txt_values);
// A KeySet for a failed lookup.
KeySetPtr make_key_set_error(Reason lookup, std::string detail);

}  // namespace dkimscan::engine
