// File: tests/cli/interop_test.cpp
// What dkimscan signs must verify in independent implementations, and what they sign must verify
// in dkimscan (issue 2, point 3): the built CLI against dkimpy (Debian python3-dkim + python3-nacl)
// and Perl Mail::DKIM (libmail-dkim-perl; its Debian 12 version has no Ed25519, so Ed25519 is
// checked with dkimpy only). Keys come from `dkimscan keygen`; the peers read the same key file
// through tests/cli/peer_dkimpy.py and peer_mail_dkim.pl, so no DNS is involved.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/cli/cli_test_util.h"

namespace dkimscan::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kScripts = std::string(DKIMSCAN_SOURCE_DIR) + "/tests/cli/";

// The first python3 that has dkimpy: Debian's lives in /usr/bin even when another python3 is
// first on PATH (pyenv). DKIMSCAN_PYTHON overrides.
const std::string& dkimpy_python() {
  static const std::string found = [] {
    std::vector<std::string> candidates;
    if (const char* env = std::getenv("DKIMSCAN_PYTHON")) candidates.emplace_back(env);
    candidates.emplace_back("/usr/bin/python3");
    candidates.emplace_back("python3");
    for (const std::string& python : candidates) {
      if (run_command(shell_quote(python) + " -c 'import dkim, nacl' 2>/dev/null").exit_code == 0) return python;
    }
    return std::string();
  }();
  return found;
}

bool mail_dkim_installed() {
  static const bool found =
      run_command("perl -MMail::DKIM::Verifier -MNet::DNS -e 1 2>/dev/null").exit_code == 0;
  return found;
}

#define REQUIRE_DKIMPY()                                                                              \
  if (dkimpy_python().empty())                                                                        \
  FAIL() << "dkimpy is not installed: install the Debian packages python3-dkim and python3-nacl " \
            "(listed in .ci/install-deps)"
#define REQUIRE_MAIL_DKIM()   \
  if (!mail_dkim_installed()) \
  FAIL() << "Mail::DKIM is not installed: install the Debian package libmail-dkim-perl (listed in .ci/install-deps)"

// One line of results per message, each word one signature's result.
std::vector<std::string> dkimpy_verify(const std::string& key_file, const std::vector<std::string>& messages) {
  std::string command = shell_quote(dkimpy_python()) + " " + shell_quote(kScripts + "peer_dkimpy.py") + " verify " +
                        shell_quote(key_file);
  for (const std::string& m : messages) command += " " + shell_quote(m);
  return split_lines(run_command(command).out);
}

std::vector<std::string> mail_dkim_verify(const std::string& key_file, const std::vector<std::string>& messages) {
  std::string command = "perl " + shell_quote(kScripts + "peer_mail_dkim.pl") + " " + shell_quote(key_file);
  for (const std::string& m : messages) command += " " + shell_quote(m);
  return split_lines(run_command(command).out);
}

// dkimscan verify --format jsonl: the message objects, in input order.
std::vector<json> dkimscan_verify(const std::string& key_file, const std::vector<std::string>& messages,
                                  int* exit_code = nullptr) {
  std::string command = dkimscan_command("verify --format jsonl --quiet --keys " + shell_quote(key_file));
  for (const std::string& m : messages) command += " " + shell_quote(m);
  const CommandResult r = run_command(command);
  if (exit_code != nullptr) *exit_code = r.exit_code;
  std::vector<json> objects;
  for (json& object : parse_json_lines(r.out)) {
    if (object.value("type", "") == "message") objects.push_back(std::move(object));
  }
  return objects;
}

