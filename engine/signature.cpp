// File: signature.cpp
// Parses one DKIM-Signature field value into a Signature and applies the per-signature checks of
// RFC 6376 §6.1.1 that need neither the key nor the clock, returning the first failing Reason.
// Tags are dispatched once with tag_key(); unknown tags are ignored (§3.2). Allocates nothing.
#include "engine/signature.h"

#include <algorithm>
#include <limits>

namespace dkimscan::engine {
namespace {

// The tags this parser reads, found in one pass over the list.
struct SigTags {
  const Tag* v = nullptr;
  const Tag* a = nullptr;
  const Tag* b = nullptr;
  const Tag* bh = nullptr;
  const Tag* c = nullptr;
  const Tag* d = nullptr;
  const Tag* h = nullptr;
  const Tag* i = nullptr;
  const Tag* l = nullptr;
  const Tag* q = nullptr;
  const Tag* s = nullptr;
  const Tag* t = nullptr;
  const Tag* x = nullptr;
  const Tag* z = nullptr;
};

SigTags collect_tags(const TagList& tags) noexcept {
  SigTags st;
  for (const Tag& tag : tags) {
    switch (tag_key(tag.name)) {
      case tag_key("v"): st.v = &tag; break;
      case tag_key("a"): st.a = &tag; break;
      case tag_key("b"): st.b = &tag; break;
      case tag_key("bh"): st.bh = &tag; break;
      case tag_key("c"): st.c = &tag; break;
      case tag_key("d"): st.d = &tag; break;
      case tag_key("h"): st.h = &tag; break;
      case tag_key("i"): st.i = &tag; break;
      case tag_key("l"): st.l = &tag; break;
      case tag_key("q"): st.q = &tag; break;
      case tag_key("s"): st.s = &tag; break;
      case tag_key("t"): st.t = &tag; break;
      case tag_key("x"): st.x = &tag; break;
      case tag_key("z"): st.z = &tag; break;
      default: break;  // §3.2: "Unrecognized tags MUST be ignored."
    }
  }
  return st;
}

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_alnum(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// A decimal of 1..max_digits digits. On overflow: the largest value if saturate, else nullopt.
std::optional<std::uint64_t> parse_decimal(std::string_view text, std::size_t max_digits, bool saturate) noexcept {
  if (text.empty() || text.size() > max_digits) return std::nullopt;
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t value = 0;
  bool overflow = false;
  for (char c : text) {
    if (!is_digit(c)) return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (kMax - digit) / 10) overflow = true;
    if (!overflow) value = value * 10 + digit;
  }
  if (overflow) return saturate ? std::optional<std::uint64_t>(kMax) : std::nullopt;
  return value;
}


// Who signed with what, as written, before any tag is checked: a signature refused early (rsa-sha1
// under the strict policy, an unknown a=, a bad c=, no v=) is still reported with its d=, s=, i=,
// a= and c=, which is what a person needs to find its signer.
void record_written_facts(const SigTags& st, Signature& out) noexcept {
  if (st.d != nullptr) out.domain = st.d->value;
  if (st.s != nullptr) out.selector = st.s->value;
  if (st.i != nullptr) out.auid = st.i->value;
  if (st.a != nullptr) out.algorithm_text = st.a->value;
  if (st.c != nullptr) out.canon_text = st.c->value;
  if (st.h != nullptr) out.signed_headers = st.h->value;
}

// §3.5 v=: exactly "1". Draft-era fields (no v=, or the drafts' v=0.5) pass only under legacy.
Reason check_version(const Tag* v, Policy policy, Signature& out) noexcept {
  if (v == nullptr) {
    if (policy == Policy::strict) return Reason::sig_no_version;
    out.has_version = false;
    return Reason::ok;
  }
  if (v->value.empty()) return Reason::sig_missing_v;
  if (v->value == "1") {
    out.has_version = true;
    return Reason::ok;
  }
  if (policy == Policy::legacy && v->value == "0.5") {
    out.has_version = false;
    return Reason::ok;
  }
  return Reason::sig_bad_version;
}

// §3.5: a=, b=, bh=, d=, h=, s= are REQUIRED (v= is handled by check_version).
Reason check_required(const SigTags& st) noexcept {
  if (st.a == nullptr) return Reason::sig_missing_a;
  if (st.b == nullptr) return Reason::sig_missing_b;
  if (st.bh == nullptr) return Reason::sig_missing_bh;
  if (st.d == nullptr) return Reason::sig_missing_d;
  if (st.h == nullptr) return Reason::sig_missing_h;
  if (st.s == nullptr) return Reason::sig_missing_s;
  return Reason::ok;
}

std::optional<Canon> parse_canon_word(std::string_view word) noexcept {
  if (iequals(word, "simple")) return Canon::simple;
  if (iequals(word, "relaxed")) return Canon::relaxed;
  return std::nullopt;
}

// §3.5 c= = sig-c-tag-alg ["/" sig-c-tag-alg]; absent: simple/simple; header only: body simple.
Reason parse_canonicalization(const Tag* c, Signature& out) noexcept {
  if (c == nullptr) return Reason::ok;
  out.canon_text = c->value;
  const std::size_t slash = c->value.find('/');
  const auto header = parse_canon_word(c->value.substr(0, slash));
  if (!header) return Reason::sig_bad_canonicalization;
  out.header_canon = *header;
  if (slash == std::string_view::npos) return Reason::ok;
  const auto body = parse_canon_word(c->value.substr(slash + 1));
  if (!body) return Reason::sig_bad_canonicalization;
  out.body_canon = *body;
  return Reason::ok;
}

// §3.3 a=, RFC 8463 §3, RFC 8301 §3.1; then b=, bh= (§3.5 base64string, FWS allowed) and c=.
Reason parse_crypto_tags(const SigTags& st, Policy policy, Signature& out) noexcept {
  out.algorithm_text = st.a->value;
  const auto algorithm = parse_algorithm(st.a->value);
  if (!algorithm) return Reason::sig_unknown_algorithm;
  // RFC 8301 §3.1: rsa-sha1 "MUST NOT be used for signing or verifying".
  if (*algorithm == Algorithm::rsa_sha1 && policy == Policy::strict) return Reason::sig_rsa_sha1_rejected;
  out.algorithm = *algorithm;

  const std::ptrdiff_t b_size = decode_base64_fws(st.b->value, out.b.data(), out.b.size());
  if (b_size <= 0) return Reason::sig_bad_base64;
  out.b_size = static_cast<std::size_t>(b_size);
  // §3.7: the raw span of b='s value (FWS included) is what the header hash empties.
  out.b_value_begin = st.b->raw_value_begin;
  out.b_value_end = st.b->raw_value_end;

  const std::ptrdiff_t bh_size = decode_base64_fws(st.bh->value, out.bh.data(), out.bh.size());
  if (bh_size <= 0) return Reason::sig_bad_base64;
  out.bh_size = static_cast<std::size_t>(bh_size);
  return parse_canonicalization(st.c, out);
}

// §3.5 i= = [ Local-part ] "@" domain-name, in dkim-quoted-printable; its domain lies within d=.
// §3.5: the i= domain "MUST be the same as, or a subdomain of" d=, compared case-insensitively.
bool is_same_or_subdomain(std::string_view sub, std::string_view parent) noexcept {
  if (sub.size() == parent.size()) return iequals(sub, parent);
  if (sub.size() < parent.size() + 1) return false;
  const std::size_t cut = sub.size() - parent.size();
  return sub[cut - 1] == '.' && iequals(sub.substr(cut), parent);
}

Reason check_auid(const Tag* i, std::string_view domain, Signature& out) noexcept {
  if (i == nullptr) return Reason::ok;  // §3.5: the default is "@" + d=
  out.auid = i->value;
  return check_auid_value(i->value, domain);
}

// §3.5 h= = hdr-name *( [FWS] ":" [FWS] hdr-name ), hdr-name = RFC 5322 field-name = 1*ftext
// (printable ASCII but ':'). An empty item ("From::To", a trailing ':') or a name with a space
// inside is a syntax error, which §6.1.1 says MUST make the signature a PERMFAIL. Old signers left
// stray colons, and the common verifiers skip empty items: --legacy does too.
bool is_valid_signed_header_list(std::string_view h_value, Policy policy) noexcept {
  if (trim_fws(h_value).empty()) return true;  // no names at all: reported as From not signed
  std::size_t names = 0;
  bool all_field_names = true;
  for_each_colon_item(h_value, [&](std::string_view name) {
    ++names;
    all_field_names = all_field_names && is_field_name(name);
  });
  // for_each_colon_item skips empty items: fewer names than items means one was empty.
  const auto items = static_cast<std::size_t>(std::count(h_value.begin(), h_value.end(), ':')) + 1;
  return all_field_names && (names == items || policy == Policy::legacy);
}

// d=, s=, h= and i=: who signed and what.
Reason parse_identity_tags(const SigTags& st, Policy policy, Signature& out) noexcept {
  out.domain = st.d->value;
  if (!is_valid_dns_name(out.domain)) return Reason::sig_bad_domain;
  out.selector = st.s->value;
  if (!is_valid_dns_name(out.selector)) return Reason::sig_bad_selector;
  out.signed_headers = st.h->value;
  if (!is_valid_signed_header_list(out.signed_headers, policy)) return Reason::sig_bad_signed_headers;
  // §5.4 (and §6.1.1): "The From header field MUST be signed".
  bool from_signed = false;
  for_each_signed_header(out.signed_headers, [&](std::string_view name) {
    if (iequals(name, "From")) from_signed = true;
  });
  if (!from_signed) return Reason::sig_from_not_signed;
  return check_auid(st.i, out.domain, out);
}

// q=, l=, t=, x=, z=: the optional tags.
Reason parse_optional_tags(const SigTags& st, Policy policy, Signature& out) noexcept {
  if (st.q != nullptr) {
    // §3.5 q=: a colon list of methods; dns/txt is the only one defined. Unknown ones are skipped.
    // The drafts spelled it "dns"; that spelling is accepted only under legacy.
    bool supported = false;
    for_each_colon_item(st.q->value, [&](std::string_view method) {
      if (iequals(method, "dns/txt") || (policy == Policy::legacy && iequals(method, "dns"))) supported = true;
    });
    if (!supported) return Reason::sig_unsupported_query_method;
  }
  if (st.l != nullptr) {
    // §3.5 l= = 1*76DIGIT; values beyond 64 bits saturate (no body is that long).
    out.body_length = parse_decimal(st.l->value, 76, true);
    if (!out.body_length) return Reason::sig_bad_body_length;
  }
  // §3.5 t=, x= = 1*12DIGIT; up to 20 digits are accepted as long as they fit in 64 bits.
  if (st.t != nullptr) {
    out.timestamp = parse_decimal(st.t->value, 20, false);
    if (!out.timestamp) return Reason::sig_bad_timestamp;
  }
  if (st.x != nullptr) {
    out.expiration = parse_decimal(st.x->value, 20, false);
    if (!out.expiration) return Reason::sig_bad_expiration;
  }
  // §3.5 x=: "the value of the x= tag MUST be greater than the value of the t= tag"; equal is tolerated.
  if (out.timestamp && out.expiration && *out.expiration < *out.timestamp) {
    return Reason::sig_expiration_before_timestamp;
  }
  if (st.z != nullptr) out.copied_headers = st.z->value;
  return Reason::ok;
}

}  // namespace

bool is_valid_dns_name(std::string_view text) noexcept {
  if (text.empty() || text.size() > 253) return false;
  std::size_t label = 0;
  for (char c : text) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    if (!is_alnum(c) && c != '-' && c != '_') return false;
    if (++label > 63) return false;
  }
  return label > 0;
}


