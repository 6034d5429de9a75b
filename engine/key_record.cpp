// File: key_record.cpp
// Parses a DKIM key record (RFC 6376 §3.6.1) once into a KeyRecord holding a ready EVP_PKEY, and
// builds the immutable KeySet the key cache shares between threads. Key-size policy is not decided
// here: the verifier applies it with the signature's Policy (RFC 8301 §3.2).
#include "engine/key_record.h"

#include <array>
#include <span>

#include <openssl/evp.h>

#include "engine/crypto/signature_check.h"
#include "engine/message.h"
#include "engine/tag_list.h"

namespace dkimscan::engine {
namespace {

// p= of an RSA key of 16384 bits is about 2,100 bytes; anything beyond 4 KiB is no sane key.
constexpr std::size_t kMaxKeyBytes = 4096;

// §3.6.1 v=: "If specified, this tag MUST be set to "DKIM1" ... and MUST be the first tag".
Reason check_version(const TagList& tags) noexcept {
  const Tag* v = tags.find("v");
  if (v == nullptr) return Reason::ok;
  if (v != tags.begin() || v->value != "DKIM1") return Reason::key_bad_version;
  return Reason::ok;
}

// §3.6.1 h=, s=, t=: colon lists whose unknown items are ignored.
void parse_flags(const TagList& tags, KeyRecord& rec) noexcept {
  if (const Tag* h = tags.find("h")) {
    rec.sha1_allowed = false;
    rec.sha256_allowed = false;
    for_each_colon_item(h->value, [&](std::string_view name) {
      const auto hash = parse_hash(name);
      if (hash == HashAlg::sha1) rec.sha1_allowed = true;
      if (hash == HashAlg::sha256) rec.sha256_allowed = true;
    });
  }
  if (const Tag* s = tags.find("s")) {
    rec.email_service = false;
    for_each_colon_item(s->value, [&](std::string_view service) {
      if (service == "*" || iequals(service, "email")) rec.email_service = true;
    });
  }
  if (const Tag* t = tags.find("t")) {
    for_each_colon_item(t->value, [&](std::string_view flag) {
      if (iequals(flag, "y")) rec.testing = true;
      if (iequals(flag, "s")) rec.strict_subdomains = true;
    });
  }
}

// §3.6.1 p=: required; empty means revoked; otherwise base64 (FWS allowed) of the key data.
Reason decode_key_data(const Tag* p, KeyRecord& rec) noexcept {
  if (p == nullptr) return Reason::key_syntax;
  if (p->value.empty()) return Reason::key_revoked;
  std::array<unsigned char, kMaxKeyBytes> der;
  const std::ptrdiff_t size = decode_base64_fws(p->value, der.data(), der.size());
  if (size <= 0) return Reason::key_bad_data;
  unsigned bits = 0;
  rec.key = decode_public_key(rec.type, std::span<const unsigned char>(der.data(), static_cast<std::size_t>(size)), bits);
  if (!rec.key) return Reason::key_bad_data;
  rec.bits = bits;
  return Reason::ok;
}

Reason parse_into(std::string_view txt, KeyRecord& rec) noexcept {
  TagList tags;
  if (tags.parse(txt) != TagListStatus::ok) return Reason::key_syntax;
  if (Reason r = check_version(tags); r != Reason::ok) return r;
  // §3.6.1 k=: "rsa" is the default; RFC 8463 §4 adds "ed25519".
  if (const Tag* k = tags.find("k")) {
    const auto type = parse_key_type(k->value);
    if (!type) return Reason::key_unknown_type;
    rec.type = *type;
  }
  // Every other tag, including RFC 4871's g= that RFC 6376 removed, is ignored (§3.2).
  parse_flags(tags, rec);
  return decode_key_data(tags.find("p"), rec);
}

}  // namespace

void PublicKeyDeleter::operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }

KeyRecord parse_key_record(std::string_view txt) noexcept {
  KeyRecord rec;
  rec.status = parse_into(txt, rec);
  if (rec.status != Reason::ok) {
    rec.key.reset();
    rec.bits = 0;
  }
  return rec;
}

KeySetPtr make_key_set(const std::vector<std::string>& txt_values) {
  auto set = std::make_shared<KeySet>();
  if (txt_values.empty()) {
    // §6.1.2 step 3: no key record at the name is a PERMFAIL.
    set->lookup = Reason::key_not_found;
    set->detail = "no TXT record";
    return set;
  }
  set->records.reserve(txt_values.size());
  for (const std::string& txt : txt_values) set->records.push_back(parse_key_record(txt));
  return set;
}

KeySetPtr make_key_set_error(Reason lookup, std::string detail) {
  auto set = std::make_shared<KeySet>();
  set->lookup = lookup;
  set->detail = std::move(detail);
  return set;
}

}  // namespace dkimscan::engine
