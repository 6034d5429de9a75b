// Tests for cache/key_file.{h,cpp} and cache/key_file_format.{h,cpp}: the keys.zone files of every
// corpus load; names are case-insensitive; directives, metadata, escapes and errors with file:line.
#include "cache/key_file.h"
#include "cache/key_recorder.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <array>
#include <filesystem>
#include <fstream>

namespace dkimscan::cache {
namespace {

using engine::Reason;

constexpr std::string_view kEd25519Txt = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

std::string corpus_zone(std::string_view corpus) {
  return std::string(DKIMSCAN_TESTDATA) + "/" + std::string(corpus) + "/keys.zone";
}

std::string error_of(std::string_view text) {
  KeyFileProvider keys;
  try {
    keys.load_text(text, "t.zone");
  } catch (const KeyFileError& e) {
    return e.what();
  }
  return "no error";
}

TEST(KeyFile, EveryCorpusZoneLoadsWithOneEntryPerName) {
  const std::pair<std::string_view, std::size_t> corpora[] = {
      {"dkimpy", 8}, {"go-msgauth", 5}, {"mail-auth", 7}, {"mail-dkim", 26},
      {"mailauth", 2}, {"rfc6376", 1}, {"rfc8463", 2}};
  for (const auto& [corpus, names] : corpora) {
    KeyFileProvider keys({corpus_zone(corpus)});
    EXPECT_EQ(keys.size(), names) << corpus;
  }
}

TEST(KeyFile, MailDkimDirectivesMapToLookupReasons) {
  KeyFileProvider keys({corpus_zone("mail-dkim")});
  const auto nx = keys.lookup("nonexistent._domainkey.messiah.edu");
  EXPECT_EQ(nx->lookup, Reason::key_not_found);
  EXPECT_EQ(nx->detail, "NXDOMAIN");
  EXPECT_TRUE(nx->records.empty());
  const auto timeout = keys.lookup("test3._domainkey.blackhole.messiah.edu");
  EXPECT_EQ(timeout->lookup, Reason::key_dns_servfail);
  EXPECT_EQ(timeout->detail, "Query timed out");
  const auto servfail = keys.lookup("test3._domainkey.blackhole2.messiah.edu");
  EXPECT_EQ(servfail->lookup, Reason::key_dns_servfail);
  EXPECT_EQ(servfail->detail, "SERVFAIL");
  const auto key = keys.lookup("test1._domainkey.messiah.edu");
  EXPECT_EQ(key->lookup, Reason::ok);
  ASSERT_EQ(key->records.size(), 1u);
  EXPECT_EQ(key->records[0].status, Reason::ok);
  EXPECT_TRUE(key->records[0].testing);
}

TEST(KeyFile, AbsentNameIsNxdomain) {
  KeyFileProvider keys({corpus_zone("rfc8463")});
  EXPECT_EQ(keys.find("nope._domainkey.example.com"), nullptr);
  const auto absent = keys.lookup("nope._domainkey.example.com");
  EXPECT_EQ(absent->lookup, Reason::key_not_found);
  EXPECT_TRUE(absent->records.empty());
}

TEST(KeyFile, NamesAreCaseInsensitiveAndSharedOnceBuilt) {
  KeyFileProvider keys;
  keys.load_text("Brisbane._DomainKey.Example.COM " + std::string(kEd25519Txt) + "\n", "t.zone");
  const auto a = keys.lookup("brisbane._domainkey.example.com");
  const auto b = keys.lookup("BRISBANE._domainkey.EXAMPLE.com");
  const auto c = keys.lookup("brisbane._domainkey.example.com.");
  EXPECT_EQ(a.get(), b.get());
  EXPECT_EQ(a.get(), c.get());
  ASSERT_EQ(a->records.size(), 1u);
  EXPECT_EQ(a->records[0].status, Reason::ok);
  EXPECT_EQ(a->records[0].type, engine::KeyType::ed25519);
}

TEST(KeyFile, SameNameOnSeveralLinesIsSeveralRecordsInOrder) {
  KeyFileProvider keys;
  keys.load_text("s._domainkey.d.example v=DKIM1; k=ed25519; p=\n"
                 "# a comment between the two records\n"
                 "\n"
                 "s._domainkey.d.example " + std::string(kEd25519Txt) + "\r\n",
                 "t.zone");
  const auto set = keys.lookup("s._domainkey.d.example");
  EXPECT_EQ(set->lookup, Reason::ok);
  ASSERT_EQ(set->records.size(), 2u);
  EXPECT_EQ(set->records[0].status, Reason::key_revoked);
  EXPECT_EQ(set->records[1].status, Reason::ok);
}

// Each name gets its own record however many a file holds: 500 names with distinct Ed25519 keys
// (the key's first two bytes are the name's number), each read back raw.
TEST(KeyFile, ManyNamesEachGetTheirOwnKey) {
  constexpr int kNames = 500;
  std::string text;
  for (int i = 0; i < kNames; ++i) {
    std::array<unsigned char, 32> raw{};
    raw[0] = static_cast<unsigned char>(i & 0xff);
    raw[1] = static_cast<unsigned char>(i >> 8);
    std::array<unsigned char, 45> b64{};
    EVP_EncodeBlock(b64.data(), raw.data(), static_cast<int>(raw.size()));
    text += "s" + std::to_string(i) + "._domainkey.d.example v=DKIM1; k=ed25519; p=" +
            reinterpret_cast<const char*>(b64.data()) + "\n";
  }
  KeyFileProvider keys;
  keys.load_text(text, "many.zone");
  ASSERT_EQ(keys.size(), static_cast<std::size_t>(kNames));
  for (int i = 0; i < kNames; ++i) {
    const auto set = keys.lookup("s" + std::to_string(i) + "._domainkey.d.example");
    ASSERT_EQ(set->lookup, Reason::ok) << i;
    ASSERT_EQ(set->records.size(), 1u);
    ASSERT_EQ(set->records[0].status, Reason::ok) << i;
    std::array<unsigned char, 32> raw{};
    std::size_t size = raw.size();
    ASSERT_EQ(EVP_PKEY_get_raw_public_key(set->records[0].key.get(), raw.data(), &size), 1);
    EXPECT_EQ(raw[0] | (raw[1] << 8), i);
  }
}

TEST(KeyFile, EarlierFileWinsForTheSameName) {
  KeyFileProvider keys;
  keys.load_text("s._domainkey.d.example !NXDOMAIN\n", "new.zone");
  keys.load_text("s._domainkey.d.example " + std::string(kEd25519Txt) + "\n"
                 "t._domainkey.d.example " + std::string(kEd25519Txt) + "\n",
                 "old.zone");
  EXPECT_EQ(keys.lookup("s._domainkey.d.example")->lookup, Reason::key_not_found);
  EXPECT_EQ(keys.lookup("t._domainkey.d.example")->lookup, Reason::ok);
  EXPECT_EQ(keys.find("s._domainkey.d.example")->origin, "new.zone:1");
}

TEST(KeyFile, MalformedLinesAreReportedWithFileAndLine) {
  EXPECT_EQ(error_of("# ok\nnovalue\n"), "t.zone:2: no space between name and value");
  EXPECT_EQ(error_of(" leading.space v=DKIM1\n"), "t.zone:1: line starts with white space (no name)");
  EXPECT_EQ(error_of("a._domainkey.b !BOGUS x\n"),
            "t.zone:1: unknown directive '!BOGUS' (values starting with '!' must be escaped)");
  EXPECT_EQ(error_of("a._domainkey.b v=DKIM1\na._domainkey.b !NXDOMAIN\n"),
            "t.zone:2: 'a._domainkey.b' already has a conflicting line at t.zone:1");
  EXPECT_EQ(error_of("#@ ttl=abc\n"), "t.zone:1: bad metadata value for 'ttl'");
  EXPECT_EQ(error_of("#@ escaped=1\na._domainkey.b bad\\q\n"),
            "t.zone:2: bad escape in an escaped=1 value");
}

TEST(KeyFile, UnreadableFileThrows) {
  EXPECT_THROW(KeyFileProvider({"/nonexistent/dir/keys.zone"}), KeyFileError);
}

// A folder of PEM keys passed by mistake must not load as an empty key file (every signature would
// then fail with key_not_found and the run would look like a real result).
TEST(KeyFile, FolderIsRejectedNotReadAsEmpty) {
  const std::string folder = std::string(DKIMSCAN_TESTDATA) + "/dkimpy";
  try {
    KeyFileProvider keys({folder});
    FAIL() << "a folder loaded as a key file";
  } catch (const KeyFileError& e) {
    EXPECT_EQ(std::string(e.what()), folder + ": is a folder; --keys takes key files (cache/KEYFILE.md)");
  }
}

TEST(KeyFile, SnapshotMetadataIsKeptAndEscapesAreUndone) {
  KeyFileProvider keys;
  keys.load_text("#@ ttl=300 queried=1700000000 server=127.0.0.1:53 reason=timeout detail=timed out after 3 tries\n"
                 "slow._domainkey.d.example !TEMPFAIL DNS timeout\n"
                 "#@ ttl=60 detail=NODATA (no TXT record)\n"
                 "nodata._domainkey.d.example !NXDOMAIN\n"
                 "#@ ttl=3600 escaped=1\n"
                 "odd._domainkey.d.example \\x21v=DKIM1\\x0a; p=\\\\\n",
                 "snap.zone");
  const KeyFileEntry* slow = keys.find("slow._domainkey.d.example");
  ASSERT_NE(slow, nullptr);
  EXPECT_EQ(slow->keys()->lookup, Reason::key_dns_timeout);
  EXPECT_EQ(slow->keys()->detail, "DNS timeout");
  EXPECT_EQ(slow->meta.ttl, 300u);
  EXPECT_EQ(slow->meta.queried, 1700000000);
  EXPECT_EQ(slow->meta.server, "127.0.0.1:53");
  const auto nodata = keys.lookup("nodata._domainkey.d.example");
  EXPECT_EQ(nodata->lookup, Reason::key_not_found);
  EXPECT_EQ(nodata->detail, "NODATA (no TXT record)");
  const KeyFileEntry* odd = keys.find("odd._domainkey.d.example");
  ASSERT_NE(odd, nullptr);
  EXPECT_EQ(odd->txt_values, std::vector<std::string>{"!v=DKIM1\n; p=\\"});
  EXPECT_EQ(odd->keys()->records.size(), 1u);
}

TEST(KeyFileFormat, ParsesEachLineKind) {
  EXPECT_EQ(parse_key_line("").kind, KeyLineKind::blank);
  EXPECT_EQ(parse_key_line("   \t").kind, KeyLineKind::blank);
  EXPECT_EQ(parse_key_line("# x y").kind, KeyLineKind::blank);
  const KeyLine rec = parse_key_line("A._domainkey.B. v=DKIM1;  p=abc  ");
  EXPECT_EQ(rec.kind, KeyLineKind::record);
  EXPECT_EQ(rec.name, "a._domainkey.b");
  EXPECT_EQ(rec.value, "v=DKIM1;  p=abc  ");  // verbatim after the first space
  const KeyLine empty = parse_key_line("a._domainkey.b ");
  EXPECT_EQ(empty.kind, KeyLineKind::record);
  EXPECT_EQ(empty.value, "");
  EXPECT_EQ(parse_key_line("a._domainkey.b !NXDOMAIN").kind, KeyLineKind::nxdomain);
  const KeyLine temp = parse_key_line("a._domainkey.b !TEMPFAIL SERVFAIL\r");
  EXPECT_EQ(temp.kind, KeyLineKind::tempfail);
  EXPECT_EQ(temp.value, "SERVFAIL");
  EXPECT_EQ(parse_key_line("a._domainkey.b !NXDOMAINX").kind, KeyLineKind::error);
  const KeyLine meta = parse_key_line("#@ server=[::1]:53 future=1 detail= x = y ");
  EXPECT_EQ(meta.kind, KeyLineKind::meta);
  EXPECT_EQ(meta.meta.server, "[::1]:53");
  EXPECT_EQ(meta.meta.detail, " x = y ");
}

TEST(KeyFileFormat, EscapeRoundTripsEveryByte) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  const std::string values[] = {all, "!NXDOMAIN", "a\\b", "line\r\nbreak", "plain v=DKIM1"};
  for (const std::string& value : values) {
    const std::string escaped = escape_key_value(value);
    EXPECT_EQ(escaped.find_first_of("\r\n"), std::string::npos);
    EXPECT_EQ(unescape_key_value(escaped), value);
    const KeyLine line = parse_key_line("n " + escaped);
    EXPECT_EQ(line.kind, KeyLineKind::record);
  }
  EXPECT_TRUE(key_value_needs_escape("!x"));
  EXPECT_TRUE(key_value_needs_escape(std::string("a\0b", 3)));
  EXPECT_FALSE(key_value_needs_escape("v=DKIM1; p=a\\b\t"));
  EXPECT_EQ(unescape_key_value("\\x4"), std::nullopt);
}

TEST(KeyFileFormat, MetaLineFormatsAndParsesBack) {
  KeyLineMeta meta;
  meta.ttl = 300;
  meta.queried = 1700000000;
  meta.server = "127.0.0.1:5353";
  meta.reason = Reason::key_dns_timeout;
  meta.escaped = true;
  meta.detail = "timed out\nafter 2 tries";
  const std::string line = format_key_meta(meta);
  EXPECT_EQ(line,
            "#@ ttl=300 queried=1700000000 server=127.0.0.1:5353 reason=timeout escaped=1 "
            "detail=timed out after 2 tries\n");
  const KeyLine back = parse_key_line(std::string_view(line).substr(0, line.size() - 1));
  ASSERT_EQ(back.kind, KeyLineKind::meta);
  EXPECT_EQ(back.meta.ttl, 300u);
  EXPECT_EQ(back.meta.queried, 1700000000);
  EXPECT_EQ(back.meta.server, "127.0.0.1:5353");
  EXPECT_EQ(back.meta.reason, Reason::key_dns_timeout);
  EXPECT_TRUE(back.meta.escaped);
  EXPECT_EQ(back.meta.detail, "timed out after 2 tries");
  EXPECT_EQ(format_key_meta(KeyLineMeta{}), "");
}

}  // namespace
}  // namespace dkimscan::cache

