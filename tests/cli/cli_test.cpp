// File: tests/cli/cli_test.cpp
// The dkimscan command line as a user meets it (README "Usage"): verify's JSON Lines report field
// by field, input order, exit codes 0/1/2/64, --help, --at in both spellings, --legacy, and keygen's
// key-file and zone-file lines. Messages come from the public corpora in tests/data.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "tests/cli/cli_test_util.h"

namespace dkimscan::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kData = DKIMSCAN_TESTDATA;

std::string verify_args(const std::string& keys, const std::string& paths, const std::string& extra = "") {
  return dkimscan_command("verify --quiet --format jsonl --keys " + shell_quote(keys) + " " + extra + " " + paths);
}

// The message objects of a JSON Lines report (the summary dropped).
std::vector<json> messages_of(const std::string& out) {
  std::vector<json> messages;
  for (json& object : parse_json_lines(out)) {
    if (object["type"] == "message") messages.push_back(std::move(object));
  }
  return messages;
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    // Name order is input order: 01 passes (two signatures), 02 fails, 03 is unsigned.
    dir_.write("m/01-pass.eml", read_text(kData + "/rfc8463/messages/A3-signed.eml"));
    dir_.write("m/02-fail.eml", read_text(kData + "/rfc6376/messages/A2-as-printed.eml"));
    dir_.write("m/03-unsigned.eml", read_text(kData + "/rfc6376/messages/A1-unsigned.eml"));
    dir_.write("keys.zone", read_text(kData + "/rfc8463/keys.zone") + read_text(kData + "/rfc6376/keys.zone"));
  }
  std::string keys() const { return dir_ / "keys.zone"; }
  // A fresh Ed25519 key for d=example.org, s=s, at dir_/name; its path.
  std::string new_signing_key(const std::string& name) {
    const std::string pem = dir_ / name;
    EXPECT_EQ(run_command(dkimscan_command("keygen --type ed25519 -d example.org -s s --out " + shell_quote(pem) + " > /dev/null"))
                  .exit_code,
              0);
    return pem;
  }

  // 03-unsigned.eml signed with a fresh Ed25519 key (its key file: x.zone) at t=1700000000
  // (2023-11-14T22:13:20Z), expiring at x=1700003600 (23:13:20Z); the signed copy's path.
  std::string expiring_message() const {
    const CommandResult keygen = run_command(dkimscan_command("keygen --type ed25519 -d example.org -s x --out " +
                                                              shell_quote(dir_ / "x.pem")));
    EXPECT_EQ(keygen.exit_code, 0);
    dir_.write("x.zone", keygen.out);
    const CommandResult sign = run_command(dkimscan_command(
        "sign --key " + shell_quote(dir_ / "x.pem") + " -d example.org -s x --timestamp 1700000000 --expire 3600 --out " +
        shell_quote(dir_ / "expiring") + " " + shell_quote(dir_ / "m/03-unsigned.eml")));
    EXPECT_EQ(sign.exit_code, 0);
    return dir_ / "expiring/03-unsigned.eml";
  }

  TempDir dir_;
};

TEST_F(Cli, VerifyJsonlHasOneObjectPerMessageWithTheDocumentedFields) {
  const CommandResult r = run_command(verify_args(keys(), shell_quote(dir_ / "m")));
  EXPECT_EQ(r.exit_code, 1);  // 02 fails
  const std::vector<json> objects = parse_json_lines(r.out);
  ASSERT_EQ(objects.size(), 4u) << r.out;
  const std::string message_id = "<20030712040037.46341.5F8J@football.example.com>";

  const json& pass = objects[0];
  EXPECT_EQ(pass["type"], "message");
  EXPECT_EQ(pass["seq"], 0);
  EXPECT_EQ(pass["source"], dir_ / "m/01-pass.eml");
  EXPECT_EQ(pass["message_id"], message_id);
  EXPECT_EQ(pass["from_domain"], "football.example.com");
  EXPECT_EQ(pass["result"], "pass");
  EXPECT_EQ(pass["reason"], "ok");
  EXPECT_EQ(pass["policy"], "strict");
  ASSERT_EQ(pass["signatures"].size(), 2u);
  const json& ed = pass["signatures"][0];
  EXPECT_EQ(ed["d"], "football.example.com");
  EXPECT_EQ(ed["s"], "brisbane");
  EXPECT_EQ(ed["i"], "@football.example.com");
  EXPECT_EQ(ed["a"], "ed25519-sha256");
  EXPECT_EQ(ed["c"], "relaxed/relaxed");
  EXPECT_EQ(ed["result"], "pass");
  EXPECT_EQ(ed["reason"], "ok");
  EXPECT_EQ(ed["key_bits"], 256);
  const json& rsa = pass["signatures"][1];
  EXPECT_EQ(rsa["s"], "test");
  EXPECT_EQ(rsa["a"], "rsa-sha256");
  EXPECT_EQ(rsa["result"], "pass");
  EXPECT_EQ(rsa["key_bits"], 1024);

  const json& fail = objects[1];
  EXPECT_EQ(fail["seq"], 1);
  EXPECT_EQ(fail["source"], dir_ / "m/02-fail.eml");
  EXPECT_EQ(fail["result"], "fail");
  EXPECT_EQ(fail["reason"], "signature_mismatch");
  ASSERT_EQ(fail["signatures"].size(), 1u);
  EXPECT_EQ(fail["signatures"][0]["d"], "example.com");
  EXPECT_EQ(fail["signatures"][0]["i"], "joe@football.example.com");
  EXPECT_EQ(fail["signatures"][0]["c"], "simple/simple");
  EXPECT_EQ(fail["signatures"][0]["result"], "fail");
  EXPECT_EQ(fail["signatures"][0]["reason"], "signature_mismatch");
  EXPECT_EQ(fail["signatures"][0]["key_bits"], 1024);

  const json& unsigned_message = objects[2];
  EXPECT_EQ(unsigned_message["seq"], 2);
  EXPECT_EQ(unsigned_message["result"], "none");
  EXPECT_EQ(unsigned_message["reason"], "no_signature");
  EXPECT_TRUE(unsigned_message["signatures"].is_array());
  EXPECT_TRUE(unsigned_message["signatures"].empty());

  const json& summary = objects[3];
  EXPECT_EQ(summary["type"], "summary");
  EXPECT_EQ(summary["messages"], 3);
  EXPECT_EQ(summary["signatures"], 3);
  EXPECT_EQ(summary["message_results"]["pass"], 1);
  EXPECT_EQ(summary["message_results"]["fail"], 1);
  EXPECT_EQ(summary["message_results"]["none"], 1);
  EXPECT_EQ(summary["exit_code"], 1);
}

