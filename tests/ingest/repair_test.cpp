// File: tests/ingest/repair_test.cpp
// Repair variants byte for byte, and with real Ed25519 signatures: a message whose "From " body
// line an mbox writer quoted fails as stored and passes after repair; the same signed messages
// give the same verdicts from a Maildir, every mbox variant and compressed or packed copies.
#include "ingest/repair.h"

#include <gtest/gtest.h>

#include "engine/crypto/private_key.h"
#include "engine/sign.h"
#include "ingest_test_util.h"

namespace dkimscan::ingest {
namespace {

using testing::TempDir;
using testing::write_mbox;

TEST(RepairVariants, MboxoUnquotesOneLine) {
  auto v = repair_variants("From: a\n\nx\n>From here\n>>From there\n", Container::mboxo);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].label, "mboxo >From un-quoting (1 line)");
  EXPECT_EQ(v[0].bytes, "From: a\n\nx\nFrom here\n>>From there\n");
}

TEST(RepairVariants, MboxoWithTwoLinesTriesAllThenEach) {
  const std::string m = "From: a\n\n>From one\n>From two\n";
  auto v = repair_variants(m, Container::mboxcl);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].bytes, "From: a\n\nFrom one\nFrom two\n");
  EXPECT_EQ(v[0].label, "mboxo >From un-quoting (2 lines)");
  EXPECT_EQ(v[1].bytes, "From: a\n\n>From one\nFrom two\n");
  EXPECT_EQ(v[2].bytes, "From: a\n\nFrom one\n>From two\n");
  EXPECT_EQ(v[2].label, "mboxo >From un-quoting (1 line)");
}

TEST(RepairVariants, MboxrdPutsTheQuoteBack) {
  auto v = repair_variants("From: a\n\nFrom one\n>From two\nnot From\n", Container::mboxrd);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].bytes, "From: a\n\n>From one\n>>From two\nnot From\n");
  EXPECT_EQ(v[0].label, "mboxrd un-quoting undone (2 lines)");
}

TEST(RepairVariants, ScopeKeepsOnlyLinesInTheFailedPart) {
  // An obsolete-syntax "From :" header line quoted by an mboxo writer, and a quoted body line.
  const std::string m = ">From : a\r\nTo: b\r\n\r\n>From body\r\n";
  auto header = repair_variants(m, Container::mboxo, RepairScope{true, false});
  ASSERT_EQ(header.size(), 1u);
  EXPECT_EQ(header[0].bytes, "From : a\r\nTo: b\r\n\r\n>From body\r\n");
  auto body = repair_variants(m, Container::mboxo, RepairScope{false, true});
  ASSERT_EQ(body.size(), 1u);
  EXPECT_EQ(body[0].bytes, ">From : a\r\nTo: b\r\n\r\nFrom body\r\n");
  EXPECT_EQ(repair_variants(m, Container::mboxo).size(), 3u);  // both lines, then each alone
  EXPECT_TRUE(repair_variants(m, Container::mboxo, RepairScope{false, false}).empty());
  // No empty line: all of it is header.
  EXPECT_TRUE(repair_variants("To: b\n>From x\n", Container::mboxo, RepairScope{false, true}).empty());
}

TEST(RepairVariants, NothingToRepair) {
  EXPECT_TRUE(repair_variants("From: a\n\n>From x\n", Container::mboxcl2).empty());
  EXPECT_TRUE(repair_variants("From: a\n\nplain\n", Container::mboxo).empty());
}

// Every key name gets the same Ed25519 key; lookups counts the verifications.
class OneKey final : public engine::KeyProvider {
 public:
  explicit OneKey(const engine::PrivateKey& key)
      : keys_(engine::make_key_set({"v=DKIM1; k=ed25519; p=" + key.public_key_base64()})) {}
  engine::KeySetPtr lookup(std::string_view) override {
    ++lookups;
    return keys_;
  }
  std::size_t lookups = 0;  // one per verification of a signature

 private:
  engine::KeySetPtr keys_;
};

