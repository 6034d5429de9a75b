// Tests for cache/key_service.{h,cpp}, layered_provider and key_recorder: the stack the CLI builds.
// Key files answer offline; files win over DNS (explicit !NXDOMAIN included); a recorded snapshot
// replays every answer (records, NXDOMAIN, NODATA, SERVFAIL, timeout, odd bytes) identically.
#include "cache/key_service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cache/key_file.h"
#include "tests/cache/dns_responder.h"
#include "tests/temp_dir.h"

namespace dkimscan::cache {
namespace {

using engine::Reason;
using testing::DnsResponder;
using testing::Reply;
namespace fs = std::filesystem;

constexpr std::string_view kEd = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
constexpr std::string_view kRsa =
    "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2"
    "jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBf"
    "O2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB";

using dkimscan::testing::TempDir;

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Everything of a KeySet a verdict can depend on, as text.
std::string describe(const engine::KeySet& keys) {
  std::string out = std::string(engine::reason_code(keys.lookup)) + " [" + keys.detail + "]";
  for (const engine::KeyRecord& r : keys.records) {
    out += " {" + std::string(engine::reason_code(r.status)) + " type=" +
           std::to_string(static_cast<int>(r.type)) + " bits=" + std::to_string(r.bits) +
           " h=" + std::to_string(r.sha1_allowed) + std::to_string(r.sha256_allowed) +
           " s=" + std::to_string(r.email_service) + " t=" + std::to_string(r.testing) +
           std::to_string(r.strict_subdomains) + " key=" + std::to_string(r.key != nullptr) + "}";
  }
  return out;
}

Reply behaviour(const std::string& name) {
  Reply reply;
  const std::string label = name.substr(0, name.find('.'));
  if (label == "split") reply.records = {{std::string(kRsa.substr(0, 100)), std::string(kRsa.substr(100))}};
  if (label == "two") reply.records = {{"v=DKIM1; k=ed25519; p="}, {std::string(kEd)}};
  if (label == "odd") reply.records = {{"!weird\nvalue\\x41"}};
  if (label == "junk") reply.records = {{"v=DKIM1; k=rsa; p=!!!"}};
  if (label == "gone") reply.kind = Reply::Kind::nxdomain;
  if (label == "empty") reply.kind = Reply::Kind::nodata;
  if (label == "broken") reply.kind = Reply::Kind::servfail;
  if (label == "denied") reply.kind = Reply::Kind::refused;
  if (label == "mute") reply.kind = Reply::Kind::silent;
  if (reply.records.empty() && reply.kind == Reply::Kind::txt) reply.records = {{std::string(kEd)}};
  return reply;
}

KeyOptions dns_options(const DnsResponder& responder) {
  KeyOptions options;
  options.use_dns = true;
  options.dns_servers = responder.server();
  options.dns_timeout = std::chrono::milliseconds(150);
  options.dns_tries = 1;
  return options;
}

TEST(KeyService, KeyFilesAloneAnswerOfflineAndAbsentNamesAreNxdomain) {
  KeyOptions options;
  options.key_files = {std::string(DKIMSCAN_TESTDATA) + "/mail-dkim/keys.zone"};
  ASSERT_FALSE(options.dns_wanted());
  auto keys = make_key_provider(options);
  EXPECT_EQ(keys->lookup("test1._domainkey.messiah.edu")->lookup, Reason::ok);
  EXPECT_EQ(keys->lookup("nonexistent._domainkey.messiah.edu")->detail, "NXDOMAIN");
  const engine::KeySetPtr absent = keys->lookup("nope._domainkey.example.com");
  EXPECT_EQ(absent->lookup, Reason::key_not_found);
  EXPECT_EQ(absent->detail, "NXDOMAIN (name not in the key files)");
  keys->finish();
  const KeyStats stats = keys->stats();
  EXPECT_EQ(stats.lookups, 3u);
  EXPECT_EQ(stats.file_answers, 3u);
  EXPECT_EQ(stats.queries_sent, 0u);
}

TEST(KeyService, FilesWinOverDnsIncludingAnExplicitNxdomain) {
  DnsResponder responder(behaviour);
  TempDir dir;
  KeyOptions options = dns_options(responder);
  options.key_files = {dir.write("keys.zone", "file._domainkey.d.example " + std::string(kRsa) + "\n" +
                                                 "banned._domainkey.d.example !NXDOMAIN\n")};
  auto keys = make_key_provider(options);
  const engine::KeySetPtr file = keys->lookup("file._domainkey.d.example");
  ASSERT_EQ(file->records.size(), 1u);
  EXPECT_EQ(file->records[0].type, engine::KeyType::rsa);
  EXPECT_EQ(keys->lookup("banned._domainkey.d.example")->lookup, Reason::key_not_found);
  const engine::KeySetPtr dns = keys->lookup("other._domainkey.d.example");
  ASSERT_EQ(dns->records.size(), 1u);
  EXPECT_EQ(dns->records[0].type, engine::KeyType::ed25519);
  EXPECT_EQ(responder.queries_for("file._domainkey.d.example"), 0u);
  EXPECT_EQ(responder.queries_for("banned._domainkey.d.example"), 0u);
  EXPECT_EQ(responder.queries(), 1u);
  keys->finish();
  const KeyStats stats = keys->stats();
  EXPECT_EQ(stats.lookups, 3u);
  EXPECT_EQ(stats.file_answers, 2u);
  EXPECT_EQ(stats.queries_sent, 1u);
  EXPECT_EQ(stats.answers, 1u);
}

TEST(KeyService, RecordThenReplayGivesIdenticalKeySetsAndTheSameSnapshot) {
  const std::vector<std::string> names = {
      "plain._domainkey.d.example", "split._domainkey.d.example", "two._domainkey.d.example",
      "odd._domainkey.d.example",   "junk._domainkey.d.example",  "gone._domainkey.d.example",
      "empty._domainkey.d.example", "broken._domainkey.d.example", "denied._domainkey.d.example",
      "mute._domainkey.d.example",  "file._domainkey.d.example",  "filegone._domainkey.d.example"};
  DnsResponder responder(behaviour);
  TempDir dir;
  const std::string zone = dir.write("keys.zone", "file._domainkey.d.example " + std::string(kEd) +
                                                     "\nfilegone._domainkey.d.example !NXDOMAIN\n");
  KeyOptions record = dns_options(responder);
  record.key_files = {zone};
  record.record_keys = dir / "snapshot.keys";
  std::vector<std::string> live;
  {
    auto keys = make_key_provider(record);
    for (const std::string& name : names) live.push_back(describe(*keys->lookup(name)));
    for (const std::string& name : names) keys->lookup(name);  // cached: recorded once
    keys->finish();
    EXPECT_EQ(keys->stats().queries_sent, names.size() - 2);
  }
  EXPECT_EQ(live[3].substr(0, 3), "ok ");
  EXPECT_EQ(live[9], "key_dns_timeout [DNS timeout (1 try)]");
  EXPECT_EQ(live[7], "key_dns_servfail [SERVFAIL]");
  EXPECT_EQ(live[8], "key_dns_servfail [REFUSED]");
  EXPECT_EQ(live[6], "key_not_found [NODATA (no TXT record)]");

  KeyOptions replay;
  replay.key_files = {record.record_keys};
  replay.record_keys = dir / "again.keys";
  auto keys = make_key_provider(replay);
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(describe(*keys->lookup(names[i])), live[i]) << names[i];
  }
  keys->finish();
  EXPECT_EQ(keys->stats().file_answers, names.size());
  EXPECT_EQ(read_all(replay.record_keys), read_all(record.record_keys));
  const std::string snapshot = read_all(record.record_keys);
  EXPECT_NE(snapshot.find("#@ ttl=300 queried="), std::string::npos);
  EXPECT_NE(snapshot.find("server=" + responder.server()), std::string::npos);
  EXPECT_NE(snapshot.find("mute._domainkey.d.example !TEMPFAIL DNS timeout (1 try)\n"), std::string::npos);
  EXPECT_NE(snapshot.find("escaped=1\nodd._domainkey.d.example \\x21weird\\x0avalue\\\\x41\n"),
            std::string::npos);
}

TEST(KeyService, BuildErrorsThrow) {
  KeyOptions missing;
  missing.key_files = {"/nonexistent/keys.zone"};
  EXPECT_THROW(make_key_provider(missing), KeyFileError);
  KeyOptions bad_dns;
  bad_dns.use_dns = true;
  bad_dns.dns_servers = "127.0.0.1:notaport";
  EXPECT_THROW(make_key_provider(bad_dns), std::runtime_error);
  KeyOptions bad_snapshot;
  bad_snapshot.key_files = {std::string(DKIMSCAN_TESTDATA) + "/rfc8463/keys.zone"};
  bad_snapshot.record_keys = "/nonexistent/dir/snapshot.keys";
  EXPECT_THROW(make_key_provider(bad_snapshot), std::runtime_error);
}

}  // namespace
}  // namespace dkimscan::cache