// On a terminal (here a pseudo-terminal from script(1)) a progress line is drawn on stderr every
// 250 ms; it shows a percentage and an ETA only when the input's size says how far the run is:
// a gzip file named .mbox does not, as its first bytes tell.
TEST_F(Cli, ProgressLineGivesAPercentageOnlyForInputOfKnownSize) {
  std::string mbox;
  for (int i = 0; i < 8000; ++i) mbox += "From a@b Thu Jan  1 00:00:00 2024\n" + read_text(dir_ / "m/01-pass.eml") + "\n";
  const std::string plain = dir_.write("plain.mbox", mbox);
  const std::string packed = dir_ / "packed.mbox";
  ASSERT_EQ(run_command("gzip -c " + shell_quote(plain) + " > " + shell_quote(packed)).exit_code, 0);
  for (const std::string& path : {plain, packed}) {
    const std::string verify = dkimscan_command("verify -j1 --format jsonl --keys " + shell_quote(keys()) + " " +
                                                shell_quote(path) + " > /dev/null");
    const auto start = std::chrono::steady_clock::now();
    const CommandResult r = run_command("script -qfec " + shell_quote(verify) + " /dev/null");
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(r.exit_code, 0) << r.out;
    // The first line comes after 250 ms; on a machine fast enough to finish before, there is none.
    if (r.out.find(" messages/s") == std::string::npos && took < std::chrono::milliseconds(600)) {
      GTEST_SKIP() << "the run took under 600 ms: too fast for a progress line";
    }
    ASSERT_NE(r.out.find(" messages/s"), std::string::npos) << path << ": no progress line drawn: " << r.out;
    EXPECT_EQ(r.out.find("ETA") != std::string::npos, path == plain) << path << ": " << r.out;
  }
}

// A folder with no messages (a mistyped Maildir path, say) is a clean run of nothing: exit 0, and
// a warning on stderr so that it does not pass unnoticed.
TEST_F(Cli, InputWithNoMessagesIsWarnedAbout) {
  fs::create_directories(dir_ / "empty/cur");
  const CommandResult r = run_command(verify_args(keys(), shell_quote(dir_ / "empty") + " 2>&1"));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("warning: the input held no messages"), std::string::npos) << r.out;
  const CommandResult some = run_command(verify_args(keys(), shell_quote(dir_ / "m") + " 2>&1"));
  EXPECT_EQ(some.out.find("warning"), std::string::npos) << some.out;
}

// Input order is name order, folders recursively, whatever the thread count.
TEST_F(Cli, VerifyReportsInInputOrderWithSeveralThreads) {
  const std::string pass = read_text(dir_ / "m/01-pass.eml");
  const std::string fail = read_text(dir_ / "m/02-fail.eml");
  std::vector<std::string> expected_sources;
  for (int i = 0; i < 40; ++i) {
    const std::string name = "many/" + std::string(i < 20 ? "a" : "b/c") + "/" + (i % 20 < 10 ? "0" : "") +
                             std::to_string(i % 20) + ".eml";
    expected_sources.push_back(dir_.write(name, i % 3 == 0 ? fail : pass));
  }
  for (const char* threads : {"1", "2", "4"}) {
    const CommandResult r = run_command(verify_args(keys(), shell_quote(dir_ / "many"), std::string("-j ") + threads));
    const std::vector<json> messages = messages_of(r.out);
    ASSERT_EQ(messages.size(), expected_sources.size()) << threads;
    for (std::size_t i = 0; i < messages.size(); ++i) {
      EXPECT_EQ(messages[i]["seq"], i);
      EXPECT_EQ(messages[i]["source"], expected_sources[i]) << "threads " << threads;
      EXPECT_EQ(messages[i]["result"], i % 3 == 0 ? "fail" : "pass") << messages[i]["source"];
    }
  }
}

// Damage is reported the same whatever -j is: the workers that load mboxrd messages at -j2 and
// more must keep what the reader found (a .gz cut inside the last message; junk between messages).
TEST_F(Cli, DamagedArchivesGetTheSameReportAtEveryThreadCount) {
  std::string mbox;
  for (int i = 0; i < 150; ++i) {  // 250 KB: the cut lies beyond the gzip reader's first 64 KiB block
    const std::string message = read_text(dir_ / (i % 2 == 0 ? "m/01-pass.eml" : "m/02-fail.eml"));
    mbox += "From a@example.org Mon Jan  1 00:00:00 2024\n" + message + "\n>>From a quoted line\n\n";
    if (i == 12) mbox += "From \x01\x02 junk\n\x7f\x80\x81 not a message\n\n";
  }
  const std::string plain = dir_.write("damaged/whole.mbox", mbox);
  ASSERT_EQ(run_command("gzip -c " + shell_quote(plain) + " > " + shell_quote(dir_ / "damaged/whole.mbox.gz")).exit_code, 0);
  const std::string gz = read_text(dir_ / "damaged/whole.mbox.gz");
  dir_.write("damaged/cut.mbox.gz", gz.substr(0, gz.size() * 9 / 10));
  std::string reference;
  for (const char* threads : {"1", "2", "4"}) {
    const CommandResult r = run_command(verify_args(keys(), shell_quote(dir_ / "damaged"), std::string("-j ") + threads));
    EXPECT_EQ(r.exit_code, 2) << threads;  // unreadable messages
    std::string lines;
    for (const json& message : messages_of(r.out)) lines += message.dump() + "\n";
    if (reference.empty()) {
      reference = lines;
      EXPECT_NE(lines.find("\"code\":\"truncated\""), std::string::npos) << lines;
      EXPECT_NE(lines.find("\"code\":\"not_a_message\""), std::string::npos) << lines;
    }
    EXPECT_EQ(lines, reference) << "-j " << threads;
  }
}

// An mbox file of 4 MiB and more is cut in 1 MiB chunks by the worker threads; the same archive
// compressed is read by one thread in a stream. Both must give the same report at every -j:
// messages spanning chunks, one spanning several, junk, and mboxrd quoting included.
TEST_F(Cli, LargeMboxCutByTheWorkersGivesWhatItsStreamGives) {
  std::string mbox;
  const std::string pass = read_text(dir_ / "m/01-pass.eml"), fail = read_text(dir_ / "m/02-fail.eml");
  for (int i = 0; mbox.size() < (5u << 20); ++i) {
    mbox += "From a@example.org Mon Jan  1 00:00:00 2024\n";
    mbox += i % 3 == 0 ? fail + "\n>>From a quoted line\n\n" : pass + "\n";
    if (i == 100) mbox += "From \x01\x02 junk\n\x7f\x80\x81 not a message\n\n";
    if (i == 700) mbox += "From b@example.org\nFrom: b@example.org\n\n" + std::string(2500000, 'x') + "\n\n";
  }
  const std::string plain = dir_.write("large/archive.mbox", mbox);
  ASSERT_EQ(run_command("gzip -c " + shell_quote(plain) + " > " + shell_quote(plain + ".gz")).exit_code, 0);
  std::string reference;
  for (const std::string& path : {plain + ".gz", plain}) {
    for (const char* threads : {"1", "2", "4"}) {
      const CommandResult r = run_command(verify_args(keys(), shell_quote(path), std::string("-j ") + threads));
      EXPECT_EQ(r.exit_code, 2) << path << " -j " << threads;  // the junk is not_a_message
      std::string lines;
      for (json message : messages_of(r.out)) {
        const std::string source = message["source"];
        message["source"] = source.substr(source.find('#'));  // "archive.mbox.gz#7" and "archive.mbox#7"
        lines += message.dump() + "\n";
      }
      if (reference.empty()) {
        reference = lines;
        EXPECT_NE(lines.find("\"code\":\"not_a_message\""), std::string::npos);
        EXPECT_NE(lines.find("\"result\":\"pass\""), std::string::npos);
      }
      EXPECT_EQ(lines, reference) << path << " -j " << threads;
    }
  }
}

