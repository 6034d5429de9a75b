// File: signature_test.cpp
// parse_signature() against RFC 6376 §3.5 and §6.1.1 (and RFC 8301 §3.1): one test per rule, the
// exact Reason asserted, including one failing field for every permerror the parser can return.
// Fields are built from a valid default tag set with one tag changed or removed.
#include "engine/signature.h"

#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/message.h"
#include "tests/engine/reason_printing.h"

namespace dkimscan::engine {
namespace {

constexpr std::string_view kBodyHash = "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=";  // SHA-256 of "\r\n"

struct TagEdit {
  std::string name;
  std::optional<std::string> value;  // nullopt: remove the tag
};

// A valid field value with edits applied: edited defaults keep their place, new tags go last.
std::string field_value(const std::vector<TagEdit>& edits = {}) {
  std::vector<std::pair<std::string, std::string>> tags = {
      {"v", "1"}, {"a", "rsa-sha256"}, {"c", "relaxed/simple"}, {"d", "example.com"}, {"s", "sel"},
      {"h", "From:To:Subject"}, {"bh", std::string(kBodyHash)}, {"b", "dGVzdA=="}};
  for (const TagEdit& edit : edits) {
    bool found = false;
    for (auto it = tags.begin(); it != tags.end(); ++it) {
      if (it->first != edit.name) continue;
      found = true;
      if (edit.value) it->second = *edit.value;
      else tags.erase(it);
      break;
    }
    if (!found && edit.value) tags.emplace_back(edit.name, *edit.value);
  }
  std::string out;
  for (const auto& [name, value] : tags) out += " " + name + "=" + value + ";";
  return out;
}

class SignatureTest : public ::testing::Test {
 protected:
  Reason parse(std::string value, Policy policy = Policy::strict) {
    text_ = std::move(value);
    field_ = HeaderField{text_, "DKIM-Signature", text_};
    return parse_signature(field_, policy, sig_);
  }
  Reason parse_with(const std::vector<TagEdit>& edits, Policy policy = Policy::strict) {
    return parse(field_value(edits), policy);
  }

  std::string text_;
  HeaderField field_;
  Signature sig_;
};

TEST_F(SignatureTest, ParsesAValidField) {
  ASSERT_EQ(parse_with({}), Reason::ok);
  EXPECT_EQ(sig_.field, &field_);
  EXPECT_TRUE(sig_.has_version);
  EXPECT_EQ(sig_.algorithm, Algorithm::rsa_sha256);
  EXPECT_EQ(sig_.algorithm_text, "rsa-sha256");
  EXPECT_EQ(sig_.header_canon, Canon::relaxed);
  EXPECT_EQ(sig_.body_canon, Canon::simple);
  EXPECT_EQ(sig_.canon_text, "relaxed/simple");
  EXPECT_EQ(sig_.domain, "example.com");
  EXPECT_EQ(sig_.selector, "sel");
  EXPECT_EQ(sig_.signed_headers, "From:To:Subject");
  EXPECT_EQ(sig_.auid, "");
  EXPECT_EQ(sig_.copied_headers, "");
  EXPECT_FALSE(sig_.body_length.has_value());
  EXPECT_FALSE(sig_.timestamp.has_value());
  EXPECT_FALSE(sig_.expiration.has_value());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(sig_.b.data()), sig_.b_size), "test");
  EXPECT_EQ(sig_.bh_size, 32u);
  EXPECT_EQ(sig_.bh[0], 0xda);
  EXPECT_EQ(sig_.bh[31], 0xff);
}

TEST_F(SignatureTest, TagListSyntaxErrorIsSigSyntax) {
  EXPECT_EQ(parse(" v=1; a=rsa-sha256;; d=example.com"), Reason::sig_syntax);
  EXPECT_EQ(parse(" v=1; a"), Reason::sig_syntax);
  EXPECT_EQ(parse(""), Reason::sig_syntax);
}

