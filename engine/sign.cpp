// File: sign.cpp
// Builds a DKIM-Signature with the verifier's own canonicalization and hashing code: the body
// hash via compute_body_hash(), the header hash via select_signed_headers() and
// canon_signature_header() over the draft field whose b= is still empty (RFC 6376 §5.4-§5.6).
#include "engine/sign.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "engine/body_hash.h"
#include "engine/canon.h"
#include "engine/crypto/digest.h"
#include "engine/header_hash.h"
#include "engine/message.h"
#include "engine/signature.h"

namespace dkimscan::engine {
namespace {

constexpr std::size_t kFoldWidth = 72;
constexpr std::int64_t kLargestTime = 999'999'999'999;  // 12 digits (RFC 6376 §3.5 t=, x=)

// A bare-LF message gets a bare-LF signature field, so the file stays consistent.
std::string_view line_end_of(std::string_view message) noexcept {
  std::size_t lf = message.find('\n');
  return (lf != std::string_view::npos && lf > 0 && message[lf - 1] == '\r') || lf == std::string_view::npos
             ? std::string_view("\r\n")
             : std::string_view("\n");
}

std::size_t count_fields(const ParsedMessage& message, std::string_view name) noexcept {
  std::size_t count = 0;
  for (const HeaderField& field : message.fields()) count += field_name_equals(field.name, name) ? 1 : 0;
  return count;
}

// h=: each chosen name as often as it is present (so every instance is signed), plus once more
// with oversigning, so that an added instance breaks the signature (§8.15). DKIM-Signature is
// listed at most as often as it is present: a verifier picks instances from the bottom up in the
// signed message (§5.4.2), where the next one up is the field being added, which its own hash
// cannot cover, so listing it once more makes a signature that never passes.
std::vector<std::string_view> signed_header_names(const ParsedMessage& message, const SignOptions& options) {
  const std::vector<std::string>& wanted = options.headers.empty() ? default_signed_headers() : options.headers;
  std::vector<std::string_view> names;
  std::size_t signatures_listed = 0;  // DKIM-Signature, however many times the list names it
  for (const std::string& name : wanted) {
    const std::size_t present = count_fields(message, name);
    std::size_t listed = options.oversign ? present + 1 : present;
    if (options.headers.empty() && present == 0) continue;  // defaults: only what is there
    if (!options.headers.empty() && listed == 0) listed = 1;  // explicit: as asked
    if (iequals(name, "DKIM-Signature")) {
      listed = present - signatures_listed;
      signatures_listed = present;
    }
    names.insert(names.end(), listed, name);
  }
  // §5.4: From MUST be signed (an explicit list without it is refused by check_sign_options).
  if (options.headers.empty() && count_fields(message, "From") == 0) {
    throw std::runtime_error("the message has no From field, which RFC 6376 §5.4 requires to be signed");
  }
  return names;
}

// Adds the separator before the next piece of the field: a space, or a fold when the piece
// would take the line past kFoldWidth. fold_only: no space (inside a tag value, where a space
// may not go but a fold may).
void break_before(std::string& field, std::size_t& line_length, std::size_t piece, std::string_view line_end,
                  bool fold_only = false) {
  if (line_length + piece + (fold_only ? 0 : 1) > kFoldWidth && line_length > 1) {
    field += line_end;
    field += '\t';
    line_length = 1;
  } else if (!fold_only && line_length > 0) {
    field += ' ';
    ++line_length;
  }
}

// Appends tag to field, starting a new folded line when the current one would grow too long.
void append_tag(std::string& field, std::size_t& line_length, std::string_view tag, std::string_view line_end) {
  break_before(field, line_length, tag.size(), line_end);
  field += tag;
  line_length += tag.size();
}

// h= with folds after its colons where the line would grow too long (sig-h-tag allows FWS around
// each ':', RFC 6376 §3.5): with many or oversigned fields it is longer than the 998 bytes RFC 5322
// §2.1.1 allows on a line, which a relaying MTA may break.
void append_header_tag(std::string& field, std::size_t& line_length, const std::vector<std::string_view>& names,
                       std::string_view line_end) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string piece = fmt::format("{}{}{}", i == 0 ? "h=" : "", names[i], i + 1 == names.size() ? ";" : ":");
    break_before(field, line_length, piece.size(), line_end, /*fold_only=*/i > 0);
    field += piece;
    line_length += piece.size();
  }
}