// JSON Lines stays valid JSON (and valid UTF-8) whatever bytes a message or a file name holds:
// '"', '\\' and control bytes are escaped, valid UTF-8 passes, a byte that is not UTF-8 becomes U+FFFD.
TEST_F(Cli, JsonStringsAreEscapedAndValidUtf8) {
  const std::string path = dir_.write("odd/a \"quoted\" \\ name.eml",
                                      "From: a@example.org\r\nMessage-ID: <caf\xc3\xa9\x01\t\"x\"\\\xff@example.org>\r\n\r\nbody\r\n");
  const CommandResult r = run_command(verify_args(keys(), shell_quote(path)));
  const std::vector<json> messages = messages_of(r.out);  // throws on invalid JSON or UTF-8
  ASSERT_EQ(messages.size(), 1u) << r.out;
  EXPECT_EQ(messages[0]["source"], path);
  EXPECT_EQ(messages[0]["message_id"], "<caf\xc3\xa9\x01\t\"x\"\\\xef\xbf\xbd@example.org>");
  EXPECT_NE(r.out.find("\\u0001\\t\\\"x\\\"\\\\\\ufffd"), std::string::npos) << r.out;
}

TEST_F(Cli, ExitCodesFollowTheWorstMessage) {
  const std::string m = dir_ / "m/";
  EXPECT_EQ(run_command(verify_args(keys(), shell_quote(m + "01-pass.eml") + " " + shell_quote(m + "03-unsigned.eml")))
                .exit_code,
            0);
  EXPECT_EQ(run_command(verify_args(keys(), shell_quote(m + "01-pass.eml") + " " + shell_quote(m + "02-fail.eml")))
                .exit_code,
            1);
  // A temporary key failure (the key file's !TEMPFAIL) makes the run incomplete: 2.
  const std::string tempfail = dir_.write("tempfail.zone", "brisbane._domainkey.example.com !TEMPFAIL timeout\n");
  const CommandResult temp = run_command(verify_args(tempfail, shell_quote(kData + "/rfc6376/messages/A2-errata4926.eml")));
  EXPECT_EQ(temp.exit_code, 2);
  const std::vector<json> messages = messages_of(temp.out);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0]["result"], "temperror");
  // The lookup's own words reach the report: the key file's text here, the DNS outcome otherwise.
  EXPECT_EQ(messages[0]["signatures"][0]["key_detail"], "timeout");
  const CommandResult text = run_command(dkimscan_command("verify --keys " + shell_quote(tempfail) + " " +
                                                          shell_quote(kData + "/rfc6376/messages/A2-errata4926.eml")));
  EXPECT_NE(text.out.find("try again later; timeout)"), std::string::npos) << text.out;
  // An unreadable message also makes the run incomplete, and still gets its line.
  const CommandResult missing = run_command(verify_args(keys(), shell_quote(m + "01-pass.eml") + " " +
                                                                    shell_quote(dir_ / "no-such-file.eml") + " 2>/dev/null"));
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(messages_of(missing.out).size(), 2u);
  // Bad usage: 64.
  EXPECT_EQ(run_command(dkimscan_command("verify --no-such-flag x 2>/dev/null")).exit_code, 64);
  EXPECT_EQ(run_command(dkimscan_command("verify 2>/dev/null")).exit_code, 64);
  EXPECT_EQ(run_command(dkimscan_command("verify --format xml " + shell_quote(m) + " 2>/dev/null")).exit_code, 64);
  EXPECT_EQ(run_command(dkimscan_command("no-such-command 2>/dev/null")).exit_code, 64);
  // A key file that cannot be read, or a folder given as one: 66, before any message is read.
  const std::string message = shell_quote(m + "01-pass.eml");
  for (const std::string& bad_keys : {dir_ / "no-such.zone", dir_ / "m"}) {
    const CommandResult r = run_command(verify_args(bad_keys, message + " 2>/dev/null"));
    EXPECT_EQ(r.exit_code, 66) << bad_keys;
    EXPECT_EQ(r.out, "") << bad_keys;
  }
}

// --dns and --dns-timeout are checked before any query: a typo is bad usage (64), not a query to
// somewhere else (c-ares reads port 99999 as 34463, and an empty list as /etc/resolv.conf).
TEST_F(Cli, MalformedDnsServersAndTimeoutsAreUsageErrors) {
  const std::string message = shell_quote(dir_ / "m/01-pass.eml");
  for (const char* bad : {"foo", "localhost", "127.0.0.1:99999", "127.0.0.1:0", "127.0.0.1:", "", "127.0.0.1,,127.0.0.2",
                          "[::1", "[::1]x", "[127.0.0.1]:53", "1:2:3"}) {
    const CommandResult r =
        run_command(dkimscan_command("verify --quiet --dns " + shell_quote(bad) + " " + message + " 2>&1"));
    EXPECT_EQ(r.exit_code, 64) << "--dns '" << bad << "'";
    EXPECT_NE(r.out.find("--dns"), std::string::npos) << r.out;
  }
  for (const char* bad : {"0", "600001", "3000000000", "-1"}) {
    EXPECT_EQ(run_command(dkimscan_command("verify --quiet --dns 127.0.0.1 --dns-timeout " + std::string(bad) + " " +
                                           message + " 2>/dev/null"))
                  .exit_code,
              64)
        << "--dns-timeout " << bad;
  }
  // Well-formed lists get past the check: the key file answers, so no query is ever sent.
  for (const char* good : {"127.0.0.1", "127.0.0.1:5353", "[::1]:53", "::1", "127.0.0.1,127.0.0.2:53"}) {
    const CommandResult r = run_command(verify_args(keys(), message, "--dns " + shell_quote(good)));
    EXPECT_EQ(r.exit_code, 0) << "--dns '" << good << "'";
    EXPECT_EQ(messages_of(r.out).size(), 1u) << good;
  }
}

// Output that cannot be written is exit code 74 however large the report, and a key snapshot that
// cannot be created or written is too; the results, summary included, are written before it.
TEST_F(Cli, UnwritableReportOrSnapshotIsAnOutputError) {
  ASSERT_TRUE(fs::exists("/dev/full"));
  const std::string m = shell_quote(dir_ / "m");
  std::string many;  // a report larger than the 1 MiB output buffer: the write fails mid-run
  for (int i = 0; i < 400; ++i) many += " " + m;
  EXPECT_EQ(run_command(verify_args(keys(), many + " >/dev/full 2>/dev/null")).exit_code, 74);
  EXPECT_EQ(run_command(verify_args(keys(), m + " >/dev/full 2>/dev/null")).exit_code, 74);  // at the last flush
  const CommandResult uncreatable =
      run_command(verify_args(keys(), m, "--record-keys " + shell_quote(dir_ / "no-such-dir/k.zone") + " 2>&1"));
  EXPECT_EQ(uncreatable.exit_code, 74);
  EXPECT_NE(uncreatable.out.find("cannot create the key snapshot"), std::string::npos) << uncreatable.out;
  const CommandResult full = run_command(verify_args(keys(), m, "--record-keys /dev/full 2>/dev/null"));
  EXPECT_EQ(full.exit_code, 74);
  EXPECT_EQ(messages_of(full.out).size(), 3u);
  // The summary says so too, with the exit code the process gives.
  const json summary = parse_json_lines(full.out).back();
  EXPECT_EQ(summary["type"], "summary");
  EXPECT_EQ(summary["exit_code"], 74);
  EXPECT_NE(summary.value("snapshot_error", "").find("/dev/full"), std::string::npos) << full.out;
  // A report that breaks off still leaves a snapshot of the keys asked for so far, not only its
  // first line (which a replay would read as "every key missing").
  const std::string snapshot = dir_ / "broken-report.zone";
  EXPECT_EQ(run_command(verify_args(keys(), many, "--record-keys " + shell_quote(snapshot) + " >/dev/full 2>/dev/null"))
                .exit_code,
            74);
  const std::string recorded = read_text(snapshot);
  EXPECT_NE(recorded.find("._domainkey.football.example.com "), std::string::npos) << recorded;
  EXPECT_NE(recorded.find("._domainkey.example.com "), std::string::npos) << recorded;
}