struct Signed {
  engine::PrivateKey key = engine::PrivateKey::generate(engine::KeyType::ed25519, 0);
  OneKey keys{key};
  engine::Verifier verifier{engine::VerifyOptions{engine::Policy::strict, 1700000100}};

  std::string sign(const std::string& message, engine::Canon body = engine::Canon::simple) const {
    engine::SignOptions o;
    o.domain = "example.com";
    o.selector = "s1";
    o.header_canon = engine::Canon::relaxed;
    o.body_canon = body;
    o.timestamp = 1700000000;
    return engine::sign_message(message, o, key) + message;
  }

  // Verifies one item with repair, as the pipeline would.
  engine::PipelineItem check(const InputMessage& input) {
    engine::PipelineItem item;
    item.input = input;
    engine::VerifyScratch scratch;
    verifier.verify(item.input.bytes, keys, scratch, item.result);
    repair_failed_signatures(item, scratch, verifier, keys);
    return item;
  }
};

// message as an mboxo writer stores it (its "From " lines quoted), owned by the item.
InputMessage stored_in_mboxo(const std::string& message) {
  InputMessage input;
  auto owned = std::make_shared<const std::string>(testing::quote_for(message, MboxFormat::mboxo));
  input.bytes = *owned;
  input.storage = std::move(owned);
  input.container = Container::mboxo;
  return input;
}

const std::string kPlain = "From: a@example.com\nTo: b@example.org\nSubject: plain\n\nHello.\n";
const std::string kFromLine =
    "From: a@example.com\nTo: b@example.org\nSubject: quoted\n\nHello,\n\nFrom the start, thanks.\n";

TEST(Repair, QuotedFromLineFailsAsStoredAndPassesAfterRepair) {
  Signed s;
  TempDir dir;
  const std::string message = s.sign(kFromLine);
  const std::string path = dir.write("a.mbox", write_mbox({message}, MboxFormat::mboxo));
  auto items = testing::read_all({path});
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].container, Container::mboxo);

  engine::MessageResult as_stored;
  engine::VerifyScratch scratch;
  s.verifier.verify(items[0].bytes, s.keys, scratch, as_stored);
  ASSERT_EQ(as_stored.signatures.size(), 1u);
  EXPECT_EQ(as_stored.signatures[0].verdict, engine::Verdict::fail);
  EXPECT_EQ(as_stored.signatures[0].reason, engine::Reason::body_hash_mismatch);

  engine::PipelineItem item = s.check(items[0]);
  EXPECT_EQ(item.result.signatures[0].verdict, engine::Verdict::pass);
  EXPECT_EQ(item.result.best, engine::Verdict::pass);
  EXPECT_EQ(item.note, "pass after repair: mboxo >From un-quoting (1 line)");
  EXPECT_EQ(item.input.bytes, message);
}

TEST(Repair, TamperedMessageStaysFailed) {
  Signed s;
  std::string message = s.sign(kFromLine);
  message.replace(message.find("thanks"), 6, "THANKS");
  const InputMessage input = stored_in_mboxo(message);
  engine::PipelineItem item = s.check(input);
  EXPECT_EQ(item.result.signatures[0].verdict, engine::Verdict::fail);
  EXPECT_EQ(item.result.signatures[0].reason, engine::Reason::body_hash_mismatch);
  EXPECT_EQ(item.note, "");
}

// Stored in an mboxo archive, a message whose header was changed fails on its body hash first (the
// writer quoted a body line). Un-quoting makes the body hash match without making the signature
// pass: the result then says where the message really differs, and the note says so.
TEST(Repair, UnquotingThatMatchesTheBodyButNotTheHeaderLocatesTheDamage) {
  Signed s;
  std::string message = s.sign(kFromLine);
  message.replace(message.find("Subject: quoted"), 15, "Subject: QUOTED");
  const InputMessage input = stored_in_mboxo(message);
  engine::MessageResult as_stored;
  engine::VerifyScratch scratch;
  s.verifier.verify(input.bytes, s.keys, scratch, as_stored);
  ASSERT_EQ(as_stored.signatures.size(), 1u);
  EXPECT_EQ(as_stored.signatures[0].reason, engine::Reason::body_hash_mismatch);

  engine::PipelineItem item = s.check(input);
  ASSERT_EQ(item.result.signatures.size(), 1u);
  EXPECT_EQ(item.result.signatures[0].verdict, engine::Verdict::fail);
  EXPECT_EQ(item.result.signatures[0].reason, engine::Reason::signature_mismatch);
  EXPECT_EQ(item.result.best, engine::Verdict::fail);
  EXPECT_EQ(item.note, "fail after repair: mboxo >From un-quoting (1 line): the body is as signed, a signed header "
                       "field is not");
  EXPECT_EQ(item.input.bytes, message);
}

