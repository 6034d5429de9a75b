// File: canon.cpp
// RFC 6376 §3.4 canonicalization. Header fields are small and go through a local buffer; the
// body canonicalizer is the hot path: it finds line ends with memchr, finds WSP runs that need
// rewriting with SSE2, and passes unchanged stretches of the input to the sink as one view.
#include "engine/canon.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace dkimscan::engine {
namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kCr = "\r";
constexpr std::string_view kSpace = " ";

constexpr bool is_wsp(char c) noexcept { return c == ' ' || c == '\t'; }
constexpr char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// Collects the many small pieces of one header field into a few sink writes.
class FieldOut {
 public:
  explicit FieldOut(ByteSink& sink) noexcept : sink_(sink) {}
  ~FieldOut() { flush(); }
  FieldOut(const FieldOut&) = delete;
  FieldOut& operator=(const FieldOut&) = delete;

  void put(std::string_view s) noexcept {
    if (size_ + s.size() > buf_.size()) {
      flush();
      if (s.size() > buf_.size()) {
        sink_.write(s);
        return;
      }
    }
    if (!s.empty()) std::memcpy(buf_.data() + size_, s.data(), s.size());
    size_ += s.size();
  }
  void put(char c) noexcept {
    if (size_ == buf_.size()) flush();
    buf_[size_++] = c;
  }
  void flush() noexcept {
    if (size_ != 0) sink_.write(std::string_view(buf_.data(), size_));
    size_ = 0;
  }

 private:
  ByteSink& sink_;
  std::size_t size_ = 0;
  std::array<char, 1024> buf_;
};

// simple (§3.4.1): bytes unchanged, except that a bare LF is a line end and becomes CRLF.
// prev is the byte before s (0 at the start), so a CRLF split between two pieces stays one.
void simple_piece(std::string_view s, char& prev, FieldOut& out) noexcept {
  std::size_t p = 0;
  while (p < s.size()) {
    const void* lf = std::memchr(s.data() + p, '\n', s.size() - p);
    if (lf == nullptr) {
      out.put(s.substr(p));
      break;
    }
    const std::size_t q = static_cast<const char*>(lf) - s.data();
    const bool after_cr = q > 0 ? s[q - 1] == '\r' : prev == '\r';
    out.put(s.substr(p, q - p));
    out.put(after_cr ? std::string_view("\n") : kCrlf);
    p = q + 1;
  }
  if (!s.empty()) prev = s.back();
}

// relaxed (§3.4.2) for a field value: line ends removed (unfolding), WSP runs become one SP,
// WSP at the start and end dropped. A lone CR (not before LF) is an ordinary byte.
class RelaxedValue {
 public:
  explicit RelaxedValue(FieldOut& out) noexcept : out_(out) {}

  void feed(std::string_view s) noexcept {
    std::size_t i = 0;
    while (i < s.size()) {
      if (cr_) {
        cr_ = false;
        if (s[i] == '\n') {  // CRLF: unfolded away
          ++i;
          continue;
        }
        put_text(kCr);
      }
      // A stretch copied as is: no WSP/CR/LF, except single SPs between other bytes.
      std::size_t j = i;
      while (j < s.size()) {
        if (!is_special(s[j])) {
          ++j;
        } else if (s[j] == ' ' && j > i && j + 1 < s.size() && !is_special(s[j + 1])) {
          j += 2;
        } else {
          break;
        }
      }
      if (j > i) {
        put_text(s.substr(i, j - i));
        i = j;
        continue;
      }
      const char c = s[i++];
      if (c == '\r') {
        cr_ = true;
      } else if (c != '\n') {  // a bare LF unfolds like CRLF
        wsp_ = true;
      }
    }
  }
  void end() noexcept {
    if (cr_) put_text(kCr);
    cr_ = false;
  }