Reason check_auid_value(std::string_view written, std::string_view domain) noexcept {
  std::array<char, 256> decoded;
  std::size_t decoded_size = 0;
  if (!decode_dkim_quoted_printable(written, decoded, decoded_size)) return Reason::sig_bad_auid;
  const std::string_view auid(decoded.data(), decoded_size);
  const std::size_t at = auid.rfind('@');
  if (at == std::string_view::npos) return Reason::sig_bad_auid;
  const std::string_view auid_domain = auid.substr(at + 1);
  if (!is_valid_dns_name(auid_domain)) return Reason::sig_bad_auid;
  if (!is_same_or_subdomain(auid_domain, domain)) return Reason::sig_auid_outside_sdid;
  return Reason::ok;
}

Reason parse_signature(const HeaderField& field, Policy policy, Signature& out) noexcept {
  out = Signature{};
  out.field = &field;
  TagList tags;
  switch (tags.parse(field.value)) {
    case TagListStatus::ok: break;
    case TagListStatus::duplicate_tag: return Reason::sig_duplicate_tag;
    case TagListStatus::syntax_error:
    case TagListStatus::too_many_tags: return Reason::sig_syntax;
  }
  const SigTags st = collect_tags(tags);
  record_written_facts(st, out);
  // §6.1.1: the version first, then the required tags, then each tag's own syntax.
  if (Reason r = check_version(st.v, policy, out); r != Reason::ok) return r;
  if (Reason r = check_required(st); r != Reason::ok) return r;
  if (Reason r = parse_crypto_tags(st, policy, out); r != Reason::ok) return r;
  if (Reason r = parse_identity_tags(st, policy, out); r != Reason::ok) return r;
  return parse_optional_tags(st, policy, out);
}

