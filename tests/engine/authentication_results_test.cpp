// Authentication-Results values (RFC 8601) from verify results: one resinfo per signature with
// the registered dkim properties, header.b from b= (RFC 6008), and quoting wherever a value is
// not a token. The whole pipeline from a signed message is checked at the end.
#include "engine/authentication_results.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "engine/key_provider.h"
#include "engine/key_record.h"
#include "engine/verify.h"

namespace dkimscan::engine {
namespace {

SignatureResult signature(Verdict verdict, Reason reason) {
  SignatureResult sig;
  sig.verdict = verdict;
  sig.reason = reason;
  sig.domain = "example.org";
  sig.selector = "sel";
  sig.auid = "@example.org";
  sig.algorithm = "rsa-sha256";
  sig.key_bits = 2048;
  sig.b_value = " dGhpc2lz\r\n\tIGEgc2lnbmF0dXJl";
  return sig;
}

std::string value_of(const MessageResult& result, std::string_view comment = {}) {
  std::string out;
  append_authentication_results(out, "mx.example.net", result, comment);
  return out;
}

TEST(AuthenticationResults, OnePassingSignature) {
  MessageResult result;
  result.signatures.push_back(signature(Verdict::pass, Reason::ok));
  EXPECT_EQ(value_of(result),
            "mx.example.net; dkim=pass (2048-bit key) header.d=example.org header.i=@example.org "
            "header.s=sel header.a=rsa-sha256 header.b=dGhpc2lz");
}

TEST(AuthenticationResults, UnsignedIsDkimNone) {
  EXPECT_EQ(value_of(MessageResult{}), "mx.example.net; dkim=none");
}

TEST(AuthenticationResults, EverySignatureTopToBottomWithItsReasonCode) {
  MessageResult result;
  result.signatures.push_back(signature(Verdict::fail, Reason::body_hash_mismatch));
  SignatureResult unparsed;  // too malformed to name its domain: no properties at all
  unparsed.verdict = Verdict::permerror;
  unparsed.reason = Reason::sig_missing_d;
  result.signatures.push_back(unparsed);
  EXPECT_EQ(value_of(result),
            "mx.example.net; dkim=fail reason=\"body_hash_mismatch\" (2048-bit key) header.d=example.org "
            "header.i=@example.org header.s=sel header.a=rsa-sha256 header.b=dGhpc2lz"
            "; dkim=permerror reason=\"sig_missing_d\"");
}

// header.i is bare only as RFC 8601's pvalue allows: [dot-atom] "@" domain-name. Any other
// value with an '@' (a broken i=, which verify reports as sig_bad_auid) is quoted.
TEST(AuthenticationResults, AuidIsBareOnlyAsLocalPartAtDomainName) {
  const std::pair<const char*, const char*> cases[] = {
      {"@example.org", "@example.org"},
      {"joe@example.org", "joe@example.org"},
      {"joe.x+tag@mail.example.org", "joe.x+tag@mail.example.org"},
      {"j=3Doe@example.org", "j=3Doe@example.org"},  // '=' is atext
      {"joe@exa!mple.com", "\"joe@exa!mple.com\""},
      {".joe.@example.com", "\".joe.@example.com\""},
      {"jo..e@example.com", "\"jo..e@example.com\""},
      {"joe@example..com", "\"joe@example..com\""},
      {"joe@", "\"joe@\""},
      {"jo(e@example.com", "\"jo(e@example.com\""},
  };
  for (const auto& [auid, written] : cases) {
    MessageResult result;
    SignatureResult sig = signature(Verdict::pass, Reason::ok);
    sig.auid = auid;
    result.signatures.push_back(sig);
    const std::string value = value_of(result, "");
    EXPECT_NE(value.find(std::string(" header.i=") + written + " "), std::string::npos) << auid << ": " << value;
  }
}

TEST(AuthenticationResults, ValuesThatAreNotTokensAreQuoted) {
  MessageResult result;
  SignatureResult sig = signature(Verdict::pass, Reason::ok);
  sig.key_testing = true;
  sig.b_value = "ab/c+d=efgh";    // '/' and '=' are tspecials (RFC 2045)
  sig.selector = "odd sel\"x\\";  // a space, a quote, a backslash
  sig.auid = "joe@example.org";   // local-part@domain stays bare (pvalue)
  sig.domain = "example.org\r\n";  // a control character can only come from a broken header
  result.signatures.push_back(sig);
  EXPECT_EQ(value_of(result, "pass after repair: mboxrd (From_) quoting"),
            "mx.example.net; dkim=pass (2048-bit key, testing) header.d=\"example.org??\" "
            "header.i=joe@example.org header.s=\"odd sel\\\"x\\\\\" header.a=rsa-sha256 "
            "header.b=\"ab/c+d=e\" (pass after repair: mboxrd \\(From_\\) quoting)");
}

TEST(AuthenticationResults, AuthservIdIsQuotedWhenItMustBe) {
  std::string out;
  append_authentication_results(out, "my host", MessageResult{});
  EXPECT_EQ(out, "\"my host\"; dkim=none");
}

TEST(AuthenticationResults, UnreadableInputIsNoResultWithTheReason) {
  std::string out;
  append_authentication_results_unreadable(out, "mx.example.net", "not_a_message: no header (at offset 0)");
  EXPECT_EQ(out, "mx.example.net; none (not_a_message: no header \\(at offset 0\\))");
}

// Tag values come from the message, so a hostile one must not break out of its value: whatever
// bytes the fields hold, the result has no line break or other control character (a header
// field cannot be injected), and every quoted-string and comment is closed.
TEST(AuthenticationResults, AnyBytesInTheTagsStayInsideTheirValues) {
  std::mt19937 rng(11);
  auto random_bytes = [&rng] {
    std::string text(rng() % 12, '\0');
    for (char& c : text) c = static_cast<char>(rng() % 256);
    return text;
  };
  for (int round = 0; round < 3000; ++round) {
    const std::string d = random_bytes(), s = random_bytes(), i = random_bytes(), a = random_bytes(),
                      b = random_bytes(), comment = random_bytes();
    SignatureResult sig = signature(Verdict::fail, Reason::signature_mismatch);
    sig.domain = d;
    sig.selector = s;
    sig.auid = i;
    sig.algorithm = a;
    sig.b_value = b;
    MessageResult result;
    result.signatures.push_back(sig);
    std::string out = value_of(result, comment);
    append_authentication_results_unreadable(out, "mx", comment);

    int depth = 0;       // inside this many comments
    bool quoted = false;  // inside a quoted-string
    for (std::size_t k = 0; k < out.size(); ++k) {
      const unsigned char c = static_cast<unsigned char>(out[k]);
      ASSERT_FALSE((c < 0x20 && c != '\t') || c == 0x7F) << "control byte " << int(c) << " in " << out;
      if ((quoted || depth > 0) && c == '\\') {
        ++k;  // a quoted-pair
        continue;
      }
      if (quoted) {
        quoted = c != '"';
      } else if (c == '(') {
        ++depth;
      } else if (c == ')') {
        ASSERT_GT(depth, 0) << out;
        --depth;
      } else if (depth == 0 && c == '"') {
        quoted = true;
      }
    }
    EXPECT_FALSE(quoted) << out;
    EXPECT_EQ(depth, 0) << out;
  }
}

// From a real verification: header.b is the first 8 characters of the message's own b=.
class NoKeys final : public KeyProvider {
 public:
  KeySetPtr lookup(std::string_view) override { return make_key_set_error(Reason::key_not_found, "NXDOMAIN"); }
};

TEST(AuthenticationResults, FromAVerifiedMessage) {
  const std::string message =
      "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; c=relaxed/relaxed;\r\n"
      "\th=from:subject; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n"
      "\tb=AbC/dEf\r\n GhIjKlMn\r\n"
      "From: joe@example.com\r\nSubject: hi\r\n\r\n";
  NoKeys keys;
  const Verifier verifier({Policy::strict, 1700000000, 16});
  VerifyScratch scratch;
  MessageResult result;
  verifier.verify(message, keys, scratch, result);
  ASSERT_EQ(result.signatures.size(), 1u);
  EXPECT_EQ(value_of(result),
            "mx.example.net; dkim=permerror reason=\"key_not_found\" header.d=example.com header.s=sel "
            "header.a=rsa-sha256 header.b=\"AbC/dEfG\"");
}

}  // namespace
}  // namespace dkimscan::engine