// A line end or a terminal escape in a file name stays inside its line, in text and authres.
TEST_F(Cli, ControlBytesInFileNamesStayOnTheirLine) {
  const std::string odd = dir_.write("odd/a\nb\x1b[2Jc.eml", read_text(dir_ / "m/01-pass.eml"));
  const CommandResult text = run_command(dkimscan_command("verify --quiet --keys " + shell_quote(keys()) + " " +
                                                          shell_quote(dir_ / "odd")));
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_EQ(split_lines(text.out).size(), 1u) << text.out;
  EXPECT_NE(text.out.find("a?b?[2Jc.eml"), std::string::npos) << text.out;
  const CommandResult authres = run_command(dkimscan_command("verify --format authres --keys " + shell_quote(keys()) +
                                                             " " + shell_quote(odd)));
  const std::vector<std::string> lines = split_lines(authres.out);
  ASSERT_EQ(lines.size(), 1u) << authres.out;
  EXPECT_EQ(std::count(lines[0].begin(), lines[0].end(), '\t'), 1) << lines[0];
  EXPECT_EQ(lines[0].find('\x1b'), std::string::npos) << lines[0];
}

// Local policy: a verified signature that breaks a rule gets policy; the summary names the rules.
TEST_F(Cli, LocalPolicyTurnsAVerifiedSignatureIntoPolicy) {
  // RFC 8463 A.3: an Ed25519 and a 1024-bit RSA signature; RFC 6376 A.2 (errata 4926): one RSA-1024.
  const std::string both = shell_quote(dir_ / "m/01-pass.eml");
  const std::string rsa_only = shell_quote(kData + "/rfc6376/messages/A2-errata4926.eml");
  const CommandResult r = run_command(verify_args(keys(), both + " " + rsa_only, "--min-rsa-bits 2048"));
  EXPECT_EQ(r.exit_code, 1);  // the RSA-only message is policy: it did not verify acceptably
  const std::vector<json> objects = parse_json_lines(r.out);
  ASSERT_EQ(objects.size(), 3u) << r.out;
  EXPECT_EQ(objects[0]["result"], "pass");  // the Ed25519 signature still passes
  EXPECT_EQ(objects[0]["signatures"][0]["result"], "pass");
  EXPECT_EQ(objects[0]["signatures"][1]["result"], "policy");
  EXPECT_EQ(objects[0]["signatures"][1]["reason"], "policy_key_too_small");
  EXPECT_EQ(objects[0]["signatures"][1]["key_bits"], 1024);
  EXPECT_EQ(objects[1]["result"], "policy");
  EXPECT_EQ(objects[1]["reason"], "policy_key_too_small");
  EXPECT_EQ(objects[2]["local_policy"], "min-rsa-bits=2048");
  EXPECT_EQ(objects[2]["signature_results"]["policy"], 2);
  EXPECT_EQ(objects[2]["message_results"]["policy"], 1);

  // Without rules: both pass, and the summary says there is no local policy.
  const CommandResult plain = run_command(verify_args(keys(), both + " " + rsa_only));
  EXPECT_EQ(plain.exit_code, 0);
  EXPECT_EQ(parse_json_lines(plain.out).back()["local_policy"], "");
  // A.2 signs Subject, has no List-Id (a field the message lacks needs no signature) and no l=:
  // both rules hold, so it passes; the text summary names them.
  const CommandResult text = run_command(dkimscan_command(
      "verify --keys " + shell_quote(keys()) + " --must-be-signed Subject,List-Id --reject-partial-body " + rsa_only));
  EXPECT_EQ(text.exit_code, 0) << text.out;
  EXPECT_NE(text.out.find("local policy: must-be-signed=Subject,List-Id reject-partial-body\n"), std::string::npos)
      << text.out;
  EXPECT_EQ(run_command(dkimscan_command("verify --must-be-signed 'Bad Name' " + rsa_only + " 2>/dev/null")).exit_code, 64);
}

// cli/allocator_options.cpp: mimalloc runs on large OS pages and commits every thread's first
// segment at once, unless the environment says otherwise. mimalloc prints its options when
// MIMALLOC_VERBOSE is set.
TEST_F(Cli, AllocatorOptionsHoldUnlessTheEnvironmentSaysOtherwise) {
#ifndef DKIMSCAN_MIMALLOC
  GTEST_SKIP() << "built without mimalloc (sanitizer build)";
#endif
  const auto by_default = run_command("MIMALLOC_VERBOSE=1 " + dkimscan_command("--version 2>&1"));
  EXPECT_NE(by_default.out.find("option 'large_os_pages': 1"), std::string::npos) << by_default.out;
  EXPECT_NE(by_default.out.find("option 'eager_commit_delay': 0"), std::string::npos) << by_default.out;
  const auto turned_off = run_command("MIMALLOC_VERBOSE=1 MIMALLOC_LARGE_OS_PAGES=0 MIMALLOC_EAGER_COMMIT_DELAY=1 " +
                                      dkimscan_command("--version 2>&1"));
  EXPECT_NE(turned_off.out.find("option 'large_os_pages': 0"), std::string::npos) << turned_off.out;
  EXPECT_NE(turned_off.out.find("option 'eager_commit_delay': 1"), std::string::npos) << turned_off.out;
}

// ingest/libarchive_loader.h: libarchive (and the ten libraries it pulls in) is loaded only when
// an input needs it. The dynamic loader's LD_DEBUG=files lists every library a run opens.
TEST_F(Cli, LibarchiveIsLoadedOnlyForArchives) {
  // The loader's trace on stderr, kept; the report on stdout, dropped.
  const auto loaded_libraries = [this](const std::string& path) {
    return run_command("LD_DEBUG=files " + verify_args(keys(), shell_quote(path)) + " 2>&1 >/dev/null").out;
  };
  const std::string plain = dir_ / "m";
  const std::string files = loaded_libraries(plain);
  EXPECT_NE(files.find("libcrypto"), std::string::npos) << files.substr(0, 2000);  // the trace is there
  EXPECT_EQ(files.find("libarchive"), std::string::npos) << files.substr(0, 2000);
  EXPECT_EQ(messages_of(run_command(verify_args(keys(), shell_quote(plain))).out).size(), 3u);

  const std::string gz = dir_ / "01-pass.eml.gz";
  ASSERT_EQ(std::system(("gzip -c " + shell_quote(plain + "/01-pass.eml") + " > " + shell_quote(gz)).c_str()), 0);
  EXPECT_NE(loaded_libraries(gz).find("libarchive"), std::string::npos);
  const CommandResult verdicts = run_command(verify_args(keys(), shell_quote(gz)));
  const std::vector<json> messages = messages_of(verdicts.out);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0]["result"], "pass");
}