Reason check_signature_times(const Signature& sig, std::int64_t now) noexcept {
  // §3.5 x=: signatures MAY be considered invalid once the verification time is past x=.
  if (sig.expiration && now >= 0 && *sig.expiration < static_cast<std::uint64_t>(now)) return Reason::sig_expired;
  return Reason::ok;
}

// §2.11: dkim-quoted-printable = *(FWS / hex-octet / dkim-safe-char); hex-octet = "=" 2HEXDIG;
// dkim-safe-char = %x21-3A / %x3C / %x3E-7E. FWS is dropped.
bool decode_dkim_quoted_printable(std::string_view text, std::array<char, 256>& out, std::size_t& out_size) noexcept {
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;  // ABNF literals are case-insensitive (RFC 5234 §2.3)
    return -1;
  };
  out_size = 0;
  for (std::size_t pos = 0; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (is_fws_char(c)) continue;
    char byte = c;
    if (c == '=') {
      if (pos + 2 >= text.size()) return false;
      const int high = hex(text[pos + 1]);
      const int low = hex(text[pos + 2]);
      if (high < 0 || low < 0) return false;
      byte = static_cast<char>(high * 16 + low);
      pos += 2;
    } else {
      const auto u = static_cast<unsigned char>(c);
      if (!((u >= 0x21 && u <= 0x3A) || u == 0x3C || (u >= 0x3E && u <= 0x7E))) return false;
    }
    if (out_size == out.size()) return false;
    out[out_size++] = byte;
  }
  return true;
}

}  // namespace dkimscan::engine