TEST_F(SignatureTest, TooManyTagsIsSigSyntax) {
  std::string value = field_value();
  for (int i = 0; i < 64; ++i) value += " u" + std::to_string(i) + "=x;";
  EXPECT_EQ(parse(value), Reason::sig_syntax);
}

TEST_F(SignatureTest, RepeatedTagIsSigDuplicateTag) {
  EXPECT_EQ(parse(field_value() + " d=example.org"), Reason::sig_duplicate_tag);
}

TEST_F(SignatureTest, EachRequiredTagMissingHasItsOwnReason) {
  const std::vector<std::pair<std::string, Reason>> cases = {
      {"a", Reason::sig_missing_a}, {"b", Reason::sig_missing_b}, {"bh", Reason::sig_missing_bh},
      {"d", Reason::sig_missing_d}, {"h", Reason::sig_missing_h}, {"s", Reason::sig_missing_s}};
  for (const auto& [tag, reason] : cases) {
    SCOPED_TRACE(tag);
    EXPECT_EQ(parse_with({{tag, std::nullopt}}), reason);
    EXPECT_EQ(parse_with({{tag, std::nullopt}}, Policy::legacy), reason);
  }
}

TEST_F(SignatureTest, MissingVersionIsSigNoVersionUnderStrict) {
  EXPECT_EQ(parse_with({{"v", std::nullopt}}), Reason::sig_no_version);
}

TEST_F(SignatureTest, MissingVersionIsAcceptedUnderLegacy) {
  ASSERT_EQ(parse_with({{"v", std::nullopt}}, Policy::legacy), Reason::ok);
  EXPECT_FALSE(sig_.has_version);
}

TEST_F(SignatureTest, EmptyVersionIsSigMissingV) {
  EXPECT_EQ(parse_with({{"v", ""}}), Reason::sig_missing_v);
  EXPECT_EQ(parse_with({{"v", ""}}, Policy::legacy), Reason::sig_missing_v);
}

TEST_F(SignatureTest, VersionOtherThanOneIsSigBadVersion) {
  EXPECT_EQ(parse_with({{"v", "2"}}), Reason::sig_bad_version);
  EXPECT_EQ(parse_with({{"v", "5"}}, Policy::legacy), Reason::sig_bad_version);
  EXPECT_EQ(parse_with({{"v", "0.5"}}), Reason::sig_bad_version);
}

TEST_F(SignatureTest, DraftVersionZeroPointFiveIsAcceptedUnderLegacy) {
  ASSERT_EQ(parse_with({{"v", "0.5"}}, Policy::legacy), Reason::ok);
  EXPECT_FALSE(sig_.has_version);
}

TEST_F(SignatureTest, KnownAlgorithmsParseCaseInsensitively) {
  ASSERT_EQ(parse_with({{"a", "ed25519-sha256"}}), Reason::ok);
  EXPECT_EQ(sig_.algorithm, Algorithm::ed25519_sha256);
  ASSERT_EQ(parse_with({{"a", "RSA-SHA256"}}), Reason::ok);
  EXPECT_EQ(sig_.algorithm, Algorithm::rsa_sha256);
}

TEST_F(SignatureTest, RsaSha1IsRejectedUnderStrict) {
  EXPECT_EQ(parse_with({{"a", "rsa-sha1"}}), Reason::sig_rsa_sha1_rejected);
}

