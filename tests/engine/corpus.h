// File: tests/engine/corpus.h
// The public DKIM corpora of tests/data/*/ (format: tests/data/SOURCE.md) loaded for tests: one
// CorpusMessage per expected.jsonl row, and a KeyProvider that serves the corpus's keys.zone with
// the row's dns_overrides layered on top (for that message only, as the upstream tests do).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cache/key_file.h"
#include "engine/key_provider.h"

namespace dkimscan::testing {

// One DKIM-Signature of a row, index 0 = topmost.
struct CorpusSignature {
  std::size_t index = 0;
  std::string result;                         // RFC 8601 word or "unknown" (not asserted upstream)
  std::optional<std::string> strict_result;   // mail-dkim: the verdict of its Strict mode
  std::vector<std::string> rfc_notes;         // where the collector saw the RFCs differ
};

struct CorpusMessage {
  std::string corpus;  // folder name: "mail-dkim"
  std::string file;    // relative to the corpus: "messages/bad_1.eml"
  std::string path;    // absolute path of the message
  std::string line_endings;
  std::optional<std::int64_t> verify_time;
  std::map<std::string, std::string> dns_overrides;  // name (lower case) → TXT value
  std::optional<std::string> message_result;
  std::optional<std::size_t> limit_max_verifications;  // go-msgauth limit_test
  std::vector<CorpusSignature> signatures;

  // "mail-dkim/bad_1" (the file stem), the key the tests' tables use.
  std::string id() const;
  // id() with every character outside [A-Za-z0-9] as '_', for GoogleTest names.
  std::string test_name() const;
};

// Every row of every tests/data/*/expected.jsonl, corpora and rows in a stable order.
const std::vector<CorpusMessage>& corpus_messages();

// The bytes of a file (a message), exactly as stored.
std::string read_bytes(const std::string& path);

// keys.zone of one corpus, loaded once per process.
cache::KeyFileProvider& corpus_key_file(const std::string& corpus);

// keys.zone of the message's corpus with its dns_overrides on top.
class CorpusKeys : public engine::KeyProvider {
 public:
  explicit CorpusKeys(const CorpusMessage& message);
  engine::KeySetPtr lookup(std::string_view name) override;

 private:
  cache::KeyFileProvider& base_;
  std::map<std::string, engine::KeySetPtr, std::less<>> overrides_;
};

}  // namespace dkimscan::testing
