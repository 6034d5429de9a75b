// File: ingest/mbox_chunks.cpp
// Chunks handed out by offset, cut by the workers with pread() into their batch's arena.
#include "ingest/mbox_chunks.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "ingest/mbox_item.h"
#include "ingest/mbox_split.h"
#include "ingest/prefault.h"

namespace dkimscan::ingest {

namespace {

// What decides that a From_ line at a chunk's first byte starts a message: "\n\r\n" before it.
constexpr std::uint64_t kLookback = 3;
constexpr std::size_t kDetectBytes = 1u << 20;  // the prefix the variant is detected from
// Read this far past a chunk's end at first: the median message (6 KB) ends within it.
constexpr std::size_t kFirstTail = 16u << 10;
// Then on in steps of this size: the next chunk reads at most this much again.
constexpr std::size_t kReadStep = 64u << 10;
// A chunk's messages go into one pipeline batch, each with its result and its report line (about
// 1 KB in jsonl), so 1 MiB of 12-byte messages was 87,000 of them, and the batches in flight held
// 658 MB at -j2. Where samples of the file show small messages, chunks shrink to hold about
// kChunkMessages each (choose_chunk_bytes), but not below kMinChunkBytes.
constexpr std::size_t kChunkMessages = 1024;
constexpr std::size_t kMinChunkBytes = 16u << 10;
constexpr std::size_t kSamples = 16;
constexpr std::size_t kSampleBytes = 64u << 10;
// Where a From_ line may still start when the splitter asks for more: "\n\r\nFrom" at the end.
constexpr std::size_t kSearchMargin = 8;

// What the chunks of one file share. LIFETIME: each chunk item holds it (storage).
struct MboxChunkPlan {
  MboxChunkPlan() = default;
  MboxChunkPlan(const MboxChunkPlan&) = delete;
  MboxChunkPlan& operator=(const MboxChunkPlan&) = delete;
  ~MboxChunkPlan() {
    if (fd >= 0) ::close(fd);
  }

  std::string path;
  int fd = -1;                 // read with pread() by many workers at once
  std::uint64_t size = 0;      // the file's size when opened: what is read
  std::uint64_t chunk_bytes = 1;
  MboxFormat format = MboxFormat::mboxo;
  IngestOptions options;       // defer_reads off: the worker that cuts also un-quotes and checks
  ReadAtFn read_at;            // pread(), or a test's stand-in
  // What the worker that cut a message running on through later chunks learned about them, one
  // entry per chunk: 0, nothing; kNoMessageHere, no message starts in it; p + 1, the first starts at
  // p. Facts about the file's bytes, so order does not matter: a chunk's worker that finds its
  // entry set reads from p, or nothing at all, instead of reading the whole chunk only to find
  // it inside a large message (19% of the default corpus's bytes are in messages over 1 MiB).
  std::unique_ptr<std::atomic<std::uint64_t>[]> first_message;
};

constexpr std::uint64_t kNoMessageHere = ~std::uint64_t{0};

// No message starts in [clear_from, clear_to) of the file; with found, one starts at clear_to.
// Records it for the chunks that begin inside that range.
void learn_from_search(const MboxChunkPlan& plan, std::uint64_t clear_from, std::uint64_t clear_to, bool found) {
  const std::uint64_t c = plan.chunk_bytes;
  for (std::uint64_t j = (clear_from + c - 1) / c; j * c < clear_to && j * c < plan.size; ++j) {
    const std::uint64_t chunk_end = std::min((j + 1) * c, plan.size);
    if (chunk_end <= clear_to) {
      plan.first_message[j].store(kNoMessageHere, std::memory_order_relaxed);
    } else if (found) {
      plan.first_message[j].store(clear_to + 1, std::memory_order_relaxed);
    }
  }
}

long pread_retrying(int fd, char* out, std::size_t n, std::uint64_t offset) {
  ssize_t got;
  do {
    got = ::pread(fd, out, n, static_cast<off_t>(offset));
  } while (got < 0 && errno == EINTR);
  return static_cast<long>(got);
}

// Reads until n bytes, the file's end or an error: the count read, with err the errno of an
// error (0: none). The bytes before an error count: the messages in them are cut as usual.
std::size_t read_fully(const ReadAtFn& read_at, int fd, char* out, std::size_t n, std::uint64_t offset,
                       int& err) {
  std::size_t done = 0;
  err = 0;
  while (done < n) {
    const long got = read_at(fd, out + done, n - done, offset + done);
    if (got < 0) {
      err = errno != 0 ? errno : EIO;
      break;
    }
    if (got == 0) break;
    done += static_cast<std::size_t>(got);
  }
  return done;
}

class ChunkSource final : public MessageSource {
 public:
  explicit ChunkSource(std::shared_ptr<const MboxChunkPlan> plan) : plan_(std::move(plan)) {}