// A signature refused before its identity tags are checked still says who signed it, with what:
// the report of a forensic run names the signer of every refused signature.
TEST_F(SignatureTest, ASignatureRefusedEarlyKeepsTheTagsAsWritten) {
  const std::vector<std::vector<TagEdit>> refusals = {
      {{"a", "rsa-sha1"}}, {{"a", "rsa-md5"}}, {{"c", "loose/simple"}}, {{"v", std::nullopt}}, {{"bh", std::nullopt}}};
  for (const std::vector<TagEdit>& edits : refusals) {
    EXPECT_NE(parse_with(edits), Reason::ok) << edits[0].name;
    EXPECT_EQ(sig_.domain, "example.com") << edits[0].name;
    EXPECT_EQ(sig_.selector, "sel") << edits[0].name;
    EXPECT_EQ(sig_.signed_headers, "From:To:Subject") << edits[0].name;
    EXPECT_EQ(sig_.algorithm_text, edits[0].name == "a" ? *edits[0].value : "rsa-sha256") << edits[0].name;
    EXPECT_EQ(sig_.canon_text, edits[0].name == "c" ? "loose/simple" : "relaxed/simple") << edits[0].name;
  }
  EXPECT_EQ(parse_with({{"a", "rsa-sha1"}, {"i", "joe@example.com"}}), Reason::sig_rsa_sha1_rejected);
  EXPECT_EQ(sig_.auid, "joe@example.com");
}

TEST_F(SignatureTest, RsaSha1IsAcceptedUnderLegacy) {
  ASSERT_EQ(parse_with({{"a", "rsa-sha1"}}, Policy::legacy), Reason::ok);
  EXPECT_EQ(sig_.algorithm, Algorithm::rsa_sha1);
}

TEST_F(SignatureTest, UnknownAlgorithmIsSigUnknownAlgorithmAndKeepsItsText) {
  EXPECT_EQ(parse_with({{"a", "rsa-md5"}}), Reason::sig_unknown_algorithm);
  EXPECT_EQ(sig_.algorithm_text, "rsa-md5");
  EXPECT_EQ(parse_with({{"a", ""}}), Reason::sig_unknown_algorithm);
}

TEST_F(SignatureTest, CanonicalizationDefaultsToSimpleSimple) {
  ASSERT_EQ(parse_with({{"c", std::nullopt}}), Reason::ok);
  EXPECT_EQ(sig_.header_canon, Canon::simple);
  EXPECT_EQ(sig_.body_canon, Canon::simple);
  EXPECT_EQ(sig_.canon_text, "");
}

TEST_F(SignatureTest, HeaderOnlyCanonicalizationLeavesBodySimple) {
  ASSERT_EQ(parse_with({{"c", "relaxed"}}), Reason::ok);
  EXPECT_EQ(sig_.header_canon, Canon::relaxed);
  EXPECT_EQ(sig_.body_canon, Canon::simple);
}

TEST_F(SignatureTest, BothCanonicalizationsAreRead) {
  ASSERT_EQ(parse_with({{"c", "simple/relaxed"}}), Reason::ok);
  EXPECT_EQ(sig_.header_canon, Canon::simple);
  EXPECT_EQ(sig_.body_canon, Canon::relaxed);
  ASSERT_EQ(parse_with({{"c", "Relaxed/Relaxed"}}), Reason::ok);
  EXPECT_EQ(sig_.header_canon, Canon::relaxed);
  EXPECT_EQ(sig_.body_canon, Canon::relaxed);
}

TEST_F(SignatureTest, UnknownCanonicalizationIsSigBadCanonicalization) {
  for (const char* c : {"foobar", "relaxed/", "/relaxed", "relaxed/future", "relaxed/simple/simple", ""}) {
    SCOPED_TRACE(c);
    EXPECT_EQ(parse_with({{"c", c}}), Reason::sig_bad_canonicalization);
  }
}

TEST_F(SignatureTest, BodyHashAndSignatureMayContainFws) {
  ASSERT_EQ(parse_with({{"b", "dGVz\r\n dA=="}, {"bh", "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn\r\n\t7XIkfJVOzv8="}}), Reason::ok);
  EXPECT_EQ(sig_.b_size, 4u);
  EXPECT_EQ(sig_.bh_size, 32u);
}

