// File: sign.h
// The signing half: builds a DKIM-Signature field for a message with the same canonicalization
// and hashing code the verifier uses, so what dkimscan signs, dkimscan (and its peers) verify.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/algorithms.h"
#include "engine/crypto/private_key.h"

namespace dkimscan::engine {

struct SignOptions {
  std::string domain;                 // d=
  std::string selector;               // s=
  std::optional<Algorithm> algorithm;  // default: rsa-sha256 or ed25519-sha256 by key type
  Canon header_canon = Canon::relaxed;
  Canon body_canon = Canon::relaxed;
  std::vector<std::string> headers;   // h= names; empty: the default list, those present
  bool oversign = false;              // list each name once more than present (§8.15)
  bool body_length = false;           // add l= with the canonical body length
  std::optional<std::uint64_t> expire_after;  // x = t + this many seconds
  std::optional<std::string> auid;    // i= as written: [local-part]@domain in dkim-quoted-printable
  std::int64_t timestamp = 0;         // t=
  // strict: RFC 8301's rules for signers (rsa-sha256, RSA keys of 1024 bits and more); legacy
  // allows rsa-sha1 and smaller keys, to make test corpora for verify --legacy.
  Policy policy = Policy::strict;
};

// The header names signed when SignOptions::headers is empty (only those present are listed).
const std::vector<std::string>& default_signed_headers();

// The algorithm a= names: options.algorithm, or the key type's SHA-256 algorithm.
Algorithm signing_algorithm(const SignOptions& options, const PrivateKey& key) noexcept;

// Throws std::runtime_error, saying which rule, when a signature made with these options and this
// key could never pass: d=, s= or i= that verifiers refuse (RFC 6376 §3.1, §3.5), an algorithm
// that does not fit the key, and under the strict policy rsa-sha1 or an RSA key under 1024 bits
// (RFC 8301). sign_message() checks this too; a batch checks it once, before the first message.
void check_sign_options(const SignOptions& options, const PrivateKey& key);

// Returns the complete DKIM-Signature field to put at the top of message, folded, ending with
// the message's own line end (CRLF, or LF for a bare-LF message). Throws std::runtime_error when
// the options or the message cannot be signed (edge code, not the verification hot path).
std::string sign_message(std::string_view message, const SignOptions& options, const PrivateKey& key);

}  // namespace dkimscan::engine