  bool next(InputMessage& out) override {
    if (at_ >= plan_->size) return false;
    out = InputMessage{};
    out.source = plan_->path;
    out.offset = at_;
    out.deferred = out.mbox_chunk = true;
    out.deferred_size = std::min(plan_->chunk_bytes, plan_->size - at_);
    out.storage = plan_;
    at_ += out.deferred_size;
    return true;
  }

 private:
  std::shared_ptr<const MboxChunkPlan> plan_;
  std::uint64_t at_ = 0;
};

// The file's bytes from start() on, read as far as the cutting needs them: in steps, so that
// what is read past a chunk's last message (which the next chunk reads again) stays small. The
// chunk and a little room go into the arena, reused round after round. A last message that
// outgrows the room moves to a buffer of its own, which grows by doubling (the one before is freed
// at once: no other message points into it) and is freed with its item: memory stays what the
// messages in flight need, as with the stream reader.
class ChunkWindow {
 public:
  ChunkWindow(const MboxChunkPlan& plan, std::uint64_t start, ByteArena& arena) noexcept
      : plan_(plan), start_(start), arena_(arena) {}

  // The chunk [start(), chunk_end) and room bytes past it, read up to file offset until. false: a
  // read error (error()); what was read before it is in view.
  bool read_first(std::uint64_t chunk_end, std::uint64_t until, std::size_t room) {
    const std::span<char> buffer = arena_.take_large(static_cast<std::size_t>(chunk_end - start_) + room);
    data_ = buffer.data();
    capacity_ = buffer.size();
    return read_to(until);
  }

  // Reads on up to file offset until (never past its planned size) for the message whose From_
  // line is at window position at, the chunk's last: when that needs more than the room left, it
  // moves (alone) to a buffer of its own, and positions move by at. false: a read error (error()).
  bool read_on(std::uint64_t until, std::size_t at) {
    until = std::min(until, plan_.size);
    const std::size_t want = static_cast<std::size_t>(until - start_);
    if (want > capacity_) {
      const std::size_t kept = size_ - at;
      const std::size_t capacity = std::max(2 * kept, want - at);
      auto own = std::make_shared_for_overwrite<char[]>(capacity);
      prefault_for_write(own.get(), want - at);  // what the next read writes, not the rest
      std::memcpy(own.get(), data_ + at, kept);
      data_ = own.get();
      capacity_ = capacity;
      own_ = std::move(own);  // the last buffer of its own, if any, is freed here
      start_ += at;
      size_ = kept;
    }
    return read_to(until);
  }

  std::string_view view() const noexcept { return {data_, size_}; }
  char* data() const noexcept { return data_; }
  // What keeps the bytes alive: empty for the arena (LIFETIME: until its reset()).
  const std::shared_ptr<const void>& storage() const noexcept { return own_; }
  std::uint64_t start() const noexcept { return start_; }
  bool at_eof() const noexcept { return shrunk_ || start_ + size_ >= plan_.size; }
  // The file ended before its planned size: it shrank after it was opened.
  bool shrunk() const noexcept { return shrunk_; }
  // The errno of a failed read (0: none), and where it failed: the view ends there. A failed read
  // is not tried again, so every later read_on() fails too.
  int error() const noexcept { return error_; }
  std::uint64_t error_offset() const noexcept { return start_ + size_; }

 private:
  bool read_to(std::uint64_t until) {
    until = std::min(until, plan_.size);
    if (error_ != 0) return false;
    if (shrunk_ || start_ + size_ >= until) return true;
    const std::size_t target = static_cast<std::size_t>(until - start_);
    size_ += read_fully(plan_.read_at, plan_.fd, data_ + size_, target - size_, start_ + size_, error_);
    if (error_ != 0) return false;
    shrunk_ = size_ < target;
    return true;
  }

