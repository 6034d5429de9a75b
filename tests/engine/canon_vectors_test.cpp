// File: tests/engine/canon_vectors_test.cpp
// Every public canonicalization and body-hash vector in tests/data/*/ (see tests/data/SOURCE.md),
// one GoogleTest per vector, named after its id. Each must match byte for byte; none disagrees
// with RFC 6376 (with errata), so no vector is overridden here.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "engine/body_hash.h"
#include "engine/canon.h"
#include "engine/message.h"

namespace dkimscan::engine {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Vector {
  std::string name;  // the id made into a test name
  fs::path corpus;   // the folder the vector came from (for body_file)
  json data;
};

void PrintTo(const Vector& v, std::ostream* os) { *os << v.name; }

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// GoogleTest names allow only [A-Za-z0-9_]; duplicates get a numeric suffix.
std::string test_name(const std::string& id, std::map<std::string, int>& seen) {
  std::string name;
  for (const char c : id) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  const int n = ++seen[name];
  return n == 1 ? name : name + "_" + std::to_string(n);
}

std::vector<Vector> load(const std::string& file_name, bool with_hash_in_name) {
  std::vector<Vector> vectors;
  std::map<std::string, int> seen;
  std::vector<fs::path> corpora;
  for (const auto& entry : fs::directory_iterator(DKIMSCAN_TESTDATA)) {
    if (fs::exists(entry.path() / file_name)) corpora.push_back(entry.path());
  }
  std::sort(corpora.begin(), corpora.end());
  for (const fs::path& corpus : corpora) {
    std::istringstream lines(read_file(corpus / file_name));
    std::string line;
    while (std::getline(lines, line)) {
      if (line.empty()) continue;
      json data = json::parse(line);
      std::string id = data.at("id").get<std::string>();
      if (with_hash_in_name) id += "-" + data.at("canon").get<std::string>() + "-" + data.at("hash").get<std::string>();
      vectors.push_back(Vector{test_name(id, seen), corpus, std::move(data)});
    }
  }
  return vectors;
}

Canon canon_of(const json& data) {
  return data.at("canon").get<std::string>() == "relaxed" ? Canon::relaxed : Canon::simple;
}

std::string canon_body(Canon canon, const std::vector<std::string>& chunks) {
  StringSink sink;
  BodyCanonicalizer body(canon, sink);
  for (const std::string& chunk : chunks) body.feed(chunk);
  body.finish();
  EXPECT_EQ(body.total_length(), sink.text.size());
  return sink.text;
}

std::vector<std::string> one_byte_chunks(const std::string& s) {
  std::vector<std::string> chunks;
  for (const char c : s) chunks.emplace_back(1, c);
  return chunks;
}

class CanonVector : public ::testing::TestWithParam<Vector> {};

TEST_P(CanonVector, MatchesExpectedBytes) {
  const json& v = GetParam().data;
  const std::string kind = v.at("kind").get<std::string>();
  const Canon canon = canon_of(v);
  const std::string input = v.at("input").get<std::string>();
  const std::string expected = v.at("expected").get<std::string>();
  SCOPED_TRACE(v.at("source").get<std::string>());
  if (kind == "header") {
    StringSink sink;
    canon_header(canon, input, sink);
    EXPECT_EQ(sink.text, expected);
  } else if (kind == "body") {
    EXPECT_EQ(canon_body(canon, {input}), expected);
    EXPECT_EQ(canon_body(canon, one_byte_chunks(input)), expected) << "fed one byte at a time";
  } else if (kind == "body-chunks") {
    EXPECT_EQ(canon_body(canon, v.at("chunks").get<std::vector<std::string>>()), expected);
    EXPECT_EQ(canon_body(canon, {input}), expected) << "fed whole";
  } else if (kind == "message-headers") {
    ParsedMessage message;
    message.split(input);
    ASSERT_EQ(message.defect(), MessageDefect::none);
    StringSink sink;
    for (const HeaderField& f : message.fields()) canon_header(canon, f.raw, sink);
    EXPECT_EQ(sink.text, expected);
  } else if (kind == "message-body") {
    ParsedMessage message;
    message.split(input);
    ASSERT_EQ(message.defect(), MessageDefect::none);
    EXPECT_EQ(canon_body(canon, {std::string(message.body())}), expected);
  } else {
    FAIL() << "unknown vector kind " << kind;
  }
}

INSTANTIATE_TEST_SUITE_P(Vectors, CanonVector, ::testing::ValuesIn(load("canonicalization.jsonl", false)),
                         [](const ::testing::TestParamInfo<Vector>& info) { return info.param.name; });

std::string base64(const DigestBytes& bytes, std::size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(), static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// body_extract (SOURCE.md): the bytes after the first match of /\r?\n\r?\n/, optionally with
// every /\r?\n/ then replaced by CRLF.
std::string extract_body(const std::string& file, const std::string& how) {
  std::size_t start = std::string::npos;
  for (std::size_t j = file.find('\n'); j != std::string::npos; j = file.find('\n', j + 1)) {
    if (j + 1 < file.size() && file[j + 1] == '\n') {
      start = j + 2;
      break;
    }
    if (j + 2 < file.size() && file[j + 1] == '\r' && file[j + 2] == '\n') {
      start = j + 3;
      break;
    }
  }
  EXPECT_NE(start, std::string::npos) << "no blank line";
  std::string body = start == std::string::npos ? std::string() : file.substr(start);
  if (how.find("replaced by") == std::string::npos) return body;
  std::string crlf;
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\r' && i + 1 < body.size() && body[i + 1] == '\n') continue;  // CR of CRLF
    if (body[i] == '\n') {
      crlf += "\r\n";
    } else {
      crlf += body[i];
    }
  }
  return crlf;
}

class BodyHashVector : public ::testing::TestWithParam<Vector> {};

TEST_P(BodyHashVector, MatchesBh) {
  const json& v = GetParam().data;
  SCOPED_TRACE(v.at("source").get<std::string>());
  const std::string body = v.contains("body")
                               ? v.at("body").get<std::string>()
                               : extract_body(read_file(GetParam().corpus / v.at("body_file").get<std::string>()),
                                              v.at("body_extract").get<std::string>());
  BodyHashKey key;
  key.canon = canon_of(v);
  key.hash = v.at("hash").get<std::string>() == "sha1" ? HashAlg::sha1 : HashAlg::sha256;
  if (!v.at("l").is_null()) key.length = v.at("l").get<std::uint64_t>();
  Digest digest;
  const BodyHash bh = compute_body_hash(body, key, digest);
  EXPECT_EQ(bh.size, digest_size(key.hash));
  EXPECT_EQ(base64(bh.digest, bh.size), v.at("bh").get<std::string>());
  // The canonical length is the whole body's, whatever l= says.
  EXPECT_EQ(bh.canonical_length, canon_body(key.canon, {body}).size());
}

INSTANTIATE_TEST_SUITE_P(Vectors, BodyHashVector, ::testing::ValuesIn(load("bodyhash.jsonl", true)),
                         [](const ::testing::TestParamInfo<Vector>& info) { return info.param.name; });

}  // namespace
}  // namespace dkimscan::engine