TEST_F(SignatureTest, EmptyOrInvalidBase64IsSigBadBase64) {
  EXPECT_EQ(parse_with({{"b", ""}}), Reason::sig_bad_base64);
  EXPECT_EQ(parse_with({{"b", "dGV*dA=="}}), Reason::sig_bad_base64);
  EXPECT_EQ(parse_with({{"bh", ""}}), Reason::sig_bad_base64);
  EXPECT_EQ(parse_with({{"bh", "2jUSOH9N=htVGCQ"}}), Reason::sig_bad_base64);
  // bh= larger than any digest does not fit the 64-byte buffer.
  EXPECT_EQ(parse_with({{"bh", std::string(100, 'A')}}), Reason::sig_bad_base64);
}

TEST_F(SignatureTest, BSpanIsExactlyTheBTagValueNotLookalikes) {
  // z= holds "b=" inside a copied header and xb= is an unknown tag ending in "b": neither may be
  // taken for the b= tag whose value §3.7 empties.
  const std::string value =
      " v=1; a=rsa-sha256; d=example.com; s=sel; h=From;\r\n z=Subject:a=20b=3Dx|From:b=3D;\r\n"
      " xb=dGVzdA==; bh=" + std::string(kBodyHash) + "; b= dGVz\r\n dA== ; t=1";
  ASSERT_EQ(parse(value), Reason::ok);
  EXPECT_EQ(value.substr(sig_.b_value_begin, sig_.b_value_end - sig_.b_value_begin), " dGVz\r\n dA== ");
  EXPECT_EQ(value.substr(sig_.b_value_begin - 4, 4), "; b=");
  EXPECT_EQ(value[sig_.b_value_end], ';');
  EXPECT_EQ(sig_.copied_headers, "Subject:a=20b=3Dx|From:b=3D");
}

TEST_F(SignatureTest, BSpanOfALastBTagEndsAtTheValueEnd) {
  ASSERT_EQ(parse_with({}), Reason::ok);
  EXPECT_EQ(sig_.b_value_end, text_.size() - 1);  // the trailing ';' that field_value() writes
  EXPECT_EQ(text_.substr(sig_.b_value_begin, sig_.b_value_end - sig_.b_value_begin), "dGVzdA==");
}

TEST_F(SignatureTest, MalformedDomainIsSigBadDomain) {
  for (const char* d : {"exa mple.com", "example..com", ".example.com", "example.com.", "", "ex/ample.com",
                        "example.com@x"}) {
    SCOPED_TRACE(d);
    EXPECT_EQ(parse_with({{"d", d}}), Reason::sig_bad_domain);
  }
  EXPECT_EQ(parse_with({{"d", "a" + std::string(64, 'b') + ".com"}}), Reason::sig_bad_domain);
}

TEST_F(SignatureTest, DomainsWithHyphensDigitsAndUnderscoresAreAccepted) {
  EXPECT_EQ(parse_with({{"d", "mail-1.Example.COM"}}), Reason::ok);
  EXPECT_EQ(parse_with({{"d", "_dkim.example.com"}}), Reason::ok);
}

TEST_F(SignatureTest, MalformedSelectorIsSigBadSelector) {
  EXPECT_EQ(parse_with({{"s", "sel/1"}}), Reason::sig_bad_selector);
  EXPECT_EQ(parse_with({{"s", ""}}), Reason::sig_bad_selector);
  EXPECT_EQ(parse_with({{"s", "a..b"}}), Reason::sig_bad_selector);
}

TEST_F(SignatureTest, SelectorsMayContainDotsAndUnderscores) {
  ASSERT_EQ(parse_with({{"s", "2023-05.ed25519_x"}}), Reason::ok);
  EXPECT_EQ(sig_.selector, "2023-05.ed25519_x");
}

TEST_F(SignatureTest, AuidEqualToOrUnderTheSigningDomainIsAccepted) {
  ASSERT_EQ(parse_with({{"i", "@example.com"}}), Reason::ok);
  EXPECT_EQ(sig_.auid, "@example.com");
  EXPECT_EQ(parse_with({{"i", "joe@mail.Example.COM"}}), Reason::ok);
  EXPECT_EQ(parse_with({{"i", "joe@EXAMPLE.com"}}), Reason::ok);
}

