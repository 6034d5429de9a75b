// File: engine/authentication_results.h
// A message's DKIM results as the value of an Authentication-Results header field (RFC 8601):
// the form mail filters and spam scorers already read. One resinfo per DKIM-Signature, top to
// bottom, with the properties IANA registers for dkim: header.d, header.i, header.s, header.a
// (RFC 8601 §2.7.1) and header.b, the first 8 characters of b= (RFC 6008), which tells apart two
// signatures of the same domain.
//   example.net; dkim=pass (2048-bit key) header.d=example.org header.i=@example.org
//     header.s=sel header.a=rsa-sha256 header.b=dGhpcyBp
#pragma once

#include <string>
#include <string_view>

#include "engine/verify.h"

namespace dkimscan::engine {

// Appends the field's value (no field name, no line end, unfolded) for result, as judged by
// authserv_id (RFC 8601 §2.5: the host or domain that did the checks). An unsigned message is
// "dkim=none"; a failed signature carries its reason code as reason="..." (§2.2). A comment, if
// given, ends the value in parentheses (e.g. that the pass needed a repair of archive damage).
void append_authentication_results(std::string& out, std::string_view authserv_id, const MessageResult& result,
                                   std::string_view comment = {});

// The same for an input that could not be read as a message: no check was made (§2.2 "none"),
// and a comment says why.
void append_authentication_results_unreadable(std::string& out, std::string_view authserv_id,
                                              std::string_view why);

}  // namespace dkimscan::engine