 private:
  static bool is_special(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

  void put_text(std::string_view text) noexcept {
    if (wsp_ && started_) out_.put(' ');
    wsp_ = false;
    started_ = true;
    out_.put(text);
  }

  FieldOut& out_;
  bool started_ = false;
  bool wsp_ = false;
  bool cr_ = false;
};

// §3.4.2: the name lower-cased, with the WSP before ':' removed.
void relaxed_name(std::string_view name, FieldOut& out) noexcept {
  while (!name.empty() && (is_wsp(name.back()) || name.back() == '\r' || name.back() == '\n')) name.remove_suffix(1);
  while (!name.empty() && is_wsp(name.front())) name.remove_prefix(1);
  for (const char c : name) out.put(lower(c));
  out.put(':');
}

// The field without its final line end (CRLF or bare LF).
std::string_view strip_line_end(std::string_view raw) noexcept {
  if (!raw.empty() && raw.back() == '\n') {
    raw.remove_suffix(1);
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
  }
  return raw;
}

// Canonicalizes part1 + part2 (the field, perhaps with the b= value cut out of it).
void canon_field(Canon canon, std::string_view part1, std::string_view part2, bool final_crlf,
                 ByteSink& sink) noexcept {
  FieldOut out(sink);
  if (canon == Canon::simple) {
    char prev = 0;
    simple_piece(part1, prev, out);
    simple_piece(part2, prev, out);
    if (final_crlf) out.put(kCrlf);
    return;
  }
  std::size_t colon = part1.find(':');
  if (colon == std::string_view::npos) colon = part1.size();  // no name/value split: all name
  relaxed_name(part1.substr(0, colon), out);
  RelaxedValue value(out);
  value.feed(part1.substr(std::min(colon + 1, part1.size())));
  value.feed(part2);
  value.end();
  if (final_crlf) out.put(kCrlf);
}

}  // namespace

void canon_header(Canon canon, std::string_view raw_field, ByteSink& sink) noexcept {
  // §3.4.1/§3.4.2: every field ends in CRLF; the final line end is written fresh as CRLF.
  canon_field(canon, strip_line_end(raw_field), {}, true, sink);
}

void canon_signature_header(Canon canon, std::string_view raw_field, std::size_t b_begin,
                            std::size_t b_end, ByteSink& sink) noexcept {
  // §3.7: the b= value is treated as empty, and the field is hashed without its final CRLF.
  const std::string_view field = strip_line_end(raw_field);
  b_end = std::min(b_end, field.size());
  b_begin = std::min(b_begin, b_end);
  canon_field(canon, field.substr(0, b_begin), field.substr(b_end), false, sink);
}

// ---- Body (§3.4.3 simple, §3.4.4 relaxed) ----
//
// Both forms hold line ends back (pending_eols_) until text follows, which drops trailing empty
// lines however the body is chunked; finish() writes the last line's CRLF. A CR at the end of a
// chunk waits for the next chunk to say whether it starts a CRLF.