// A signature that fails on its header (the body hash matched) is not retried on body repairs:
// they could not change its verdict, and each would cost a copy and a verification. The body
// holds a ">From " line as written by its author, which mboxo un-quoting would change.
TEST(Repair, HeaderFailureIsNotRetriedOnBodyRepairs) {
  Signed s;
  std::string message = s.sign("From: a@example.com\nSubject: quoted\n\nHello,\n>From the start.\n");
  message.replace(message.find("Subject: quoted"), 15, "Subject: QUOTED");
  InputMessage input;
  input.bytes = message;
  input.container = Container::mboxo;
  ASSERT_EQ(repair_variants(input.bytes, input.container).size(), 1u);
  engine::PipelineItem item = s.check(input);
  ASSERT_EQ(item.result.signatures.size(), 1u);
  EXPECT_EQ(item.result.signatures[0].reason, engine::Reason::signature_mismatch);
  EXPECT_EQ(item.note, "");
  EXPECT_EQ(s.keys.lookups, 1u);  // the verification as stored, no variant

  // The same line, with the body changed instead: the variant's body does not hash to bh= either,
  // so it is not verified (it could neither pass nor locate the damage).
  Signed t;
  std::string body_changed = t.sign("From: a@example.com\nSubject: quoted\n\nHello,\n>From the start.\n");
  body_changed.replace(body_changed.find("Hello"), 5, "HELLO");
  input.bytes = body_changed;
  item = t.check(input);
  EXPECT_EQ(item.result.signatures[0].reason, engine::Reason::body_hash_mismatch);
  EXPECT_EQ(item.note, "");
  EXPECT_EQ(t.keys.lookups, 1u);
}

// Three quoted lines, of which the writer quoted one and the author wrote two: the repair is a
// subset, found by hashing the body variants first. Only that variant is verified, among the
// seven, for both canonicalizations; and a scratch that holds another message's verification is
// noticed (then every variant is verified, as before the body hashes decided).
TEST(Repair, OnlyTheVariantWhoseBodyHashMatchesIsVerified) {
  const std::string original =
      "From: a@example.com\nSubject: q\n\n>From me\n\nFrom the start.\n\n>From you\n  trailing  \n\n";
  for (engine::Canon canon : {engine::Canon::simple, engine::Canon::relaxed}) {
    SCOPED_TRACE(canon == engine::Canon::simple ? "simple" : "relaxed");
    Signed s;
    const std::string message = s.sign(original, canon);
    const InputMessage input = stored_in_mboxo(message);
    ASSERT_EQ(repair_variants(input.bytes, input.container).size(), 7u);
    engine::PipelineItem item = s.check(input);
    EXPECT_EQ(item.result.signatures[0].verdict, engine::Verdict::pass);
    EXPECT_EQ(item.note, "pass after repair: mboxo >From un-quoting (1 line)");
    EXPECT_EQ(item.input.bytes, message);
    EXPECT_EQ(s.keys.lookups, 2u);  // as stored, and the one variant

    Signed t;
    std::string tampered = t.sign(original, canon);
    tampered.replace(tampered.find("start"), 5, "START");
    engine::PipelineItem failed;
    failed.input = stored_in_mboxo(tampered);
    engine::VerifyScratch scratch;
    t.verifier.verify(failed.input.bytes, t.keys, scratch, failed.result);
    repair_failed_signatures(failed, scratch, t.verifier, t.keys);
    EXPECT_EQ(failed.result.signatures[0].reason, engine::Reason::body_hash_mismatch);
    EXPECT_EQ(t.keys.lookups, 1u);  // no variant hashes to bh=
    engine::MessageResult other;
    t.verifier.verify(input.bytes, t.keys, scratch, other);  // scratch now describes another message
    failed.note.clear();
    repair_failed_signatures(failed, scratch, t.verifier, t.keys);
    EXPECT_EQ(t.keys.lookups, 2u + 7u);
    EXPECT_EQ(failed.note, "");
  }
}