// Messages that exercise canonicalization: MIME with folding, whitespace runs, trailing empty
// lines, an empty body, one stored with bare LF, and one that is all header (no empty line after
// it: RFC 5322 §3.5 makes the body optional; §3.4.3 and §3.4.4 say what an absent body hashes as).
const std::pair<const char*, const char*> kMessages[] = {
    {"plain.eml",
     "From: Joe SixPack <joe@example.org>\r\nTo: Suzie Q <suzie@example.net>\r\nSubject: Is dinner ready?\r\n"
     "Date: Fri, 11 Jul 2003 21:00:37 -0700\r\nMessage-ID: <20030712040037.46341.5F8J@example.org>\r\n\r\n"
     "Hi.\r\n\r\nWe lost the game. Are you hungry yet?\r\n\r\nJoe.\r\n"},
    {"mime.eml",
     "From: \"Joe\r\n Example\" <joe@example.org>\r\nTo: a@example.net,\r\n\tb@example.net\r\n"
     "Subject: a folded\r\n  subject line\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
     "Message-ID: <mime-1@example.org>\r\nMIME-Version: 1.0\r\n"
     "Content-Type: multipart/alternative;\r\n boundary=\"b1\"\r\n\r\n"
     "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain text\r\n"
     "--b1\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--b1--\r\n"},
    {"spaces.eml",
     "From: joe@example.org\r\nTo:   suzie@example.net  \r\nSubject:  spaced \t out \r\n"
     "Message-ID: <spaces@example.org>\r\n\r\n a  b \t\r\n\tc\r\n\r\n \r\n\r\n\r\n"},
    {"empty-body.eml", "From: joe@example.org\r\nTo: suzie@example.net\r\nSubject: empty\r\n\r\n"},
    {"bare-lf.eml",
     "From: joe@example.org\nTo: suzie@example.net\nSubject: stored with LF\nMessage-ID: <lf@example.org>\n\n"
     "line one\nline two\n"},
    {"header-only.eml",
     "From: joe@example.org\r\nTo: suzie@example.net\r\nSubject: all header\r\nMessage-ID: <ho@example.org>\r\n"},
};

class Interop : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    std::string key_lines;
    for (const auto& [type, selector] : {std::pair{"rsa --bits 2048", "rsa"}, std::pair{"ed25519", "ed"}}) {
      const CommandResult r = run_command(dkimscan_command(std::string("keygen --type ") + type +
                                                           " --domain example.org --selector " + selector +
                                                           " --out " + shell_quote(*dir_ / (std::string(selector) + ".pem"))));
      ASSERT_EQ(r.exit_code, 0) << "keygen " << type;
      key_lines += r.out;
    }
    dir_->write("keys.zone", key_lines);
    for (const auto& [name, bytes] : kMessages) inputs_.push_back(dir_->write(std::string("in/") + name, bytes));
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
    inputs_.clear();
  }

  // Signs every input with `dkimscan sign`; returns the signed copies (same names, in order).
  static std::vector<std::string> dkimscan_sign(const std::string& selector, const std::string& args,
                                                const std::string& out_name) {
    std::string command = dkimscan_command("sign --key " + shell_quote(*dir_ / (selector + ".pem")) +
                                           " --domain example.org --selector " + selector + " --out " +
                                           shell_quote(*dir_ / out_name) + " " + args);
    for (const std::string& input : inputs_) command += " " + shell_quote(input);
    const CommandResult r = run_command(command);
    EXPECT_EQ(r.exit_code, 0) << command;
    std::vector<std::string> signed_copies;
    for (const std::string& input : inputs_) signed_copies.push_back(*dir_ / out_name + "/" + fs::path(input).filename().string());
    return signed_copies;
  }
  static std::string keys() { return *dir_ / "keys.zone"; }

  static inline TempDir* dir_ = nullptr;
  static inline std::vector<std::string> inputs_;
};

struct SignVariant {
  const char* name;      // also the output folder
  const char* selector;  // "rsa" or "ed"
  const char* args;      // dkimscan sign options
};