  const MboxChunkPlan& plan_;
  std::uint64_t start_;
  ByteArena& arena_;
  char* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
  std::shared_ptr<const void> own_;
  bool shrunk_ = false;
  int error_ = 0;
};

// Reads on for the message whose From_ line starts at window[at] and whose end is not in view:
// kReadStep more, or as much as the message has in view if that is more, but no further than
// certainly_too_large() needs to decide. Each step searches the message from its From_ line again,
// so steps that double it keep a long message (or a From_ line without an end) linear in time; in
// fixed steps, a 270 MB From_ line took 78 s.
bool read_further(ChunkWindow& window, std::size_t at, const IngestOptions& options) {
  const std::string_view view = window.view();
  const std::size_t step = std::max(kReadStep, view.size() - at);
  const std::size_t until = std::min(view.size() + step, too_large_known_at(view, at, options));
  return window.read_on(window.start() + until, at);
}

std::string path_with_room_for_number(const std::string& path) {
  std::string source;
  source.reserve(path.size() + 21);  // "#" and 20 digits: the namer's append allocates nothing
  source.assign(path);
  return source;
}

// offset: the From_ line of the message the error broke in, or where reading failed. chunk_end:
// the messages that start before it are this chunk's; the next chunk is read anew.
void read_error_item(InputMessage& item, const std::string& path, std::uint64_t offset, std::uint64_t chunk_end,
                     const ChunkWindow& window) {
  item = InputMessage{};
  item.source = path;
  item.offset = offset;
  item.error = IngestError::unreadable;
  item.error_detail = "reading at byte " + std::to_string(window.error_offset()) + ": " + std::strerror(window.error());
  if (window.error_offset() < chunk_end) {
    item.error_detail += "; messages that start from byte " + std::to_string(offset) + " to byte " +
                         std::to_string(chunk_end) + " are not read";
  } else {
    item.error_detail += "; the message that starts at byte " + std::to_string(offset) + " is not read whole";
  }
  item.count_lost = true;
}

void too_large_item(InputMessage& item, const MboxChunkPlan& plan, const ChunkWindow& window, std::size_t at) {
  item = InputMessage{};
  item.source = path_with_room_for_number(plan.path);
  item.container = container_of(plan.format);
  item.offset = window.start() + too_large_offset(window.view(), at, plan.options);
  item.error = IngestError::too_large;
  item.error_detail = mbox_too_large_detail(plan.options);
  item.name_pending = true;
}

void message_item(InputMessage& item, const MboxChunkPlan& plan, const ChunkWindow& window, std::size_t at,
                  const MboxCut& cut) {
  fill_mbox_item(item, path_with_room_for_number(plan.path), window.start() + cut.begin, window.view(), at,
                 cut, window.storage(), window.data(), plan.options, plan.format);
  item.name_pending = true;
  if (window.shrunk() && cut.next == window.view().size() && item.error == IngestError::none) {
    item.error = IngestError::truncated;
    item.error_detail = "the file ended at byte " + std::to_string(window.start() + window.view().size()) +
                        "; it had " + std::to_string(plan.size) + " bytes when it was opened";
  }
}

// Appends the messages whose From_ lines lie in [first, last) of the file, as they are cut: a
// message is final (un-quoted in place, checked) before the window moves on. true: it stopped at a
// read error, which it reported.
bool cut_messages(const MboxChunkPlan& plan, ChunkWindow& window, std::uint64_t first, std::uint64_t last,
                  std::vector<InputMessage>& out) {
  std::size_t at = first == 0 ? 0 : find_from_line(window.view(), static_cast<std::size_t>(first - window.start()));
  MboxSplitter splitter(plan.format);
  while (at != kNoPos && window.start() + at < last && at < window.view().size()) {
    MboxCut cut;
    const CutStatus status = splitter.cut(window.view(), at, window.at_eof(), cut);
    if (status == CutStatus::end) return false;  // only past the end of a file that shrank
    if (status == CutStatus::message) {
      message_item(out.emplace_back(), plan, window, at, cut);
      if (window.start() + cut.next > last && !window.shrunk()) {  // it ran on into the next chunks
        learn_from_search(plan, window.start() + cut.begin, window.start() + cut.next, cut.next < window.view().size());
      }
      at = cut.next;
      continue;
    }
    // The splitter searched the text for a From_ line up to a few bytes before the window's end.
    const std::size_t text = too_large_offset(window.view(), at, plan.options);
    if (window.view().size() > text + kSearchMargin && !window.shrunk()) {
      learn_from_search(plan, window.start() + text, window.start() + window.view().size() - kSearchMargin, false);
    }
    if (certainly_too_large(window.view(), at, plan.options)) {
      too_large_item(out.emplace_back(), plan, window, at);
      return false;
    }
    const std::uint64_t from_line = window.start() + at;
    const std::uint64_t seen = window.start() + window.view().size();
    // A read that fails after it read more: the message may end before the error. Cut it first.
    if (!read_further(window, at, plan.options) && window.start() + window.view().size() == seen) {
      read_error_item(out.emplace_back(), plan.path, from_line, last, window);
      return true;
    }
    // The splitter resumes its search where it stopped: it counts from the From_ line.
    at = static_cast<std::size_t>(from_line - window.start());
  }
  return false;
}

// The chunk size for plan's file: largest, or less where the densest of kSamples samples spread
// over the file holds more "\nFrom " lines than kChunkMessages per largest bytes. The count is an
// upper bound on the messages there (a From_ line also needs an empty line before it), so a
// chunk is at worst smaller than it had to be. Samples, not the whole file: this runs on the
// serial reader, before any message is read. A file whose tiny messages lie only between the
// samples keeps the large chunks, and the memory that costs (README.md, Memory).
std::uint64_t choose_chunk_bytes(const MboxChunkPlan& plan, std::uint64_t largest) {
  if (largest <= kMinChunkBytes) return largest;
  std::string sample(kSampleBytes, '\0');
  std::uint64_t chunk = largest;
  for (std::size_t i = 0; i < kSamples; ++i) {
    const std::uint64_t offset = plan.size * i / kSamples;
    int err = 0;  // a read error is the business of the chunk that meets it
    const std::size_t got = read_fully(plan.read_at, plan.fd, sample.data(), sample.size(), offset, err);
    const std::string_view text(sample.data(), got);
    std::size_t lines = 0;
    for (std::size_t at = text.find("\nFrom "); at != std::string_view::npos; at = text.find("\nFrom ", at + 1)) ++lines;
    // The bytes that hold kChunkMessages at this sample's density (of the bytes it got).
    if (lines != 0) chunk = std::min<std::uint64_t>(chunk, std::uint64_t{kChunkMessages} * got / lines);
  }
  return std::max<std::uint64_t>(chunk, kMinChunkBytes);
}

}  // namespace

std::unique_ptr<MessageSource> open_mbox_chunks(const std::string& path, const IngestOptions& options,
                                                ReadAtFn read_at) {
  auto plan = std::make_shared<MboxChunkPlan>();
  plan->read_at = read_at ? std::move(read_at) : ReadAtFn(pread_retrying);
  plan->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (plan->fd < 0 || ::fstat(plan->fd, &st) != 0 || !S_ISREG(st.st_mode)) return nullptr;
  plan->path = path;
  plan->size = static_cast<std::uint64_t>(st.st_size);
  std::string prefix(static_cast<std::size_t>(std::min<std::uint64_t>(plan->size, kDetectBytes)), '\0');
  // A read error here leaves the variant to what was read before it, and the chunk it lies in
  // reports it; the stream reader would end the archive there.
  int err = 0;
  prefix.resize(read_fully(plan->read_at, plan->fd, prefix.data(), prefix.size(), 0, err));
  if (err != 0 && prefix.empty()) return nullptr;
  plan->format = mbox_format_for(options, prefix, err == 0 && prefix.size() == plan->size);
  if (plan->format == MboxFormat::mboxcl || plan->format == MboxFormat::mboxcl2) return nullptr;
  plan->chunk_bytes = choose_chunk_bytes(*plan, std::max<std::uint64_t>(options.stream_block_bytes, 1));
  const std::uint64_t chunks = (plan->size + plan->chunk_bytes - 1) / plan->chunk_bytes;
  plan->first_message = std::make_unique<std::atomic<std::uint64_t>[]>(chunks);  // zeroed: nothing known
  plan->options = options;
  plan->options.defer_reads = false;
  // The workers read roughly front to back: ask the kernel to read ahead further.
  (void)::posix_fadvise(plan->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::make_unique<ChunkSource>(std::move(plan));
}

void cut_mbox_chunk(const InputMessage& chunk, std::vector<InputMessage>& out, ByteArena& arena) {
  const auto& plan = *static_cast<const MboxChunkPlan*>(chunk.storage.get());
  std::uint64_t first = chunk.offset;
  const std::uint64_t last = chunk.offset + chunk.deferred_size;
  const std::uint64_t known = plan.first_message[first / plan.chunk_bytes].load(std::memory_order_relaxed);
  if (known == kNoMessageHere) return;  // inside a message that an earlier chunk's worker cut
  if (known != 0) first = known - 1;    // where the first message starts
  const std::size_t out_begin = out.size();
  ChunkWindow window(plan, first - std::min(first, kLookback), arena);
  // Room past the chunk's end, where its last message is read without a copy: a quarter chunk.
  const std::size_t room = std::max<std::size_t>(kFirstTail, chunk.deferred_size / 4);
  (void)window.read_first(last, last + kFirstTail, room);  // a read error: what came before is cut
  const bool reported = cut_messages(plan, window, first, last, out);
  // An error that the cutting did not run into: unless it lies past the chunk (the next chunk's
  // worker meets it there), the chunk's messages from there on are lost.
  if (window.error() != 0 && !reported && window.error_offset() < last) {
    read_error_item(out.emplace_back(), plan.path, window.error_offset(), last, window);
  }
  if (chunk.offset == 0 && out.size() > out_begin) out[out_begin].archive_start = true;
}

void MboxNamer::name(InputMessage& item) {
  if (item.archive_start) {
    next_ = base_;
    count_lost_ = false;
  }
  if (item.count_lost) count_lost_ = true;
  if (!item.name_pending) return;
  item.name_pending = false;
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, count_lost_ ? item.offset : next_++);
  (void)ec;  // 24 chars hold any uint64_t
  item.source.append(1, count_lost_ ? '@' : '#').append(digits, end);
}

}  // namespace dkimscan::ingest