TEST_F(SignatureTest, AuidIsDecodedAsDkimQuotedPrintable) {
  // Mail::DKIM good_qp_1: i==6Along@messiah.edu is "jlong@messiah.edu".
  ASSERT_EQ(parse_with({{"d", "messiah.edu"}, {"i", "=6Along@messiah.edu"}}), Reason::ok);
  EXPECT_EQ(sig_.auid, "=6Along@messiah.edu");
  EXPECT_EQ(parse_with({{"i", "joe=40x=40example.com"}}), Reason::ok);  // the last '@' starts the domain
}

TEST_F(SignatureTest, AuidOutsideTheSigningDomainIsSigAuidOutsideSdid) {
  EXPECT_EQ(parse_with({{"i", "jon@example.org"}}), Reason::sig_auid_outside_sdid);
  EXPECT_EQ(parse_with({{"i", "jon@notexample.com"}}), Reason::sig_auid_outside_sdid);
  EXPECT_EQ(parse_with({{"i", "@com"}}), Reason::sig_auid_outside_sdid);
}

TEST_F(SignatureTest, MalformedAuidIsSigBadAuid) {
  EXPECT_EQ(parse_with({{"i", "joe"}}), Reason::sig_bad_auid);
  EXPECT_EQ(parse_with({{"i", ""}}), Reason::sig_bad_auid);
  EXPECT_EQ(parse_with({{"i", "joe@"}}), Reason::sig_bad_auid);
  EXPECT_EQ(parse_with({{"i", "joe=4@example.com"}}), Reason::sig_bad_auid);
  EXPECT_EQ(parse_with({{"i", "joe@example..com"}}), Reason::sig_bad_auid);
  EXPECT_EQ(parse_with({{"i", "joe@exa/mple.com"}}), Reason::sig_bad_auid);
}

TEST_F(SignatureTest, FromMissingFromSignedHeadersIsSigFromNotSigned) {
  EXPECT_EQ(parse_with({{"h", "To:Subject"}}), Reason::sig_from_not_signed);
  EXPECT_EQ(parse_with({{"h", "From-X:To"}}), Reason::sig_from_not_signed);
  EXPECT_EQ(parse_with({{"h", ""}}), Reason::sig_from_not_signed);
}

TEST_F(SignatureTest, EmptyOrMalformedSignedHeaderNameIsSigBadSignedHeaders) {
  // (A byte outside printable ASCII is already a tag-list error, sig_syntax, in any tag value.)
  for (const char* h : {"From::To", "From:To:", ":From", "From: :To", "Fr om:To", "From:Sub\r\n ject"}) {
    EXPECT_EQ(parse_with({{"h", h}}), Reason::sig_bad_signed_headers) << h;
  }
  // --legacy skips empty items, as the common verifiers do; a malformed name stays an error.
  EXPECT_EQ(parse_with({{"h", "From::To:"}}, Policy::legacy), Reason::ok);
  EXPECT_EQ(parse_with({{"h", "Fr om:To"}}, Policy::legacy), Reason::sig_bad_signed_headers);
}

TEST_F(SignatureTest, FromIsFoundCaseInsensitivelyBetweenFws) {
  ASSERT_EQ(parse_with({{"h", "to :\r\n FROM : subject"}}), Reason::ok);
  EXPECT_EQ(sig_.signed_headers, "to :\r\n FROM : subject");
}

TEST_F(SignatureTest, QueryMethodDnsTxtIsAcceptedAmongUnknownOnes) {
  EXPECT_EQ(parse_with({{"q", "dns/txt"}}), Reason::ok);
  EXPECT_EQ(parse_with({{"q", "DNS/TXT"}}), Reason::ok);
  EXPECT_EQ(parse_with({{"q", "http/well-known : dns/txt"}}), Reason::ok);
}