const SignVariant kVariants[] = {
    {"rsa_relaxed_relaxed", "rsa", "-c relaxed/relaxed"},
    {"rsa_simple_simple", "rsa", "-c simple/simple"},
    {"rsa_relaxed_simple", "rsa", "-c relaxed/simple"},
    {"rsa_simple_relaxed", "rsa", "-c simple/relaxed"},
    {"rsa_relaxed_relaxed_l", "rsa", "-c relaxed/relaxed --body-length"},
    {"rsa_simple_simple_l", "rsa", "-c simple/simple --body-length"},
    {"rsa_relaxed_relaxed_oversign", "rsa", "-c relaxed/relaxed --oversign"},
    {"rsa_simple_simple_oversign_l", "rsa", "-c simple/simple --oversign --body-length"},
    {"rsa_auid_and_expiry", "rsa", "-c relaxed/relaxed --auid @mail.example.org --expire 86400"},
    {"ed25519_relaxed_relaxed", "ed", "-c relaxed/relaxed"},
    {"ed25519_simple_simple", "ed", "-c simple/simple"},
    {"ed25519_relaxed_relaxed_l_oversign", "ed", "-c relaxed/relaxed --body-length --oversign"},
};

// Every variant signs every input with `dkimscan sign`; each copy must verify as pass in dkimpy,
// in Mail::DKIM (RSA) and in dkimscan itself. All copies are made first and each verifier runs
// once over all of them: starting python3 with dkimpy or perl with Mail::DKIM costs about 0.4 s.
TEST_F(Interop, EveryVariantDkimscanSignsVerifiesInDkimpyMailDkimAndDkimscan) {
  REQUIRE_DKIMPY();
  REQUIRE_MAIL_DKIM();
  std::vector<std::string> all, rsa, variant_of;
  for (const SignVariant& v : kVariants) {
    const std::vector<std::string> copies = dkimscan_sign(v.selector, v.args, v.name);
    all.insert(all.end(), copies.begin(), copies.end());
    variant_of.insert(variant_of.end(), copies.size(), v.name);
    if (std::string(v.selector) == "rsa") rsa.insert(rsa.end(), copies.begin(), copies.end());
  }
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(all.size(), std::size(kVariants) * inputs_.size());

  const std::vector<std::string> dkimpy = dkimpy_verify(keys(), all);
  ASSERT_EQ(dkimpy.size(), all.size()) << "dkimpy did not answer for every message";
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(dkimpy[i], "pass") << "dkimpy, " << variant_of[i] << ": " << all[i];

  const std::vector<std::string> perl = mail_dkim_verify(keys(), rsa);
  ASSERT_EQ(perl.size(), rsa.size()) << "Mail::DKIM did not answer for every message";
  for (std::size_t i = 0; i < rsa.size(); ++i) EXPECT_EQ(perl[i], "pass") << "Mail::DKIM: " << rsa[i];

  int exit_code = -1;
  const std::vector<json> ours = dkimscan_verify(keys(), all, &exit_code);
  EXPECT_EQ(exit_code, 0);
  ASSERT_EQ(ours.size(), all.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(ours[i]["source"], all[i]);
    EXPECT_EQ(ours[i]["result"], "pass") << variant_of[i] << ": " << ours[i].dump();
  }
}

// The peers are not trivially saying pass: a changed body fails in all three; text appended
// after an l= signature passes in all three (l= covers the original body only).
TEST_F(Interop, PeersAgreeOnTamperedAndAppendedMessages) {
  REQUIRE_DKIMPY();
  REQUIRE_MAIL_DKIM();
  const std::string plain = dkimscan_sign("rsa", "-c relaxed/relaxed", "tamper")[0];
  const std::string with_l = dkimscan_sign("rsa", "-c relaxed/relaxed --body-length", "append")[0];
  std::string bytes = read_text(plain);
  bytes.replace(bytes.find("hungry"), 6, "thirst");
  const std::string tampered = dir_->write("tampered.eml", bytes);
  const std::string appended = dir_->write("appended.eml", read_text(with_l) + "Appended by a list.\r\n");

  EXPECT_EQ(dkimpy_verify(keys(), {tampered, appended}), (std::vector<std::string>{"fail", "pass"}));
  EXPECT_EQ(mail_dkim_verify(keys(), {tampered, appended}), (std::vector<std::string>{"fail", "pass"}));
  const std::vector<json> ours = dkimscan_verify(keys(), {tampered, appended});
  ASSERT_EQ(ours.size(), 2u);
  EXPECT_EQ(ours[0]["signatures"][0]["result"], "fail");
  EXPECT_EQ(ours[0]["signatures"][0]["reason"], "body_hash_mismatch");
  EXPECT_EQ(ours[1]["signatures"][0]["result"], "pass");
  EXPECT_EQ(ours[1]["signatures"][0]["unsigned_body_bytes"], 21);
}

