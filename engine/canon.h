// File: canon.h
// Canonicalization (RFC 6376 §3.4): header fields one at a time, and a streaming body
// canonicalizer that gives the same bytes however the body is chunked. Output goes to a ByteSink
// (a hash, or a string in tests), through a small buffer, so nothing is copied whole.
// Bare LF is read as a line end; CRLF is always what comes out.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/algorithms.h"

namespace dkimscan::engine {

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual void write(std::string_view bytes) noexcept = 0;
};

class StringSink final : public ByteSink {
 public:
  void write(std::string_view bytes) noexcept override { text.append(bytes); }
  std::string text;
};

// Appends the canonical form of one header field (raw: name, ':', value and line end).
// simple: the field as is, with bare LF turned into CRLF. relaxed (§3.4.2): name lower-cased,
// unfolded, WSP runs to one SP, WSP at the end of the value and around ':' removed, CRLF ended.
void canon_header(Canon canon, std::string_view raw_field, ByteSink& sink) noexcept;

// The same for the field being verified: the b= value is removed and no final CRLF is written
// (§3.7). b_begin/b_end are offsets of the b= raw value within raw_field.
void canon_signature_header(Canon canon, std::string_view raw_field, std::size_t b_begin,
                            std::size_t b_end, ByteSink& sink) noexcept;

// Streams a body through simple (§3.4.3) or relaxed (§3.4.4) canonicalization. With a limit
// (l=), only the first `limit` canonical bytes reach the sink; total_length() still counts all,
// so the unsigned remainder can be reported.
class BodyCanonicalizer {
 public:
  BodyCanonicalizer(Canon canon, ByteSink& sink, std::optional<std::uint64_t> limit = std::nullopt) noexcept;
  // A copy of other that writes to sink from now on: the two then go on independently, for
  // hashing variants of one body once up to where they differ. other must be flushed
  // (flush_to_sink()) so that no byte it has taken in is still on its way to its sink.
  BodyCanonicalizer(const BodyCanonicalizer& other, ByteSink& sink) noexcept;
  BodyCanonicalizer(const BodyCanonicalizer&) = delete;
  BodyCanonicalizer& operator=(const BodyCanonicalizer&) = delete;

  void feed(std::string_view chunk) noexcept;
  void finish() noexcept;  // call once, after the last chunk
  // Writes the canonical bytes held in the buffer to the sink (what is held back by the rules,
  // such as line ends that may turn out to trail the body, stays held).
  void flush_to_sink() noexcept { flush(); }

  // Canonical body length (all of it, not only the part under the limit). Valid after finish().
  std::uint64_t total_length() const noexcept { return total_; }

 private:
  void feed_simple(const char* p, const char* end) noexcept;
  void feed_relaxed(const char* p, const char* end) noexcept;
  void text_until(const char* text, const char* stop) noexcept;
  void content(std::string_view bytes) noexcept;  // line text: held line ends and space go first
  void line_end(const char* eol_begin, const char* eol_end) noexcept;
  void emit_crlfs(std::uint64_t count) noexcept;
  void emit(std::string_view bytes) noexcept;
  void flush_run() noexcept;
  void flush() noexcept;

  Canon canon_;
  ByteSink& sink_;
  std::optional<std::uint64_t> limit_;
  std::uint64_t total_ = 0;
  std::uint64_t emitted_ = 0;
  std::uint64_t pending_eols_ = 0;  // CRLFs held back: trailing empty lines are dropped
  // LIFETIME: last_eol_ and run_ may point into the chunk being fed; both are reset before
  // feed() returns.
  std::string_view last_eol_;  // the input CRLF that ended the last line, if in this chunk
  const char* run_ = nullptr;  // output bytes not yet copied: one contiguous view
  std::size_t run_size_ = 0;
  bool pending_wsp_ = false;  // relaxed: a WSP run seen, written only if text follows
  bool pending_cr_ = false;   // a CR at the end of the last chunk
  bool any_content_ = false;
  std::size_t buffered_ = 0;
  std::array<char, 8192> buffer_;
};

}  // namespace dkimscan::engine