TEST_F(Cli, HelpTeachesWithExamplesAndExitCodes) {
  const CommandResult top = run_command(dkimscan_command("--help"));
  EXPECT_EQ(top.exit_code, 0);
  for (const char* word : {"verify", "sign", "keygen"}) EXPECT_NE(top.out.find(word), std::string::npos) << word;
  const CommandResult verify = run_command(dkimscan_command("verify --help"));
  EXPECT_EQ(verify.exit_code, 0);
  for (const char* text : {"Examples:", "dkimscan verify --keys", "Exit codes:", "0 all passed", "1 some message",
                           "2 some message", "64 bad usage", "66 a key file", "70 internal", "74 the report", "--at",
                           "--legacy", "--format", "jsonl"}) {
    EXPECT_NE(verify.out.find(text), std::string::npos) << "verify --help lacks '" << text << "'";
  }
  const CommandResult sign = run_command(dkimscan_command("sign --help"));
  EXPECT_EQ(sign.exit_code, 0);
  EXPECT_NE(sign.out.find("Example"), std::string::npos);
  const CommandResult keygen = run_command(dkimscan_command("keygen --help"));
  EXPECT_EQ(keygen.exit_code, 0);
  EXPECT_NE(keygen.out.find("--zone"), std::string::npos);
}

// --at is the clock for x=: unix seconds or ISO 8601 (UTC, or with an offset); junk is usage (64).
TEST_F(Cli, AtAcceptsUnixSecondsAndIso8601AndRejectsJunk) {
  const std::string message = shell_quote(expiring_message());
  const std::string key_file = dir_ / "x.zone";
  struct Case {
    const char* at;
    const char* result;
    const char* reason;
  };
  const Case cases[] = {
      {"1700000000", "pass", "ok"},
      {"1700003600", "pass", "ok"},  // at x= itself: not yet past it
      {"1700003601", "permerror", "sig_expired"},
      {"2023-11-14T23:13:20Z", "pass", "ok"},
      {"2023-11-14T23:13:21Z", "permerror", "sig_expired"},
      {"2023-11-15T00:13:20+01:00", "pass", "ok"},
      {"2023-11-15T00:13:21+01:00", "permerror", "sig_expired"},
      {"2023-11-14", "pass", "ok"},
      {"2023-11-15", "permerror", "sig_expired"},
  };
  for (const Case& c : cases) {
    const CommandResult r = run_command(verify_args(key_file, message, std::string("--at ") + c.at));
    const std::vector<json> messages = messages_of(r.out);
    ASSERT_EQ(messages.size(), 1u) << c.at;
    EXPECT_EQ(messages[0]["signatures"][0]["result"], c.result) << "--at " << c.at;
    EXPECT_EQ(messages[0]["signatures"][0]["reason"], c.reason) << "--at " << c.at;
    EXPECT_EQ(r.exit_code, std::string(c.result) == "pass" ? 0 : 1) << "--at " << c.at;
  }
  // Without --at the clock is now, long after this x=.
  EXPECT_EQ(messages_of(run_command(verify_args(key_file, message)).out)[0]["signatures"][0]["reason"], "sig_expired");
  // A day the month lacks is refused, not rolled into the next month (2023-02-29 is 2023-03-01 to
  // timegm()); a leap day and a leap second are days and times.
  EXPECT_EQ(run_command(verify_args(key_file, message, "--at 2024-02-29")).exit_code, 1);  // after x=
  EXPECT_EQ(run_command(verify_args(key_file, message, "--at 2016-12-31T23:59:60Z")).exit_code, 0);  // before it
  // A clock before 1970 would turn x= off (t= and x= count from 1970): refused too.
  for (const char* junk : {"junk", "17000x", "2023-13-01", "2023-11-14T25:00:00Z", "-5x", "1700000000.5",
                           "2023-02-29", "2023-04-31", "2019-02-31T12:00:00Z", "-5", "1969-12-31T23:59:59Z"}) {
    EXPECT_EQ(run_command(verify_args(key_file, message, std::string("--at ") + junk + " 2>/dev/null")).exit_code, 64)
        << "--at " << junk;
  }
}

// A key snapshot names the clock its run verified by; replayed with that --at, a signature whose
// x= has passed since verifies as it did, so the replay is the recorded run's report.
TEST_F(Cli, SnapshotReplaysTheRunWithItsClock) {
  const std::string message = shell_quote(expiring_message());
  const std::string snapshot = dir_ / "snapshot.zone";
  const CommandResult recorded =
      run_command(verify_args(dir_ / "x.zone", message, "--at 1700000100 --record-keys " + shell_quote(snapshot)));
  ASSERT_EQ(recorded.exit_code, 0);
  const std::string first_line = split_lines(read_text(snapshot)).at(0);
  EXPECT_NE(first_line.find("as of 2023-11-14T22:15:00Z"), std::string::npos) << first_line;
  EXPECT_NE(first_line.find("--at 1700000100"), std::string::npos) << first_line;
  const CommandResult replayed = run_command(verify_args(snapshot, message, "--at 1700000100"));
  EXPECT_EQ(replayed.exit_code, 0);
  EXPECT_EQ(messages_of(replayed.out), messages_of(recorded.out));
  // Without the clock, the replay is as of now: long after x=.
  EXPECT_EQ(messages_of(run_command(verify_args(snapshot, message)).out).at(0)["reason"], "sig_expired");
  // The policy flags a verdict depends on are named after the clock, for the replay to repeat.
  ASSERT_EQ(run_command(verify_args(dir_ / "x.zone", message, "--at 1700000100 --legacy --min-rsa-bits 2048 "
                                    "--must-be-signed Subject,To --record-keys " + shell_quote(snapshot)))
                .exit_code,
            0);
  EXPECT_TRUE(split_lines(read_text(snapshot)).at(0).ends_with(
      "--at 1700000100 --legacy --must-be-signed Subject,To --min-rsa-bits 2048"));
}

// The same archive gives the same snapshot file at every thread count: its names are written
// sorted, not in the order the workers happened to ask for them, so that two audits can be diffed.
TEST_F(Cli, SnapshotIsTheSameFileAtEveryThreadCount) {
  // 20 copies of the three messages, so that the workers race for the keys at -j4.
  for (int i = 1; i < 20; ++i) {
    for (const char* name : {"01-pass.eml", "02-fail.eml", "03-unsigned.eml"}) {
      dir_.write("m/" + std::to_string(i) + "-" + name, read_text(dir_ / (std::string("m/") + name)));
    }
  }
  std::vector<std::string> snapshots;
  for (const char* threads : {"1", "4"}) {
    const std::string snapshot = dir_ / (std::string("snapshot-j") + threads + ".zone");
    ASSERT_EQ(run_command(verify_args(keys(), shell_quote(dir_ / "m"),
                                      std::string("--at 1700000000 -j ") + threads + " --record-keys " +
                                          shell_quote(snapshot)))
                  .exit_code,
              1);  // 02-fail.eml fails
    snapshots.push_back(read_text(snapshot));
  }
  EXPECT_EQ(snapshots[0], snapshots[1]);
  std::vector<std::string> names;
  for (const std::string& line : split_lines(snapshots[0])) {
    if (!line.empty() && line[0] != '#') names.push_back(line.substr(0, line.find(' ')));
  }
  ASSERT_GE(names.size(), 2u) << snapshots[0];
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end())) << snapshots[0];
}

// The snapshot's first line is on disk from the start: a run that is killed leaves a file that
// says what it is, not an empty one.
TEST_F(Cli, KilledRunLeavesTheSnapshotsFirstLine) {
  const std::string snapshot = dir_ / "killed.zone";
  // dkimscan waits on standard input that comes only after the kill.
  const std::string verify = dkimscan_command("verify --quiet --keys " + shell_quote(keys()) + " --record-keys " +
                                              shell_quote(snapshot) + " - > /dev/null");
  // $! of a pipeline in the background is its last command's process: dkimscan's.
  run_command("sleep 1.5 | " + verify + " & sleep 0.5; kill -TERM $!; wait $!");
  const std::string written = read_text(snapshot);
  EXPECT_TRUE(written.starts_with("# dkimscan key snapshot")) << written;
}