// An mboxo writer quoted both a body line and the first header line, an obsolete-syntax
// "From :" (RFC 5322 §4.5). The body hash fails first, so the header was never checked: the
// repair must un-quote the header line too for the signature to pass.
TEST(Repair, BodyHashFailureAlsoRepairsAQuotedHeaderLine) {
  Signed s;
  const std::string message = s.sign("From : a@example.com\nSubject: q\n\nHello,\n\nFrom the start.\n");
  const InputMessage input = stored_in_mboxo(message);
  ASSERT_NE(input.bytes.find("\n>From : a@example.com"), std::string::npos);  // below the signature
  engine::PipelineItem item = s.check(input);
  ASSERT_EQ(item.result.signatures.size(), 1u);
  EXPECT_EQ(item.result.signatures[0].verdict, engine::Verdict::pass);
  EXPECT_EQ(item.note, "pass after repair: mboxo >From un-quoting (2 lines)");
  EXPECT_EQ(item.input.bytes, message);
}

// One row per message: verdict of its signature and the repair note.
std::vector<std::pair<engine::Verdict, std::string>> verdicts(Signed& s, const std::vector<InputMessage>& items) {
  std::vector<std::pair<engine::Verdict, std::string>> out;
  for (const auto& input : items) {
    EXPECT_EQ(input.error, IngestError::none) << input.source;
    engine::PipelineItem item = s.check(input);
    out.emplace_back(item.result.best, item.note);
  }
  return out;
}

TEST(Repair, SameVerdictsFromEveryContainer) {
  Signed s;
  TempDir dir;
  const std::vector<std::string> messages = {s.sign(kPlain), s.sign(kFromLine), s.sign(kFromLine, engine::Canon::relaxed)};
  dir.write("Maildir/cur/1:2,S", messages[0]);
  dir.write("Maildir/cur/2:2,S", messages[1]);
  dir.write("Maildir/new/3", messages[2]);
  using V = std::vector<std::pair<engine::Verdict, std::string>>;
  const auto pass = engine::Verdict::pass;
  const V clean = {{pass, ""}, {pass, ""}, {pass, ""}};
  const std::string note = "pass after repair: mboxo >From un-quoting (1 line)";
  const V repaired = {{pass, ""}, {pass, note}, {pass, note}};
  EXPECT_EQ(verdicts(s, testing::read_all({dir / "Maildir"})), clean);
  for (auto [format, want] : {std::pair{MboxFormat::mboxo, repaired}, {MboxFormat::mboxrd, clean},
                              {MboxFormat::mboxcl, repaired}, {MboxFormat::mboxcl2, clean}}) {
    const std::string name = std::string(mbox_format_name(format)) + ".mbox";
    const std::string path = dir.write(name, write_mbox(messages, format));
    IngestOptions options;
    options.mbox_format = format;
    EXPECT_EQ(verdicts(s, testing::read_all({path}, options)), want) << name;
    ASSERT_TRUE(testing::shell("gzip -k " + path));
    EXPECT_EQ(verdicts(s, testing::read_all({path + ".gz"}, options)), want) << name << ".gz";
  }
  ASSERT_TRUE(testing::shell("cd " + dir.path() + " && tar --sort=name -czf m.tgz Maildir && zip -qr m.zip Maildir"));
  EXPECT_EQ(verdicts(s, testing::read_all({dir / "m.tgz"})), clean);
  EXPECT_EQ(verdicts(s, testing::read_all({dir / "m.zip"})), clean);  // any entry order: all alike
}

}  // namespace
}  // namespace dkimscan::ingest
