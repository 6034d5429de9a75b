// File: tests/ingest/ingest_test_util.h
// Helpers for the ingest tests: a temporary folder removed at the end of the test, files written
// byte for byte, and draining a MessageSource into a vector.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/byte_arena.h"
#include "ingest/byte_reader.h"
#include "ingest/ingest_options.h"
#include "ingest/input_message.h"
#include "ingest/mbox_chunks.h"
#include "ingest/open_inputs.h"
#include "tests/temp_dir.h"

namespace dkimscan::ingest::testing {

using dkimscan::testing::TempDir;

inline std::vector<InputMessage> drain(MessageSource& source) {
  std::vector<InputMessage> out;
  InputMessage m;
  while (source.next(m)) out.push_back(std::move(m));
  return out;
}

inline std::vector<InputMessage> read_all(const std::vector<std::string>& paths,
                                          const IngestOptions& options = {}) {
  auto source = open_inputs(paths, options);
  return drain(*source);
}

// The items of paths read the two ways the pipeline reads them: at once, as at -j1, and with
// defer_reads, each deferred item then loaded as a worker at -jN loads it. The two must agree.
struct ReadBothWays {
  std::vector<InputMessage> immediate;
  std::vector<InputMessage> deferred;
  std::unique_ptr<ByteArena> arena = std::make_unique<ByteArena>();  // LIFETIME: deferred's bytes
};

inline ReadBothWays read_both_ways(const std::vector<std::string>& paths) {
  ReadBothWays out;
  out.immediate = read_all(paths);
  IngestOptions options;
  options.defer_reads = true;
  out.deferred = read_all(paths, options);
  for (InputMessage& item : out.deferred) load_deferred(item, options, *out.arena);
  return out;
}

// Reads a string in pieces of a fixed size, as a decompressor hands on its output; optionally
// fails (truncated, as a broken gzip stream does) at the end.
class StringReader final : public ByteReader {
 public:
  StringReader(std::string data, std::size_t piece, bool fail_at_end = false)
      : data_(std::move(data)), piece_(piece), fail_(fail_at_end) {}
  long read(char* buffer, std::size_t n) override {
    n = std::min({n, piece_, data_.size() - pos_});
    if (n == 0 && fail_) return -1;
    std::memcpy(buffer, data_.data() + pos_, n);
    pos_ += n;
    return static_cast<long>(n);
  }
  IngestError error() const override { return IngestError::truncated; }
  std::string error_detail() const override { return "unexpected end of gzip stream"; }

 private:
  std::string data_;
  std::size_t piece_;
  bool fail_;
  std::size_t pos_ = 0;
};

// pread(), but the bytes [bad_begin, bad_end) fail with EIO as a bad sector does: a read that
// reaches them stops short before them, and one that starts in them fails.
inline ReadAtFn failing_between(std::uint64_t bad_begin, std::uint64_t bad_end) {
  return [=](int fd, char* out, std::size_t n, std::uint64_t offset) -> long {
    if (offset >= bad_begin && offset < bad_end) {
      errno = EIO;
      return -1;
    }
    if (offset < bad_begin) n = static_cast<std::size_t>(std::min<std::uint64_t>(n, bad_begin - offset));
    return static_cast<long>(::pread(fd, out, n, static_cast<off_t>(offset)));
  };
}

// Runs a shell command (tar, gzip, ...) for building fixtures; true on exit status 0.
inline bool shell(const std::string& command) { return std::system(command.c_str()) == 0; }

// A small well-formed message with the given subject and body (LF line ends).
inline std::string make_message(std::string_view subject, std::string_view body) {
  return "From: a@example.com\nTo: b@example.org\nSubject: " + std::string(subject) + "\n\n" +
         std::string(body);
}

// Quotes the lines of message the way an mbox writer of format does (mboxo/mboxcl: "From " →
// ">From "; mboxrd: ">*From " gets one more '>'; mboxcl2: nothing).
inline std::string quote_for(std::string_view message, MboxFormat format) {
  std::string out;
  std::size_t line = 0;
  while (line < message.size()) {
    std::size_t nl = message.find('\n', line);
    std::size_t end = nl == std::string_view::npos ? message.size() : nl + 1;
    std::string_view text = message.substr(line, end - line);
    std::size_t j = 0;
    while (j < text.size() && text[j] == '>') ++j;
    const bool from = text.substr(j, 5) == "From ";
    if ((format == MboxFormat::mboxo || format == MboxFormat::mboxcl) && from && j == 0) out += '>';
    if (format == MboxFormat::mboxrd && from) out += '>';
    out.append(text);
    line = end;
  }
  return out;
}

// An mbox archive of messages in the given variant, with each message's line ends (LF or CRLF);
// mboxcl/cl2 get a Content-Length field appended to the header.
inline std::string write_mbox(const std::vector<std::string>& messages, MboxFormat format) {
  std::string out;
  for (const std::string& m : messages) {
    const std::string eol = m.find("\r\n") != std::string::npos ? "\r\n" : "\n";
    std::string stored = quote_for(m, format);
    if (format == MboxFormat::mboxcl || format == MboxFormat::mboxcl2) {
      const std::size_t sep = stored.find(eol + eol) + eol.size();  // the empty line
      const std::size_t body = sep + eol.size();
      stored.insert(sep, "Content-Length: " + std::to_string(stored.size() - body) + eol);
    }
    out += "From sender@example.com Thu Jan  1 00:00:00 2024" + eol + stored + eol;
  }
  return out;
}

}  // namespace dkimscan::ingest::testing