namespace {

constexpr std::size_t kDirectWrite = 4096;  // runs this long skip the copy into buffer_

// 64 CRLFs, for writing runs of held-back empty lines in a few pieces.
constexpr char kManyCrlf[] =
    "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n"
    "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n"
    "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n"
    "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n";

// The first byte in [p, end) where relaxed canonicalization has to look closer: LF, CR, HTAB,
// or an SP followed by WSP, CR or LF (or by the chunk's end). Text with single SPs between
// words is passed over 16 bytes at a time and reaches the sink unchanged. The vector loop may also
// stop at an SP, CR or LF next to another control byte (below SP); the caller then does the work
// the scan could have skipped, with the same output.
//
// A CRLF that ends a line of text (the byte before it is neither WSP nor a line end) is passed
// over too: its canonical form is itself, so a base64 attachment, one 76-byte line after another,
// is scanned without stopping at each line. The caller gives such a CRLF back to line_end() when
// the run stops right after it (the line end must wait for text to follow: trailing empty lines
// are dropped). Lanes look at p[-2] .. p[16], so the vector loop starts 2 bytes into the chunk.
const char* find_relaxed_special(const char* begin, const char* p, const char* end) noexcept {
  const char* vector_begin = end;  // where the vector loop started (end: it did not run)
#if defined(__SSE2__)
  const __m128i sp = _mm_set1_epi8(' ');
  const __m128i tab = _mm_set1_epi8('\t');
  const __m128i cr = _mm_set1_epi8('\r');
  const __m128i lf = _mm_set1_epi8('\n');
  const auto is = [](__m128i bytes, __m128i c) { return _mm_cmpeq_epi8(bytes, c); };
  // SP, HTAB, CR, LF, or another control byte: all are <= 0x20. One test, not four, and used only
  // for a byte's neighbours, where it decides whether a CRLF or an SP may be passed over: a
  // control byte there only stops the scan at a CR or SP that could have been passed, which the
  // caller handles as any other. The byte the scan stops at is always one of the four.
  const __m128i control_max = _mm_set1_epi8(0x20);
  const auto at_most_space = [&](__m128i bytes) { return _mm_cmpeq_epi8(_mm_min_epu8(bytes, control_max), bytes); };
  while (p - begin < 2 && p < end) {  // the first bytes, before two bytes of look-behind exist
    const char c = *p;
    if (c == '\n' || c == '\r' || c == '\t') return p;
    if (c == ' ' && (p + 1 == end || p[1] == ' ' || p[1] == '\t' || p[1] == '\r' || p[1] == '\n')) return p;
    ++p;
  }
  vector_begin = p;
  while (end - p >= 17) {  // lane 15 looks at p[16]
    const __m128i here = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // Most 16-byte blocks of a base64 part hold none of them: one test passes the block.
    if (_mm_movemask_epi8(at_most_space(here)) == 0) {
      p += 16;
      continue;
    }
    const __m128i next = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 1));
    const __m128i prev = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p - 1));
    const __m128i prev2 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p - 2));
    const __m128i here_cr = is(here, cr), here_lf = is(here, lf);
    // CR of "<text>\r\n", and LF of the same (text: the byte before is above SP).
    const __m128i pass_cr = _mm_andnot_si128(at_most_space(prev), _mm_and_si128(here_cr, is(next, lf)));
    const __m128i pass_lf = _mm_andnot_si128(at_most_space(prev2), _mm_and_si128(here_lf, is(prev, cr)));
    const __m128i line_ctl = _mm_or_si128(_mm_andnot_si128(pass_cr, here_cr), _mm_andnot_si128(pass_lf, here_lf));
    const __m128i special =
        _mm_or_si128(_mm_or_si128(line_ctl, is(here, tab)), _mm_and_si128(is(here, sp), at_most_space(next)));
    const int mask = _mm_movemask_epi8(special);
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#else
  (void)begin;
#endif
  // The vector loop may have passed a CR in its last lane whose LF is the tail's first byte: the
  // scan then stops at that CR (any other CR in the tail stops the scan itself).
  if (p > vector_begin && p < end && *p == '\n' && p[-1] == '\r') return p - 1;
  for (; p < end; ++p) {
    const char c = *p;
    if (c == '\n' || c == '\r' || c == '\t') return p;
    if (c == ' ' && (p + 1 == end || p[1] == ' ' || p[1] == '\t' || p[1] == '\r' || p[1] == '\n')) return p;
  }
  return end;
}

// The first LF in [p, end) that simple canonicalization has to look at: a bare LF, or the LF of
// an empty line (which may be trailing). The LF of "<byte>\r\n", a line with something on it, is
// passed over: its canonical form is itself. As for relaxed, the caller gives a CRLF passed over
// at the very end of the text back to line_end(). Lanes look at p[-2] .. p[15].
const char* find_simple_line_end(const char* begin, const char* p, const char* end) noexcept {
#if defined(__SSE2__)
  while (p - begin < 2 && p < end) {
    if (*p == '\n') return p;
    ++p;
  }
  const __m128i cr = _mm_set1_epi8('\r');
  const __m128i lf = _mm_set1_epi8('\n');
  while (end - p >= 16) {
    const __m128i here_lf = _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), lf);
    if (_mm_movemask_epi8(here_lf) == 0) {
      p += 16;
      continue;
    }
    const __m128i prev_cr = _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p - 1)), cr);
    const __m128i prev2_lf = _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p - 2)), lf);
    const __m128i pass = _mm_andnot_si128(prev2_lf, prev_cr);
    const int mask = _mm_movemask_epi8(_mm_andnot_si128(pass, here_lf));
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#else
  (void)begin;