// --legacy accepts what RFC 8301 refuses (Mail::DKIM goodkey_1: rsa-sha1, 512-bit key), and says so.
TEST_F(Cli, LegacyPolicyIsReportedAndAcceptsRsaSha1) {
  const std::string message = shell_quote(kData + "/mail-dkim/messages/goodkey_1.eml");
  const std::string zone = kData + "/mail-dkim/keys.zone";
  const CommandResult strict = run_command(verify_args(zone, message));
  EXPECT_EQ(strict.exit_code, 1);
  const std::vector<json> s = messages_of(strict.out);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0]["policy"], "strict");
  EXPECT_EQ(s[0]["signatures"][0]["result"], "permerror");
  EXPECT_EQ(s[0]["signatures"][0]["reason"], "sig_rsa_sha1_rejected");
  const CommandResult legacy = run_command(verify_args(zone, message, "--legacy"));
  EXPECT_EQ(legacy.exit_code, 0);
  const std::vector<json> l = messages_of(legacy.out);
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0]["policy"], "legacy");
  EXPECT_EQ(l[0]["signatures"][0]["result"], "pass");
  EXPECT_EQ(l[0]["signatures"][0]["key_bits"], 512);
}

// Bare-LF files are read as CRLF (mailauth stores the RFC 8463 example with LF).
TEST_F(Cli, BareLfMessageVerifies) {
  const CommandResult r =
      run_command(verify_args(kData + "/mailauth/keys.zone", shell_quote(kData + "/mailauth/messages/signed.eml"),
                              "--at 1528637909"));
  EXPECT_EQ(r.exit_code, 0);
  const std::vector<json> messages = messages_of(r.out);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0]["result"], "pass");
  ASSERT_EQ(messages[0]["signatures"].size(), 2u);
  EXPECT_EQ(messages[0]["signatures"][1]["result"], "pass");
}