namespace dkimscan::cache {
namespace {

// Found by tests/fuzz/key_file_fuzz: "0.." was stored as "0." and could never be looked up.
TEST(KeyFileFormat, NameWithAnEmptyLabelIsAnError) {
  EXPECT_EQ(parse_key_line("0.. v=DKIM1; p=").kind, KeyLineKind::error);
  EXPECT_EQ(parse_key_line("s1._domainkey..example.org v=DKIM1; p=").kind, KeyLineKind::error);
  EXPECT_EQ(parse_key_line("s1._domainkey.example.org. v=DKIM1; p=").kind, KeyLineKind::record);
}

// A snapshot writes only names its loader reads back as written: one with an empty label would
// make the whole snapshot unloadable, and a trailing dot would merge with the name without it.
TEST(KeyFileFormat, SnapshotWritesOnlyNamesItsLoaderReadsBack) {
  RecordedAnswer nx;
  nx.kind = KeyLineKind::nxdomain;
  for (const char* bad : {"x._domainkey.example..com", "x._domainkey.example.com.", "x..example.com",
                          "#x._domainkey.example.com", "x._domainkey.exa mple.com", ""}) {
    EXPECT_EQ(format_recorded(bad, nx), "") << bad;
  }
  const std::string lines = format_recorded("x._domainkey.example.com", nx);
  ASSERT_FALSE(lines.empty());
  std::size_t names = 0;
  for (std::size_t begin = 0; begin < lines.size();) {
    const std::size_t end = lines.find('\n', begin);
    const KeyLine line = parse_key_line(std::string_view(lines).substr(begin, end - begin));
    EXPECT_NE(line.kind, KeyLineKind::error) << lines;
    if (line.kind == KeyLineKind::nxdomain) {
      ++names;
      EXPECT_EQ(line.name, "x._domainkey.example.com");
    }
    begin = end + 1;
  }
  EXPECT_EQ(names, 1u);
}

}  // namespace
}  // namespace dkimscan::cache