#endif
  const void* lf_at = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
  return lf_at == nullptr ? end : static_cast<const char*>(lf_at);
}

}  // namespace

BodyCanonicalizer::BodyCanonicalizer(Canon canon, ByteSink& sink, std::optional<std::uint64_t> limit) noexcept
    : canon_(canon), sink_(sink), limit_(limit) {}

// Between feed() calls run_ and last_eol_ are empty (feed() clears them); the buffer must be too.
BodyCanonicalizer::BodyCanonicalizer(const BodyCanonicalizer& other, ByteSink& sink) noexcept
    : canon_(other.canon_),
      sink_(sink),
      limit_(other.limit_),
      total_(other.total_),
      emitted_(other.emitted_),
      pending_eols_(other.pending_eols_),
      pending_wsp_(other.pending_wsp_),
      pending_cr_(other.pending_cr_),
      any_content_(other.any_content_) {
  assert(other.buffered_ == 0 && other.run_size_ == 0);
}

void BodyCanonicalizer::feed(std::string_view chunk) noexcept {
  if (chunk.empty()) return;
  const char* p = chunk.data();
  const char* end = p + chunk.size();
  if (pending_cr_) {  // the CR that ended the last chunk: a line end only if LF follows
    pending_cr_ = false;
    if (*p == '\n') {
      line_end(nullptr, nullptr);
      ++p;
    } else {
      content(kCr);
    }
  }
  if (canon_ == Canon::simple) {
    feed_simple(p, end);
  } else {
    feed_relaxed(p, end);
  }
  flush_run();  // LIFETIME: nothing may point into chunk after this returns
  last_eol_ = {};
}

// §3.4.3: lines pass unchanged; only the line ends are held back (and bare LF becomes CRLF).
void BodyCanonicalizer::feed_simple(const char* p, const char* end) noexcept {
  const char* const begin = p;
  while (p < end) {
    const char* lf = find_simple_line_end(begin, p, end);
    if (lf == end) {
      const char* stop = end;
      if (stop[-1] == '\r') {
        pending_cr_ = true;
        --stop;
      }
      text_until(p, stop);
      return;
    }
    const char* stop = (lf > p && lf[-1] == '\r') ? lf - 1 : lf;
    text_until(p, stop);
    line_end(stop, lf + 1);
    p = lf + 1;
  }
}

// The text [text, stop) as content; a CRLF that the scan passed over at its very end is held back
// as a line end again (it may turn out to end the body, where it is not written).
void BodyCanonicalizer::text_until(const char* text, const char* stop) noexcept {
  if (stop - text >= 2 && stop[-1] == '\n' && stop[-2] == '\r') {
    if (stop - 2 > text) content(std::string_view(text, stop - 2 - text));
    line_end(stop - 2, stop);
  } else if (stop > text) {
    content(std::string_view(text, stop - text));
  }
}

// §3.4.4: one pass over the chunk. Text between special bytes goes out as is; a WSP run becomes
// one SP if text follows on the line, and is dropped before a line end. A WSP run or a CR cut
// by the chunk's end is held (pending_wsp_, pending_cr_) until the next chunk decides.
void BodyCanonicalizer::feed_relaxed(const char* p, const char* end) noexcept {
  if (pending_wsp_) {
    while (p < end && is_wsp(*p)) ++p;  // continues the run held from the last chunk
  }
  const char* const begin = p;
  const char* text = p;  // start of the bytes not yet passed to content()
  while (true) {
    const char* s = find_relaxed_special(begin, p, end);
    const bool lone_cr = s < end && *s == '\r' && s + 1 < end && s[1] != '\n';
    if (s > text && !lone_cr) {
      text_until(text, s);
      text = s;
    }
    if (s == end) return;
    if (*s == '\r') {
      if (s + 1 == end) {
        pending_cr_ = true;
        return;
      }
      if (s[1] != '\n') {  // a lone CR: an ordinary byte, left in the text
        p = s + 1;
        continue;
      }
      line_end(s, s + 2);
      p = text = s + 2;
      continue;
    }
    if (*s == '\n') {
      line_end(s, s + 1);
      p = text = s + 1;
      continue;
    }
    const char* r = s;  // a WSP run
    while (r < end && is_wsp(*r)) ++r;
    assert(r > s);  // find_relaxed_special stops only at SP, HTAB, CR or LF: else no progress
    // At a line end the run is dropped (line_end clears pending_wsp_); otherwise it is held.
    pending_wsp_ = true;
    p = text = r;
  }
}

