// File: engine/authentication_results.cpp
#include "engine/authentication_results.h"

#include <cstddef>
#include <string>

namespace dkimscan::engine {

namespace {

// RFC 2045 §5.1 tspecials, which RFC 8601 §2.2's value = token / quoted-string keeps out of a
// token; a value with any of them, a space or a control character is written quoted.
bool token_char(unsigned char c) noexcept {
  if (c <= 0x20 || c == 0x7F) return false;
  switch (c) {
    case '(': case ')': case '<': case '>': case '@': case ',': case ';': case ':':
    case '\\': case '"': case '/': case '[': case ']': case '?': case '=':
      return false;
    default:
      return true;
  }
}

// A quoted-string (RFC 5322 §3.2.4): '"' and '\' escaped; CR, LF and other controls, which no
// quoted-string may hold, become '?' (they only come from a malformed header).
void append_quoted(std::string& out, std::string_view text) {
  out += '"';
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if ((c < 0x20 && c != '\t') || c == 0x7F) {
      out += '?';
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

// value = token / quoted-string (§2.2).
void append_value(std::string& out, std::string_view text) {
  bool token = !text.empty();
  for (unsigned char c : text) token = token && token_char(c);
  if (token) {
    out += text;
  } else {
    append_quoted(out, text);
  }
}

bool is_alnum(unsigned char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// RFC 5322 §3.2.3 atext, what a dot-atom's runs are made of.
bool is_atext(unsigned char c) noexcept {
  return is_alnum(c) || std::string_view("!#$%&'*+-/=?^_`{|}~").find(static_cast<char>(c)) != std::string_view::npos;
}

// RFC 6376 §3.5 domain-name labels: letters, digits and '-'.
bool is_label_char(unsigned char c) noexcept { return is_alnum(c) || c == '-'; }

// Non-empty runs of allowed bytes joined by single dots: a dot-atom (with is_atext) or a
// domain-name (with is_label_char).
bool is_dot_separated(std::string_view text, bool (*allowed)(unsigned char) noexcept) noexcept {
  bool in_run = false;
  for (unsigned char c : text) {
    if (c == '.') {
      if (!in_run) return false;
      in_run = false;
    } else if (allowed(c)) {
      in_run = true;
    } else {
      return false;
    }
  }
  return in_run;
}

// pvalue (§2.2) also allows [local-part] "@" domain-name as is: header.i=@example.org,
// header.i=joe.x@example.org. Anything else that is not a token is quoted.
void append_pvalue(std::string& out, std::string_view text) {
  const std::size_t at = text.rfind('@');
  if (at != std::string_view::npos) {
    const std::string_view local = text.substr(0, at);
    if ((local.empty() || is_dot_separated(local, is_atext)) && is_dot_separated(text.substr(at + 1), is_label_char)) {
      out += text;
      return;
    }
  }
  append_value(out, text);
}

void append_property(std::string& out, std::string_view name, std::string_view value) {
  if (value.empty()) return;  // the tag was absent (or the signature too malformed to say)
  out += " header.";
  out += name;
  out += '=';
  append_pvalue(out, value);
}

// RFC 6008 §4: the first characters of b=, enough to tell signatures apart; 8 is its advice.
// FWS inside the tag value is skipped.
void append_b_prefix(std::string& out, std::string_view b_value) {
  constexpr std::size_t kPrefix = 8;
  char prefix[kPrefix];
  std::size_t size = 0;
  for (char c : b_value) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    prefix[size++] = c;
    if (size == kPrefix) break;
  }
  append_property(out, "b", std::string_view(prefix, size));
}

// " (text)": a comment (RFC 5322 §3.2.2), which may not hold unescaped parentheses, '\' or
// control characters.
void append_comment(std::string& out, std::string_view text) {
  if (text.empty()) return;
  out += " (";
  for (unsigned char c : text) {
    if (c == '(' || c == ')' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else {
      out += (c < 0x20 || c == 0x7F) ? '?' : static_cast<char>(c);
    }
  }
  out += ')';
}

void append_signature(std::string& out, const SignatureResult& sig) {
  out += "; dkim=";
  out += verdict_name(sig.verdict);
  if (sig.reason != Reason::ok) {
    // The stable code, not the sentence: ASCII (a header field that may be added to a message),
    // and what a scorer can match on; the README's table and --format jsonl give the sentences.
    out += " reason=";
    append_quoted(out, reason_code(sig.reason));
  }
  if (sig.key_bits != 0) {
    out += " (";
    out += std::to_string(sig.key_bits);
    out += "-bit key";
    if (sig.key_testing) out += ", testing";
    out += ')';
  }
  append_property(out, "d", sig.domain);
  append_property(out, "i", sig.auid);
  append_property(out, "s", sig.selector);
  append_property(out, "a", sig.algorithm);
  append_b_prefix(out, sig.b_value);
}

}  // namespace

void append_authentication_results(std::string& out, std::string_view authserv_id, const MessageResult& result,
                                   std::string_view comment) {
  append_value(out, authserv_id);
  if (result.signatures.empty()) {
    out += "; dkim=none";  // RFC 8601 §2.7.1: the message was not signed
  }
  for (const SignatureResult& sig : result.signatures) append_signature(out, sig);
  append_comment(out, comment);
}

void append_authentication_results_unreadable(std::string& out, std::string_view authserv_id,
                                              std::string_view why) {
  append_value(out, authserv_id);
  out += "; none";  // §2.2 no-result: nothing was checked
  append_comment(out, why);
}

}  // namespace dkimscan::engine