std::string join_names(const std::vector<std::string_view>& names) {
  std::string list;
  for (std::string_view name : names) {
    if (!list.empty()) list += ':';
    list += name;
  }
  return list;
}

}  // namespace

const std::vector<std::string>& default_signed_headers() {
  // The fields whose change alters what a reader sees or how mail is threaded (§5.4.1).
  static const std::vector<std::string> names = {
      "From", "Reply-To", "Subject", "Date", "To", "Cc", "Message-ID", "In-Reply-To", "References",
      "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Content-Disposition",
      "List-Id", "List-Unsubscribe", "Sender"};
  return names;
}

Algorithm signing_algorithm(const SignOptions& options, const PrivateKey& key) noexcept {
  return options.algorithm.value_or(key.type() == KeyType::ed25519 ? Algorithm::ed25519_sha256 : Algorithm::rsa_sha256);
}

void check_sign_options(const SignOptions& options, const PrivateKey& key) {
  const Algorithm algorithm = signing_algorithm(options, key);
  if (key_type_of(algorithm) != key.type()) throw std::runtime_error("the algorithm does not match the key type");
  if (!options.headers.empty() &&
      std::none_of(options.headers.begin(), options.headers.end(), [](const std::string& name) { return iequals(name, "From"); })) {
    throw std::runtime_error("the signed header list must include From (RFC 6376 §5.4)");
  }
  // §3.5: t= and x= are 1*12DIGIT, and x= MUST be later than t=.
  if (options.timestamp < 0 || options.timestamp > kLargestTime) {
    throw std::runtime_error(fmt::format("t= {} is not 0 to 12 digits of unix seconds (RFC 6376 §3.5)", options.timestamp));
  }
  if (options.expire_after &&
      (*options.expire_after == 0 || *options.expire_after > static_cast<std::uint64_t>(kLargestTime - options.timestamp))) {
    throw std::runtime_error(fmt::format("x= t+{} is not later than t= and at most 12 digits (RFC 6376 §3.5)",
                                         *options.expire_after));
  }
  if (!is_valid_dns_name(options.domain)) {
    throw std::runtime_error("d= '" + options.domain + "' is not a domain name (RFC 6376 §3.5)");
  }
  if (!is_valid_dns_name(options.selector)) {
    throw std::runtime_error("s= '" + options.selector + "' is not a selector: dot-separated labels (RFC 6376 §3.1)");
  }
  if (options.auid) {
    // White space is allowed inside dkim-quoted-printable, but a line end would break the field.
    const std::string& auid = *options.auid;
    const Reason reason = auid.find_first_of(" \t\r\n") != std::string::npos ? Reason::sig_bad_auid
                                                                              : check_auid_value(auid, options.domain);
    if (reason == Reason::sig_bad_auid) {
      throw std::runtime_error("i= '" + auid + "' is not [local-part]@domain in dkim-quoted-printable, with '=' and ';'"
                               " written =3D and =3B (RFC 6376 §3.5, §2.11)");
    }
    if (reason != Reason::ok) {
      throw std::runtime_error("i= '" + auid + "': its domain is neither d= nor a subdomain of it (RFC 6376 §3.5)");
    }
  }
  if (options.policy == Policy::legacy) return;
  if (algorithm == Algorithm::rsa_sha1) {
    throw std::runtime_error("RFC 8301 §3.1: signers MUST use rsa-sha256, not rsa-sha1 (sign --legacy allows it, for test corpora)");
  }
  if (key.type() == KeyType::rsa && key.bits() < 1024) {
    throw std::runtime_error(fmt::format(
        "RFC 8301 §3.2: signers MUST use RSA keys of at least 1024 bits, this one has {} (sign --legacy allows it, for test corpora)",
        key.bits()));
  }
}