// dkimpy signs with keys from `dkimscan keygen`; dkimscan verifies every copy as pass.
TEST_F(Interop, DkimscanVerifiesWhatDkimpySigns) {
  REQUIRE_DKIMPY();
  constexpr const char* kCanons[] = {"relaxed/relaxed", "simple/simple", "relaxed/simple", "simple/relaxed"};
  std::vector<std::string> signed_copies;
  std::vector<std::string> algorithms;
  for (const char* selector : {"rsa", "ed"}) {
    const std::string out_dir = *dir_ / (std::string("by-dkimpy-") + selector);
    fs::create_directories(out_dir);
    std::string command = shell_quote(dkimpy_python()) + " " + shell_quote(kScripts + "peer_dkimpy.py") + " sign " +
                          shell_quote(*dir_ / (std::string(selector) + ".pem")) + " example.org " + selector + " " +
                          "relaxed/relaxed,simple/simple,relaxed/simple,simple/relaxed " + shell_quote(out_dir);
    for (const std::string& input : inputs_) command += " " + shell_quote(input);
    ASSERT_EQ(run_command(command).exit_code, 0) << command;
    for (const std::string& input : inputs_) {
      for (std::string canon : kCanons) {
        std::replace(canon.begin(), canon.end(), '/', '-');
        signed_copies.push_back(out_dir + "/" + canon + "-" + fs::path(input).filename().string());
        algorithms.push_back(std::string(selector) == "rsa" ? "rsa-sha256" : "ed25519-sha256");
      }
    }
  }
  int exit_code = -1;
  const std::vector<json> ours = dkimscan_verify(keys(), signed_copies, &exit_code);
  EXPECT_EQ(exit_code, 0);
  ASSERT_EQ(ours.size(), signed_copies.size());
  for (std::size_t i = 0; i < ours.size(); ++i) {
    const json& m = ours[i];
    EXPECT_EQ(m["source"], signed_copies[i]);
    ASSERT_EQ(m["signatures"].size(), 1u) << m.dump();
    EXPECT_EQ(m["signatures"][0]["result"], "pass") << m.dump();
    EXPECT_EQ(m["signatures"][0]["a"], algorithms[i]);
    EXPECT_EQ(m["signatures"][0]["d"], "example.org");
  }
}

// The sample's passing messages, changed 800 ways (refolded and retyped fields, added and
// reordered ones, whitespace, line ends, bytes, bodies cut off or dropped): on every signature
// dkimscan must say pass or not-pass as a peer does, where the peer follows RFC 6376 (the script
// lists where each departs from it), and give the same verdicts when the messages are read back
// from mboxrd and mboxo archives. The script fails, too, when too few signatures had a peer's
// answer for the comparison to mean anything. Fixed seed: the same messages every run.
TEST(InteropDifferential, ChangedMessagesGetThePeersVerdicts) {
  REQUIRE_DKIMPY();
  REQUIRE_MAIL_DKIM();
  TempDir work;
  const CommandResult r = run_command(
      shell_quote(dkimpy_python()) + " " + shell_quote(kScripts + "peer_differential.py") + " --dkimscan " + shell_quote(DKIMSCAN_BINARY) +
      " --python " + shell_quote(dkimpy_python()) + " --sample " +
      shell_quote(std::string(DKIMSCAN_SOURCE_DIR) + "/datasets/sample") + " --work " + shell_quote(work / "changed") +
      " --count 800 --seed 1");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find(" 0 disagreements"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace dkimscan::testing
