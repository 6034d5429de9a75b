// The bundled sample (datasets/sample) verifies exactly as its generator meant each message to:
// the README's first command runs this same verification.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

namespace fs = std::filesystem;
const fs::path kSample = fs::path(DKIMSCAN_SOURCE_DIR) / "datasets" / "sample";

std::string run(const std::string& command, int& exit_code) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[65536];
  for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  int status = pclose(pipe);
  exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return output;
}

TEST(Sample, EveryMessageGetsItsIntendedResult) {
  std::map<std::string, std::string> expected;
  std::ifstream rows(kSample / "expected.jsonl");
  for (std::string line; std::getline(rows, line);) {
    auto row = nlohmann::json::parse(line);
    expected[(kSample / row["file"].get<std::string>()).string()] = row["result"];
  }
  ASSERT_EQ(expected.size(), 100u);

  int exit_code = 0;
  std::string output = run(std::string(DKIMSCAN_BINARY) + " verify --format jsonl --keys " +
                               (kSample / "keys.zone").string() + " " + (kSample / "messages").string(),
                           exit_code);
  EXPECT_EQ(exit_code, 1);  // the sample holds tampered messages on purpose
  std::size_t messages = 0;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    auto object = nlohmann::json::parse(line);
    if (object["type"] == "summary") {
      EXPECT_EQ(object["messages"], 100);
      continue;
    }
    ++messages;
    const std::string source = object["source"];
    ASSERT_TRUE(expected.count(source)) << source;
    EXPECT_EQ(object["result"], expected[source]) << source;
  }
  EXPECT_EQ(messages, 100u);
}

// The same messages as a Maildir (whose files the pipeline's workers read, not the serial
// reader) give the same results in the same order, with 1 and 2 threads.
TEST(Sample, MaildirCopyGivesTheSameResults) {
  fs::path maildir = fs::temp_directory_path() / ("dkimscan-sample-maildir-" + std::to_string(::getpid()));
  fs::remove_all(maildir);
  fs::create_directories(maildir / "new");
  fs::create_directories(maildir / "tmp");
  fs::copy(kSample / "messages", maildir / "cur");
  const std::string keys = " --keys " + (kSample / "keys.zone").string() + " ";
  auto results = [&](const std::string& args) {
    int exit_code = 0;
    std::string output = run(std::string(DKIMSCAN_BINARY) + " verify --format jsonl" + keys + args, exit_code);
    EXPECT_EQ(exit_code, 1);
    std::vector<std::string> lines;
    std::istringstream in(output);
    for (std::string line; std::getline(in, line);) {
      auto object = nlohmann::json::parse(line);
      if (object["type"] != "message") continue;
      std::string name = fs::path(object["source"].get<std::string>()).filename().string();
      lines.push_back(name + " " + object["result"].get<std::string>() + " " + object["signatures"].dump());
    }
    return lines;
  };
  auto from_folder = results((kSample / "messages").string());
  ASSERT_EQ(from_folder.size(), 100u);
  EXPECT_EQ(results("-j1 " + maildir.string()), from_folder);
  EXPECT_EQ(results("-j2 " + maildir.string()), from_folder);
  fs::remove_all(maildir);
}