void BodyCanonicalizer::content(std::string_view bytes) noexcept {
  if (pending_eols_ != 0) {
    if (pending_eols_ == 1 && !pending_wsp_ && !last_eol_.empty() && last_eol_.data() + 2 == bytes.data()) {
      bytes = std::string_view(last_eol_.data(), bytes.size() + 2);  // the input's own CRLF
    } else {
      emit_crlfs(pending_eols_);
    }
    pending_eols_ = 0;
  }
  if (pending_wsp_) {
    emit(kSpace);
    pending_wsp_ = false;
  }
  any_content_ = true;
  emit(bytes);
}

void BodyCanonicalizer::line_end(const char* eol_begin, const char* eol_end) noexcept {
  ++pending_eols_;
  pending_wsp_ = false;  // §3.4.4: WSP at the end of a line is dropped
  last_eol_ = (eol_end - eol_begin == 2) ? std::string_view(eol_begin, 2) : std::string_view{};
}

void BodyCanonicalizer::emit_crlfs(std::uint64_t count) noexcept {
  constexpr std::uint64_t kPerWrite = (sizeof(kManyCrlf) - 1) / 2;
  while (count != 0) {
    const std::uint64_t n = std::min(count, kPerWrite);
    emit(std::string_view(kManyCrlf, 2 * n));
    count -= n;
  }
}

// Every canonical byte passes here: counted in total_, cut at the l= limit, then appended to
// the current run when it is contiguous with it (the common case: unchanged input).
void BodyCanonicalizer::emit(std::string_view bytes) noexcept {
  total_ += bytes.size();
  if (limit_) {
    const std::uint64_t room = *limit_ > emitted_ ? *limit_ - emitted_ : 0;
    if (bytes.size() > room) bytes = bytes.substr(0, room);
  }
  if (bytes.empty()) return;
  emitted_ += bytes.size();
  if (run_size_ != 0 && run_ + run_size_ == bytes.data()) {
    run_size_ += bytes.size();
    return;
  }
  flush_run();
  run_ = bytes.data();
  run_size_ = bytes.size();
}

void BodyCanonicalizer::flush_run() noexcept {
  if (run_size_ == 0) return;
  if (run_size_ >= kDirectWrite) {
    flush();
    sink_.write(std::string_view(run_, run_size_));
  } else {
    if (buffered_ + run_size_ > buffer_.size()) flush();
    std::memcpy(buffer_.data() + buffered_, run_, run_size_);
    buffered_ += run_size_;
  }
  run_size_ = 0;
}

void BodyCanonicalizer::flush() noexcept {
  if (buffered_ != 0) sink_.write(std::string_view(buffer_.data(), buffered_));
  buffered_ = 0;
}

void BodyCanonicalizer::finish() noexcept {
  if (pending_cr_) {  // a CR at the very end is an ordinary byte
    pending_cr_ = false;
    content(kCr);
  }
  pending_wsp_ = false;  // §3.4.4: WSP at the end of the last line is dropped
  // §3.4.3: a body with text ends in exactly one CRLF, and an empty body is one CRLF.
  // §3.4.4 (errata 1384): a relaxed empty body stays empty.
  if (any_content_ || canon_ == Canon::simple) emit(kCrlf);
  flush_run();
  flush();
}

}  // namespace dkimscan::engine