std::string sign_message(std::string_view bytes, const SignOptions& options, const PrivateKey& key) {
  ParsedMessage message;
  message.split(bytes);
  if (message.defect() == MessageDefect::empty || message.defect() == MessageDefect::no_header_fields) {
    throw std::runtime_error("not a message: no header fields");
  }
  // Text the header parser skips is in no signed field and not in the body: signed, it could be
  // changed without breaking the signature, while a mail reader may show it as the body.
  if (message.defect() == MessageDefect::header_line_without_colon) {
    throw std::runtime_error("a header line is not a field (no colon), and would not be covered by the signature");
  }
  if (bytes.find('\n') == std::string_view::npos) {
    throw std::runtime_error("no line ends (LF or CRLF): not a message as RFC 5322 writes one");
  }
  check_sign_options(options, key);
  const Algorithm algorithm = signing_algorithm(options, key);
  const std::string_view line_end = line_end_of(bytes);
  const std::vector<std::string_view> header_names = signed_header_names(message, options);

  Digest digest;
  BodyHash body = compute_body_hash(message.body(), {options.body_canon, hash_of(algorithm), std::nullopt}, digest);

  std::string field = "DKIM-Signature:";
  std::size_t line_length = field.size();
  auto add = [&](std::string_view tag) { append_tag(field, line_length, tag, line_end); };
  add(fmt::format("v=1; a={};", algorithm_name(algorithm)));
  add(fmt::format("c={}/{};", canon_name(options.header_canon), canon_name(options.body_canon)));
  add(fmt::format("d={};", options.domain));
  add(fmt::format("s={};", options.selector));
  add(fmt::format("t={};", options.timestamp));
  if (options.expire_after) add(fmt::format("x={};", options.timestamp + static_cast<std::int64_t>(*options.expire_after)));
  if (options.auid) add(fmt::format("i={};", *options.auid));
  if (options.body_length) add(fmt::format("l={};", body.canonical_length));
  append_header_tag(field, line_length, header_names, line_end);
  add(fmt::format("bh={};", base64_encode({body.digest.data(), body.size})));
  add("b=");
  const std::size_t b_offset = field.size();
  field += line_end;

  // The header hash over the selected fields and the draft field with an empty b= (§3.7).
  digest.begin(hash_of(algorithm));
  select_signed_headers(message.fields(), join_names(header_names), [&](const HeaderField* chosen) {
    if (chosen != nullptr) canon_header(options.header_canon, chosen->raw, digest);
  });
  canon_signature_header(options.header_canon, field, b_offset, b_offset, digest);
  DigestBytes header_digest;
  std::size_t digest_size = digest.finish(header_digest);
  std::vector<unsigned char> signature = key.sign_digest(algorithm, {header_digest.data(), digest_size});

  // Fold the b= value; its whitespace is removed again by every verifier (§3.5 b=).
  std::string b = base64_encode(signature);
  field.resize(b_offset);
  std::size_t last_break = field.rfind('\n');
  line_length = last_break == std::string::npos ? field.size() : field.size() - last_break - 1;
  for (std::size_t pos = 0; pos < b.size();) {
    std::size_t room = line_length >= kFoldWidth ? 0 : kFoldWidth - line_length;
    if (room == 0) {
      field += line_end;
      field += '\t';
      line_length = 1;
      continue;
    }
    std::size_t take = std::min(room, b.size() - pos);
    field.append(b, pos, take);
    line_length += take;
    pos += take;
  }
  field += line_end;
  return field;
}

}  // namespace dkimscan::engine