TEST_F(SignatureTest, QueryMethodsWithoutDnsTxtAreSigUnsupportedQueryMethod) {
  EXPECT_EQ(parse_with({{"q", "http"}}), Reason::sig_unsupported_query_method);
  EXPECT_EQ(parse_with({{"q", "dns/special"}}), Reason::sig_unsupported_query_method);
  EXPECT_EQ(parse_with({{"q", ""}}), Reason::sig_unsupported_query_method);
  EXPECT_EQ(parse_with({{"q", "dns"}}), Reason::sig_unsupported_query_method);
}

TEST_F(SignatureTest, DraftQueryMethodDnsIsAcceptedUnderLegacy) {
  EXPECT_EQ(parse_with({{"q", "dns"}}, Policy::legacy), Reason::ok);
}

TEST_F(SignatureTest, BodyLengthIsRead) {
  ASSERT_EQ(parse_with({{"l", "0"}}), Reason::ok);
  EXPECT_EQ(sig_.body_length, 0u);
  ASSERT_EQ(parse_with({{"l", "1234"}}), Reason::ok);
  EXPECT_EQ(sig_.body_length, 1234u);
}

TEST_F(SignatureTest, BodyLengthBeyondSixtyFourBitsSaturates) {
  ASSERT_EQ(parse_with({{"l", std::string(76, '9')}}), Reason::ok);
  EXPECT_EQ(sig_.body_length, std::numeric_limits<std::uint64_t>::max());
}

TEST_F(SignatureTest, MalformedBodyLengthIsSigBadBodyLength) {
  for (const std::string& l : {std::string("12a"), std::string(""), std::string("-1"), std::string("1 2"),
                               std::string(77, '1')}) {
    SCOPED_TRACE(l);
    EXPECT_EQ(parse_with({{"l", l}}), Reason::sig_bad_body_length);
  }
}

TEST_F(SignatureTest, TimestampAndExpirationAreRead) {
  ASSERT_EQ(parse_with({{"t", "1528637909"}, {"x", "1528637909"}}), Reason::ok);  // x == t tolerated
  EXPECT_EQ(sig_.timestamp, 1528637909u);
  EXPECT_EQ(sig_.expiration, 1528637909u);
  ASSERT_EQ(parse_with({{"t", "18446744073709551615"}}), Reason::ok);
  EXPECT_EQ(sig_.timestamp, std::numeric_limits<std::uint64_t>::max());
}

TEST_F(SignatureTest, MalformedTimestampIsSigBadTimestamp) {
  for (const char* t : {"abc", "", "12.5", "18446744073709551616", "000000000000000000001"}) {
    SCOPED_TRACE(t);
    EXPECT_EQ(parse_with({{"t", t}}), Reason::sig_bad_timestamp);
  }
}

TEST_F(SignatureTest, MalformedExpirationIsSigBadExpiration) {
  EXPECT_EQ(parse_with({{"x", "soon"}}), Reason::sig_bad_expiration);
  EXPECT_EQ(parse_with({{"x", "99999999999999999999"}}), Reason::sig_bad_expiration);
}

TEST_F(SignatureTest, ExpirationBeforeTimestampIsSigExpirationBeforeTimestamp) {
  EXPECT_EQ(parse_with({{"t", "1000"}, {"x", "999"}}), Reason::sig_expiration_before_timestamp);
}

TEST_F(SignatureTest, UnknownTagsAreIgnored) {
  EXPECT_EQ(parse_with({{"foo", "bar"}, {"xb", "zz"}, {"long_unknown_tag", "1"}}), Reason::ok);
}

TEST_F(SignatureTest, CopiedHeadersAreKept) {
  ASSERT_EQ(parse_with({{"z", "From:foo=40example.com|To:bar"}}), Reason::ok);
  EXPECT_EQ(sig_.copied_headers, "From:foo=40example.com|To:bar");
}

TEST_F(SignatureTest, ReparsingResetsOptionalFields) {
  ASSERT_EQ(parse_with({{"l", "5"}, {"i", "@example.com"}}), Reason::ok);
  ASSERT_EQ(parse_with({}), Reason::ok);
  EXPECT_FALSE(sig_.body_length.has_value());
  EXPECT_EQ(sig_.auid, "");
}

