// File: tests/engine/corpus.cpp
// Reads tests/data/*/expected.jsonl (tests/data/SOURCE.md) into CorpusMessage rows, and the
// per-message key provider. Only the fields the conformance tests use are read.
#include "tests/engine/corpus.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace dkimscan::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

CorpusSignature parse_signature(const json& row) {
  CorpusSignature sig;
  sig.index = row.at("index").get<std::size_t>();
  sig.result = row.at("result").get<std::string>();
  if (row.contains("strict_result")) sig.strict_result = row["strict_result"].at("result").get<std::string>();
  if (row.contains("rfc_notes")) sig.rfc_notes = row["rfc_notes"].get<std::vector<std::string>>();
  return sig;
}

CorpusMessage parse_row(const fs::path& corpus, const json& row) {
  CorpusMessage message;
  message.corpus = corpus.filename().string();
  message.file = row.at("file").get<std::string>();
  message.path = (corpus / message.file).string();
  message.line_endings = row.value("line_endings", "");
  if (row.contains("verify_time")) message.verify_time = row["verify_time"].get<std::int64_t>();
  if (row.contains("message_result")) message.message_result = row["message_result"].get<std::string>();
  if (row.contains("limit_test")) {
    message.limit_max_verifications = row["limit_test"].at("max_verifications").get<std::size_t>();
  }
  if (row.contains("dns_overrides")) {
    for (const auto& [name, value] : row["dns_overrides"].items()) {
      message.dns_overrides[lower(name)] = value.get<std::string>();
    }
  }
  for (const json& sig : row.value("signatures", json::array())) message.signatures.push_back(parse_signature(sig));
  return message;
}

std::vector<CorpusMessage> load_all() {
  std::vector<fs::path> corpora;
  for (const auto& entry : fs::directory_iterator(DKIMSCAN_TESTDATA)) {
    if (fs::exists(entry.path() / "expected.jsonl")) corpora.push_back(entry.path());
  }
  std::sort(corpora.begin(), corpora.end());
  std::vector<CorpusMessage> messages;
  for (const fs::path& corpus : corpora) {
    std::istringstream lines(read_bytes((corpus / "expected.jsonl").string()));
    std::string line;
    while (std::getline(lines, line)) {
      if (!line.empty()) messages.push_back(parse_row(corpus, json::parse(line)));
    }
  }
  return messages;
}

}  // namespace

std::string CorpusMessage::id() const {
  return corpus + "/" + fs::path(file).stem().string();
}

std::string CorpusMessage::test_name() const {
  std::string name = id();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

const std::vector<CorpusMessage>& corpus_messages() {
  static const std::vector<CorpusMessage> messages = load_all();
  return messages;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

cache::KeyFileProvider& corpus_key_file(const std::string& corpus) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<cache::KeyFileProvider>> loaded;
  std::lock_guard lock(mutex);
  auto& slot = loaded[corpus];
  if (!slot) {
    const fs::path zone = fs::path(DKIMSCAN_TESTDATA) / corpus / "keys.zone";
    slot = std::make_unique<cache::KeyFileProvider>(std::vector<std::string>{zone.string()});
  }
  return *slot;
}

CorpusKeys::CorpusKeys(const CorpusMessage& message) : base_(corpus_key_file(message.corpus)) {
  for (const auto& [name, value] : message.dns_overrides) overrides_[name] = engine::make_key_set({value});
}

engine::KeySetPtr CorpusKeys::lookup(std::string_view name) {
  // Names compare case-insensitively (tests/data/SOURCE.md, keys.zone).
  auto found = overrides_.find(lower(std::string(name)));
  return found != overrides_.end() ? found->second : base_.lookup(name);
}

}  // namespace dkimscan::testing