// "The same corpus gives byte-identical output with 1 thread and with many": every message line
// of the JSON output, compared as bytes, for a folder that mixes what the workers read (message
// files, mboxrd un-quoting) with what the serial reader splits (an mbox and a gzip file).
TEST(Sample, OutputIsByteIdenticalWithOneThreadAndMany) {
  const fs::path mixed = fs::temp_directory_path() / ("dkimscan-sample-mixed-" + std::to_string(::getpid()));
  fs::remove_all(mixed);
  fs::copy(kSample / "messages", mixed);
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(kSample / "messages")) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  std::vector<std::string> in_mbox;  // file names, in mbox order
  {
    // The first twenty CRLF messages as an mboxrd archive: body lines matching ">*From " get one
    // more '>' (read back with --mbox-format mboxrd, which un-quotes them: on a worker when the
    // reads are deferred, in the serial reader with one thread).
    std::ofstream mbox(mixed / "m.mbox", std::ios::binary);
    int stored = 0, quoted = 0;
    for (std::size_t i = 0; i < files.size() && stored < 20; ++i) {
      std::ifstream in(files[i], std::ios::binary);
      const std::string message((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (message.find("\r\n") == std::string::npos) continue;
      std::string text;
      for (std::size_t line = 0; line < message.size();) {
        std::size_t end = message.find('\n', line);
        end = end == std::string::npos ? message.size() : end + 1;
        const std::string_view l(message.data() + line, end - line);
        const std::size_t marks = l.find_first_not_of('>');
        if (marks != std::string_view::npos && l.substr(marks, 5) == "From ") {
          text += '>';
          ++quoted;
        }
        text += l;
        line = end;
      }
      mbox << "From sender@example.com Thu Jan  1 00:00:00 2024\r\n" << text << "\r\n";
      in_mbox.push_back(files[i].filename().string());
      ++stored;
    }
    ASSERT_EQ(stored, 20);
    ASSERT_GT(quoted, 0);  // the un-quoting is exercised
  }
  ASSERT_EQ(std::system(("gzip -c " + files[11].string() + " > " + (mixed / "z.eml.gz").string()).c_str()), 0);

  const std::string command = std::string(DKIMSCAN_BINARY) + " verify --format jsonl --keys " +
                              (kSample / "keys.zone").string() + " --mbox-format mboxrd " + mixed.string() + " -j ";
  auto message_lines = [&](const std::string& threads) {
    int exit_code = 0;
    std::string output = run(command + threads, exit_code);
    EXPECT_EQ(exit_code, 1);
    return output.substr(0, output.rfind("{\"type\":\"summary\""));  // the summary has timings
  };
  const std::string one = message_lines("1");
  EXPECT_EQ(std::count(one.begin(), one.end(), '\n'), 121);  // 100 files, 20 in the mbox, 1 gzipped
  EXPECT_EQ(one.find("after repair"), std::string::npos);  // un-quoted, not repaired
  // Each message in the mbox gets the same signature results as its own file.
  std::map<std::string, std::string> by_source;
  std::istringstream lines(one);
  for (std::string line; std::getline(lines, line);) {
    auto object = nlohmann::json::parse(line);
    by_source[fs::path(object["source"].get<std::string>()).filename().string()] = object["signatures"].dump();
  }
  for (std::size_t k = 0; k < in_mbox.size(); ++k) {
    EXPECT_EQ(by_source["m.mbox#" + std::to_string(k + 1)], by_source[in_mbox[k]]) << in_mbox[k];
  }
  EXPECT_EQ(message_lines("2"), one);
  EXPECT_EQ(message_lines("8"), one);
  fs::remove_all(mixed);
}

}  // namespace

// --format authres: one line per message, in the order of --format jsonl, each the message's
// source, a tab and its Authentication-Results field; the field's dkim= results are the
// signatures' results, and the jsonl "authentication_results" member is the same value.
TEST(Sample, AuthenticationResultsMatchTheJsonResults) {
  const std::string args = " --authserv-id mx.example.net --keys " + (kSample / "keys.zone").string() + " " +
                           (kSample / "messages").string();
  int exit_code = 0;
  const std::string authres = run(std::string(DKIMSCAN_BINARY) + " verify --format authres" + args, exit_code);
  EXPECT_EQ(exit_code, 1);
  const std::string jsonl = run(std::string(DKIMSCAN_BINARY) + " verify --format jsonl" + args, exit_code);

  std::vector<std::string> lines;
  std::istringstream authres_lines(authres);
  for (std::string line; std::getline(authres_lines, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 100u);  // no summary in this format

  std::size_t i = 0;
  std::istringstream json_lines(jsonl);
  for (std::string line; std::getline(json_lines, line);) {
    auto object = nlohmann::json::parse(line);
    if (object["type"] != "message") continue;
    ASSERT_LT(i, lines.size());
    const std::string& row = lines[i++];
    const std::size_t tab = row.find('\t');
    ASSERT_NE(tab, std::string::npos) << row;
    EXPECT_EQ(row.substr(0, tab), object["source"].get<std::string>());
    const std::string prefix = "Authentication-Results: ";
    ASSERT_EQ(row.compare(tab + 1, prefix.size(), prefix), 0) << row;
    const std::string value = row.substr(tab + 1 + prefix.size());
    EXPECT_EQ(value, object["authentication_results"].get<std::string>());
    ASSERT_EQ(value.rfind("mx.example.net; ", 0), 0u) << value;

    std::string expected;  // the dkim= results, in signature order
    for (const auto& sig : object["signatures"]) expected += "dkim=" + sig["result"].get<std::string>() + ";";
    if (object["signatures"].empty()) expected = "dkim=none;";
    std::string found;
    for (std::size_t at = value.find("dkim="); at != std::string::npos; at = value.find("dkim=", at + 1)) {
      found += value.substr(at, value.find_first_of(" ;", at) - at) + ";";
    }
    EXPECT_EQ(found, expected) << value;
  }
  EXPECT_EQ(i, 100u);
}