TEST_F(Cli, TextReportHasALinePerMessageAndASummary) {
  const CommandResult r = run_command(dkimscan_command("verify --keys " + shell_quote(keys()) + " " + shell_quote(dir_ / "m")));
  EXPECT_EQ(r.exit_code, 1);
  const std::vector<std::string> lines = split_lines(r.out);
  ASSERT_GE(lines.size(), 4u);
  EXPECT_EQ(lines[0].rfind("pass", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find("01-pass.eml"), std::string::npos);
  EXPECT_EQ(lines[1].rfind("fail", 0), 0u) << lines[1];
  EXPECT_NE(lines[1].find("signature_mismatch"), std::string::npos);
  EXPECT_EQ(lines[2].rfind("none", 0), 0u) << lines[2];
  EXPECT_NE(r.out.find("3 messages"), std::string::npos) << r.out;
}

// keygen prints the key-file line (the format of --keys) and writes a private PEM that only its
// owner can read; a message signed with that key verifies against that very line.
TEST_F(Cli, KeygenLineVerifiesSignaturesMadeWithTheKey) {
  for (const char* type : {"rsa --bits 1024", "ed25519"}) {
    const std::string pem = dir_ / "k.pem";
    fs::remove(pem);
    const CommandResult keygen = run_command(dkimscan_command(std::string("keygen --type ") + type +
                                                              " --domain example.org --selector k1 --out " + shell_quote(pem)));
    ASSERT_EQ(keygen.exit_code, 0) << type;
    const std::vector<std::string> lines = split_lines(keygen.out);
    ASSERT_EQ(lines.size(), 1u) << keygen.out;
    const std::string k = std::string(type).starts_with("rsa") ? "rsa" : "ed25519";
    EXPECT_TRUE(std::regex_match(lines[0], std::regex("k1\\._domainkey\\.example\\.org v=DKIM1; k=" + k + "; p=[A-Za-z0-9+/]+=*")))
        << lines[0];
    struct stat st {};
    ASSERT_EQ(::stat(pem.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << type;

    const std::string zone = dir_.write("k.zone", keygen.out);
    const std::string out = dir_ / ("signed-" + k);
    ASSERT_EQ(run_command(dkimscan_command("sign --key " + shell_quote(pem) + " -d example.org -s k1 --out " +
                                           shell_quote(out) + " " + shell_quote(dir_ / "m/03-unsigned.eml")))
                  .exit_code,
              0);
    const std::vector<json> messages = messages_of(run_command(verify_args(zone, shell_quote(out + "/03-unsigned.eml"))).out);
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_EQ(messages[0]["result"], "pass") << type << ": " << messages[0].dump();
    EXPECT_EQ(messages[0]["signatures"][0]["s"], "k1");
  }
}

// In an mboxo archive (the writer quoted a "From " body line), a message signed and then given
// another Subject: the repair passes one whose only damage is the quoting, and locates the
// damage of the other ("fail after repair", reason signature_mismatch), which the summary does not
// count as repaired.
TEST_F(Cli, MboxoRepairPassesTheQuotedMessageAndLocatesTheChangedHeader) {
  const CommandResult keygen = run_command(dkimscan_command("keygen --type ed25519 -d example.org -s q --out " +
                                                            shell_quote(dir_ / "q.pem")));
  ASSERT_EQ(keygen.exit_code, 0);
  const std::string zone = dir_.write("q.zone", keygen.out);
  const std::string message = "From: a@example.org\nSubject: quoted\n\nHello,\n\nFrom the start, thanks.\n";
  dir_.write("q/1.eml", message);
  ASSERT_EQ(run_command(dkimscan_command("sign --key " + shell_quote(dir_ / "q.pem") + " -d example.org -s q --out " +
                                         shell_quote(dir_ / "q-signed") + " " + shell_quote(dir_ / "q/1.eml")))
                .exit_code,
            0);
  const std::string signed_copy = read_text(dir_ / "q-signed/1.eml");
  std::string changed = signed_copy;
  changed.replace(changed.find("Subject: quoted"), 15, "Subject: QUOTED");
  auto mboxo_entry = [](std::string m) {
    m.replace(m.find("\nFrom the start"), 6, "\n>From ");
    return "From a@example.org Mon Jan  1 00:00:00 2024\n" + m + "\n";
  };
  const std::string archive = dir_.write("q.mbox", mboxo_entry(signed_copy) + mboxo_entry(changed));
  const CommandResult r = run_command(verify_args(zone, shell_quote(archive)));
  const std::vector<json> messages = messages_of(r.out);
  ASSERT_EQ(messages.size(), 2u) << r.out;
  EXPECT_EQ(messages[0]["result"], "pass");
  EXPECT_EQ(messages[0]["note"], "pass after repair: mboxo >From un-quoting (1 line)");
  EXPECT_EQ(messages[1]["result"], "fail");
  EXPECT_EQ(messages[1]["reason"], "signature_mismatch");
  EXPECT_EQ(messages[1]["note"],
            "fail after repair: mboxo >From un-quoting (1 line): the body is as signed, a signed header field is not");
  const json summary = parse_json_lines(r.out).back();
  EXPECT_EQ(summary["repaired"], 1);
}

// sign writes the signed copies under the same file names in --out and leaves the inputs alone.
TEST_F(Cli, SignWritesCopiesUnderTheSameNames) {
  new_signing_key("s.pem");
  const std::string before = read_text(dir_ / "m/03-unsigned.eml");
  ASSERT_EQ(run_command(dkimscan_command("sign --key " + shell_quote(dir_ / "s.pem") + " -d example.org -s s --out " +
                                         shell_quote(dir_ / "out") + " " + shell_quote(dir_ / "m/03-unsigned.eml") + " " +
                                         shell_quote(dir_ / "m/01-pass.eml")))
                .exit_code,
            0);
  EXPECT_EQ(read_text(dir_ / "m/03-unsigned.eml"), before);
  const std::string copy = read_text(dir_ / "out/03-unsigned.eml");
  EXPECT_TRUE(copy.starts_with("DKIM-Signature: v=1; a=ed25519-sha256;")) << copy.substr(0, 80);
  EXPECT_TRUE(copy.ends_with(before));
  EXPECT_TRUE(fs::exists(dir_ / "out/01-pass.eml"));
}

// Options whose signatures could never pass are refused once, as usage (64), before any copy is
// written; --legacy signs rsa-sha1, which only verify --legacy accepts.
TEST_F(Cli, SignRefusesOptionsVerifiersWouldRefuse) {
  ASSERT_EQ(run_command(dkimscan_command("keygen --type rsa --bits 1024 -d example.org -s r --out " +
                                         shell_quote(dir_ / "r.pem") + " > " + shell_quote(dir_ / "r.zone")))
                .exit_code,
            0);
  const std::string sign = "sign --key " + shell_quote(dir_ / "r.pem") + " -s r --out " + shell_quote(dir_ / "out") + " ";
  const std::string message = " " + shell_quote(dir_ / "m/03-unsigned.eml");
  for (const char* bad : {"-d example.org -a rsa-sha1", "-d example..org", "-d example.org -i joe@other.org",
                          "-d example.org -i joe"}) {
    const CommandResult r = run_command(dkimscan_command(sign + bad + message + " 2>&1"));
    EXPECT_EQ(r.exit_code, 64) << bad << ": " << r.out;
    EXPECT_NE(r.out.find("RFC"), std::string::npos) << bad << ": " << r.out;
    EXPECT_FALSE(fs::exists(dir_ / "out/03-unsigned.eml")) << bad;
  }
  ASSERT_EQ(run_command(dkimscan_command(sign + "-d example.org -a rsa-sha1 --legacy" + message)).exit_code, 0);
  const std::string copy = shell_quote(dir_ / "out/03-unsigned.eml");
  EXPECT_EQ(messages_of(run_command(verify_args(dir_ / "r.zone", copy)).out).at(0)["reason"], "sig_rsa_sha1_rejected");
  EXPECT_EQ(messages_of(run_command(verify_args(dir_ / "r.zone", copy, "--legacy")).out).at(0)["result"], "pass");
}

// Signing on several threads writes the same copies, byte for byte, as one thread (Ed25519 and
// RSA PKCS#1 v1.5 signatures are deterministic, and --timestamp fixes t=), and they verify.
TEST_F(Cli, SignOnSeveralThreadsWritesWhatOneThreadWrites) {
  const std::string key = dir_ / "p.pem";
  ASSERT_EQ(run_command(dkimscan_command("keygen --type ed25519 -d example.org -s s --out " + shell_quote(key) + " >> " +
                                         shell_quote(keys())))
                .exit_code,
            0);
  std::string inputs;
  for (int i = 0; i < 24; ++i) {
    inputs += " " + shell_quote(dir_.write("many-in/" + std::to_string(i) + ".eml",
                                           read_text(dir_ / (i % 2 ? "m/01-pass.eml" : "m/03-unsigned.eml"))));
  }
  for (const char* threads : {"1", "4"}) {
    const std::string out = dir_ / (std::string("signed-j") + threads);
    const std::string sign = "sign --key " + shell_quote(key) + " -d example.org -s s --timestamp 1700000000";
    ASSERT_EQ(run_command(dkimscan_command(sign + " -j " + threads + " --out " + shell_quote(out) + inputs)).exit_code, 0);
  }
  for (int i = 0; i < 24; ++i) {
    const std::string name = "/" + std::to_string(i) + ".eml";
    EXPECT_EQ(read_text(dir_ / ("signed-j4" + name)), read_text(dir_ / ("signed-j1" + name))) << name;
  }
  const CommandResult r = run_command(verify_args(keys(), shell_quote(dir_ / "signed-j4"), "--at 1700000100"));
  const std::vector<json> messages = messages_of(r.out);
  ASSERT_EQ(messages.size(), 24u) << r.out;
  for (const json& message : messages) EXPECT_EQ(message["signatures"][0]["result"], "pass") << message.dump();
}

// A batch signs what it can: a message without From and a second input with an earlier one's
// file name are named on stderr and skipped (exit 2), the rest are signed; a key that is not a
// PEM private key is 66.
TEST_F(Cli, SignSkipsWhatItCannotSignAndSaysWhich) {
  new_signing_key("b.pem");
  const std::string no_from = dir_.write("batch/no-from.eml", "To: a@example.org\r\nSubject: x\r\n\r\nbody\r\n");
  const std::string same_name = dir_.write("batch/again/03-unsigned.eml", read_text(dir_ / "m/01-pass.eml"));
  const std::string sign = "sign --key " + shell_quote(dir_ / "b.pem") + " -d example.org -s s --out " +
                           shell_quote(dir_ / "batch-out") + " ";
  const CommandResult r = run_command(dkimscan_command(sign + shell_quote(no_from) + " " +
                                                       shell_quote(dir_ / "m/03-unsigned.eml") + " " +
                                                       shell_quote(same_name) + " 2>&1"));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find(no_from + ": not signed: the message has no From field"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(same_name + ": not signed: its copy"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir_ / "batch-out/no-from.eml"));
  // The copy is the first input's, not overwritten by the second.
  EXPECT_TRUE(read_text(dir_ / "batch-out/03-unsigned.eml").ends_with(read_text(dir_ / "m/03-unsigned.eml")));

  // A name in --headers that is not a field name would make an h= that verifiers reject (RFC 6376
  // §3.5): bad usage.
  const CommandResult bad_headers = run_command(
      dkimscan_command(sign + "--headers 'From:Bad Name' " + shell_quote(dir_ / "m/03-unsigned.eml") + " 2>&1"));
  EXPECT_EQ(bad_headers.exit_code, 64) << bad_headers.out;
  EXPECT_NE(bad_headers.out.find("'Bad Name' is not a header field name"), std::string::npos) << bad_headers.out;

  dir_.write("not-a-key.pem", "garbage\n");
  const CommandResult bad_key = run_command(dkimscan_command("sign --key " + shell_quote(dir_ / "not-a-key.pem") +
                                                             " -d example.org -s s --out " + shell_quote(dir_ / "none") +
                                                             " " + shell_quote(dir_ / "m/03-unsigned.eml") + " 2>&1"));
  EXPECT_EQ(bad_key.exit_code, 66) << bad_key.out;
  EXPECT_FALSE(fs::exists(dir_ / "none/03-unsigned.eml"));
}

// sign's exit codes say what went wrong, as its --help lists them: an input that cannot be read is
// named and skipped (2, the others signed); a folder or '-' given as a message, an unparsable
// --timestamp or a --headers without From is bad usage (64, nothing written); a key that cannot
// be read is 66; an --out that cannot be a folder is 74.
TEST_F(Cli, SignExitCodesSayWhatWentWrong) {
  new_signing_key("e.pem");
  const std::string message = shell_quote(dir_ / "m/03-unsigned.eml");
  const auto sign = [&](const std::string& key, const std::string& out, const std::string& rest) {
    return run_command(dkimscan_command("sign --key " + shell_quote(key) + " -d example.org -s s --out " + shell_quote(out) +
                                        " " + rest + " 2>&1"));
  };
  const CommandResult missing = sign(dir_ / "e.pem", dir_ / "e-out", message + " " + shell_quote(dir_ / "nosuch.eml"));
  EXPECT_EQ(missing.exit_code, 2) << missing.out;
  EXPECT_NE(missing.out.find("nosuch.eml: cannot read: No such file or directory"), std::string::npos) << missing.out;
  EXPECT_TRUE(fs::exists(dir_ / "e-out/03-unsigned.eml"));
  for (const std::string& usage : {message + " " + shell_quote(dir_ / "m"), message + " -", "--timestamp abc " + message,
                                   "--headers To:Subject " + message}) {
    const CommandResult r = sign(dir_ / "e.pem", dir_ / "usage-out", usage);
    EXPECT_EQ(r.exit_code, 64) << usage << ": " << r.out;
    EXPECT_FALSE(fs::exists(dir_ / "usage-out")) << usage;
  }
  EXPECT_NE(sign(dir_ / "e.pem", dir_ / "usage-out", "--timestamp abc " + message).out.find("--timestamp: 'abc'"),
            std::string::npos);
  EXPECT_EQ(sign(dir_ / "nokey.pem", dir_ / "usage-out", message).exit_code, 66);
  EXPECT_EQ(sign(dir_ / "m", dir_ / "usage-out", message).exit_code, 66);  // a folder as the key
  const std::string file = dir_.write("not-a-folder", "x");
  const CommandResult out_is_file = sign(dir_ / "e.pem", file, message);
  EXPECT_EQ(out_is_file.exit_code, 74) << out_is_file.out;
  EXPECT_NE(out_is_file.out.find("cannot create the --out folder"), std::string::npos) << out_is_file.out;
}

// A signed copy gets its input's permission bits: a private Maildir message stays private, also
// when it replaces a readable copy of an earlier run.
TEST_F(Cli, SignedCopiesKeepTheirInputsPermissions) {
  new_signing_key("p.pem");
  const std::string input = dir_.write("perm/1.eml", read_text(dir_ / "m/03-unsigned.eml"));
  const std::string sign = "sign --key " + shell_quote(dir_ / "p.pem") + " -d example.org -s s --out " +
                           shell_quote(dir_ / "perm-out") + " " + shell_quote(input);
  const auto mode_of = [](const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 0777;
  };
  for (const mode_t mode : {0644u, 0600u, 0640u, 0444u, 0400u, 0644u}) {  // a read-only copy is replaced too
    ASSERT_EQ(::chmod(input.c_str(), mode), 0);
    ASSERT_EQ(run_command(dkimscan_command(sign)).exit_code, 0) << std::oct << mode;
    EXPECT_EQ(mode_of(dir_ / "perm-out/1.eml"), mode);
  }
  // A copy replaced by a symbolic link is replaced in turn, not written through.
  const std::string victim = dir_.write("victim.txt", "keep me\n");
  fs::remove(dir_ / "perm-out/1.eml");
  fs::create_symlink(victim, dir_ / "perm-out/1.eml");
  ASSERT_EQ(run_command(dkimscan_command(sign)).exit_code, 0);
  EXPECT_EQ(read_text(victim), "keep me\n");
  EXPECT_FALSE(fs::is_symlink(dir_ / "perm-out/1.eml"));
}

// keygen creates the private key 0600, never over an existing file or through a symbolic link
// (73: the key in use stays as it was), and refuses a domain or selector that no signature could
// name (64) before it writes anything.
TEST_F(Cli, KeygenNeverOverwritesAKeyAndChecksTheNames) {
  const std::string pem = dir_ / "once.pem";
  const std::string keygen = "keygen --type ed25519 -d example.org -s s --out ";
  ASSERT_EQ(run_command(dkimscan_command(keygen + shell_quote(pem) + " > /dev/null")).exit_code, 0);
  const std::string first = read_text(pem);
  const CommandResult again = run_command(dkimscan_command(keygen + shell_quote(pem) + " 2>&1"));
  EXPECT_EQ(again.exit_code, 73) << again.out;
  EXPECT_NE(again.out.find("never overwrites a key"), std::string::npos) << again.out;
  EXPECT_EQ(read_text(pem), first);
  fs::create_symlink(dir_ / "elsewhere.pem", dir_ / "link.pem");
  EXPECT_EQ(run_command(dkimscan_command(keygen + shell_quote(dir_ / "link.pem") + " 2>&1")).exit_code, 73);
  EXPECT_FALSE(fs::exists(dir_ / "elsewhere.pem"));
  EXPECT_EQ(run_command(dkimscan_command(keygen + shell_quote(dir_ / "no/such/dir.pem") + " 2>&1")).exit_code, 74);
  // --bits with an Ed25519 key was silently ignored.
  for (const char* names : {"-d 'exa mple.org' -s s", "-d example.org -s 'bad sel;x'", "-d example..org -s s",
                            "-d example.org -s s --bits 4096"}) {
    const CommandResult r = run_command(
        dkimscan_command(std::string("keygen --type ed25519 ") + names + " --out " + shell_quote(dir_ / "named.pem") + " 2>&1"));
    EXPECT_EQ(r.exit_code, 64) << names << ": " << r.out;
    EXPECT_FALSE(fs::exists(dir_ / "named.pem")) << names;
  }
}

// --zone adds a zone-file line whose TXT strings are at most 255 bytes (RFC 1035 §3.3.14) and
// join to exactly the key-file value.
TEST_F(Cli, KeygenZoneSplitsStringsAt255Bytes) {
  const CommandResult r = run_command(dkimscan_command("keygen --type rsa --bits 2048 --domain example.org --selector z1 --zone --out " +
                                                       shell_quote(dir_ / "z.pem")));
  ASSERT_EQ(r.exit_code, 0);
  const std::vector<std::string> lines = split_lines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  const std::string prefix = "z1._domainkey.example.org ";
  ASSERT_TRUE(lines[0].starts_with(prefix));
  const std::string value = lines[0].substr(prefix.size());
  ASSERT_TRUE(lines[1].starts_with("z1._domainkey.example.org.")) << lines[1];
  EXPECT_NE(lines[1].find(" TXT "), std::string::npos) << lines[1];
  std::vector<std::string> strings;
  for (std::size_t open = lines[1].find('"'); open != std::string::npos; open = lines[1].find('"', open + 1)) {
    const std::size_t close = lines[1].find('"', open + 1);
    ASSERT_NE(close, std::string::npos) << lines[1];
    strings.push_back(lines[1].substr(open + 1, close - open - 1));
    open = close;
  }
  ASSERT_GE(strings.size(), 2u) << "a 2048-bit record does not fit one string";
  std::string joined;
  for (std::size_t i = 0; i < strings.size(); ++i) {
    EXPECT_LE(strings[i].size(), 255u);
    if (i + 1 < strings.size()) {
      EXPECT_EQ(strings[i].size(), 255u) << "string " << i;
    }
    joined += strings[i];
  }
  EXPECT_EQ(joined, value);
}

}  // namespace
}  // namespace dkimscan::testing