TEST(CheckSignatureTimes, PastExpirationIsSigExpired) {
  Signature sig;
  sig.expiration = 1000;
  EXPECT_EQ(check_signature_times(sig, 1001), Reason::sig_expired);
  EXPECT_EQ(check_signature_times(sig, 1000), Reason::ok);
  EXPECT_EQ(check_signature_times(sig, 999), Reason::ok);
}

TEST(CheckSignatureTimes, NoExpirationNeverExpires) {
  Signature sig;
  sig.timestamp = 1000;
  EXPECT_EQ(check_signature_times(sig, std::numeric_limits<std::int64_t>::max()), Reason::ok);
}

std::string decode_qp(std::string_view text) {
  std::array<char, 256> out{};
  std::size_t size = 0;
  if (!decode_dkim_quoted_printable(text, out, size)) return "<error>";
  return std::string(out.data(), size);
}

TEST(DecodeDkimQuotedPrintable, DecodesHexOctetsAndDropsFws) {
  EXPECT_EQ(decode_qp("a=3Db"), "a=b");
  EXPECT_EQ(decode_qp("=6a=6A"), "jj");
  EXPECT_EQ(decode_qp("jo e\r\n\t@x"), "joe@x");
  EXPECT_EQ(decode_qp("=00"), std::string(1, '\0'));
  EXPECT_EQ(decode_qp(""), "");
}

TEST(DecodeDkimQuotedPrintable, RejectsBadEscapesAndUnsafeCharacters) {
  EXPECT_EQ(decode_qp("a=4"), "<error>");
  EXPECT_EQ(decode_qp("a="), "<error>");
  EXPECT_EQ(decode_qp("a=ZZ"), "<error>");
  EXPECT_EQ(decode_qp("a;b"), "<error>");
  EXPECT_EQ(decode_qp("caf\xc3\xa9"), "<error>");
}

TEST(DecodeDkimQuotedPrintable, RejectsOutputBeyondTheBuffer) {
  EXPECT_EQ(decode_qp(std::string(256, 'a')), std::string(256, 'a'));
  EXPECT_EQ(decode_qp(std::string(257, 'a')), "<error>");
}

// The RFC 8463 Appendix A example carries both an Ed25519 and an RSA signature.
TEST(SignatureCorpus, Rfc8463ExampleSignaturesParse) {
  std::ifstream in(std::string(DKIMSCAN_TESTDATA) + "/rfc8463/messages/A3-signed.eml", std::ios::binary);
  ASSERT_TRUE(in);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string bytes = buffer.str();
  ParsedMessage message;
  message.split(bytes);
  std::vector<Signature> sigs;
  for (const HeaderField& field : message.fields()) {
    if (!field_name_equals(field.name, "DKIM-Signature")) continue;
    Signature sig;
    ASSERT_EQ(parse_signature(field, Policy::strict, sig), Reason::ok);
    sigs.push_back(sig);
  }
  ASSERT_EQ(sigs.size(), 2u);
  EXPECT_EQ(sigs[0].algorithm, Algorithm::ed25519_sha256);
  EXPECT_EQ(sigs[0].selector, "brisbane");
  EXPECT_EQ(sigs[0].b_size, 64u);
  EXPECT_EQ(sigs[1].algorithm, Algorithm::rsa_sha256);
  EXPECT_EQ(sigs[1].selector, "test");
  EXPECT_EQ(sigs[1].b_size, 128u);
  for (const Signature& sig : sigs) {
    EXPECT_EQ(sig.domain, "football.example.com");
    EXPECT_EQ(sig.auid, "@football.example.com");
    EXPECT_EQ(sig.timestamp, 1528637909u);
    EXPECT_EQ(sig.header_canon, Canon::relaxed);
    EXPECT_EQ(sig.body_canon, Canon::relaxed);
  }
}

}  // namespace
}  // namespace dkimscan::engine
