// File: dns_resolver.cpp
// The c-ares channel owner thread: drain the queue (at most max_in_flight queries at c-ares), poll
// the channel's sockets and an eventfd, let c-ares process them, then map each finished query to a
// DnsAnswer (RFC 6376 §6.1.2) outside the c-ares callback. Socket functions record which server a
// socket talks to, so that an answer names its server (c-ares 1.18 does not say). An answer that
// stops at a CNAME (an authoritative server's answer for a name delegated into another zone) is
// followed with a query for the target, as a recursive resolver would have done.
#include "cache/dns_resolver.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "cache/dns_answer.h"

namespace dkimscan::cache {

namespace {

struct Query;

constexpr int kUdpReceiveBuffer = 4 << 20;
constexpr int kMaxCnameLinks = 8;  // across the queries of one lookup; more is a loop

struct Finished {
  Query* query;
  int status;
  int timeouts;
  std::vector<std::uint8_t> message;
  std::string server;
};

}  // namespace

struct DnsResolver::Channel {
  ares_channel ares = nullptr;
  std::unordered_map<int, std::string> peers;  // socket → "HOST:PORT" it is connected to
  int last_read = -1;                          // the socket c-ares read from last
  std::deque<Request> pending;                 // waiting for a free in-flight slot
  std::deque<Query*> chasing;                  // CNAME targets to ask for: sent before pending
  std::vector<Finished> finished;              // filled by the c-ares callback
  int in_flight = 0;
  int max_in_flight = 256;
};

namespace {

struct Query {
  std::string name;  // what is asked now: the lookup's name, or a CNAME target on the way from it
  DnsCallback done;
  DnsResolver::Channel* channel;
  int cname_links = 0;  // followed so far
  std::optional<std::uint32_t> cname_ttl;  // the smallest TTL of those links
  bool chased = false;  // name is a CNAME target that an earlier answer left out
};

std::string format_peer(const sockaddr* addr) {
  char host[INET6_ADDRSTRLEN] = "?";
  if (addr->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (addr->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    return "[" + std::string(host) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  return host;
}

// c-ares socket functions: plain syscalls, plus the socket → server map.
// c-ares 1.18 leaves sockets it did not open itself in the mode they come in: they must be
// non-blocking, or a read with nothing to read blocks the resolver thread.
// A UDP socket gets a large receive buffer: hundreds of answers can arrive in one burst, and the
// default (about 270 datagrams) drops the rest, which c-ares then has to ask again after a timeout.
ares_socket_t sock_open(int domain, int type, int protocol, void*) {
  const int fd = ::socket(domain, type | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
  if (fd >= 0 && type == SOCK_DGRAM) {
    const int bytes = kUdpReceiveBuffer;  // the kernel caps it at net.core.rmem_max
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  }
  return fd;
}
int sock_close(ares_socket_t fd, void* channel) {
  static_cast<DnsResolver::Channel*>(channel)->peers.erase(fd);
  return ::close(fd);
}
int sock_connect(ares_socket_t fd, const sockaddr* addr, ares_socklen_t len, void* channel) {
  try {
    static_cast<DnsResolver::Channel*>(channel)->peers[fd] = format_peer(addr);
  } catch (...) {  // std::bad_alloc: the answer will name no server
  }
  return ::connect(fd, addr, len);
}
ares_ssize_t sock_recvfrom(ares_socket_t fd, void* buf, size_t len, int flags, sockaddr* from,
                           ares_socklen_t* from_len, void* channel) {
  static_cast<DnsResolver::Channel*>(channel)->last_read = fd;
  return ::recvfrom(fd, buf, len, flags, from, from_len);
}
ares_ssize_t sock_sendv(ares_socket_t fd, const iovec* iov, int count, void*) {
  msghdr msg{};
  msg.msg_iov = const_cast<iovec*>(iov);
  msg.msg_iovlen = static_cast<std::size_t>(count);
  return ::sendmsg(fd, &msg, MSG_NOSIGNAL);  // a closed TCP peer must not raise SIGPIPE
}
const ares_socket_functions kSocketFunctions = {sock_open, sock_close, sock_connect, sock_recvfrom,
                                                sock_sendv};

// The c-ares callback runs inside ares_process_fd(): only copy what came back.
void on_answer(void* arg, int status, int timeouts, unsigned char* abuf, int alen) noexcept {
  auto* query = static_cast<Query*>(arg);
  DnsResolver::Channel& channel = *query->channel;
  try {
    Finished done{query, status, timeouts, {}, {}};
    if (abuf != nullptr && alen > 0) done.message.assign(abuf, abuf + alen);
    const bool from_server = status == ARES_SUCCESS || status == ARES_ENODATA ||
                             status == ARES_ENOTFOUND || status == ARES_ESERVFAIL ||
                             status == ARES_EREFUSED;
    if (from_server) {
      const auto peer = channel.peers.find(channel.last_read);
      if (peer != channel.peers.end()) done.server = peer->second;
    }
    channel.finished.push_back(std::move(done));
  } catch (...) {  // std::bad_alloc: answer now, without the bytes
    DnsAnswer answer;
    answer.lookup = engine::Reason::key_dns_servfail;
    answer.outcome = DnsOutcome::network;
    answer.detail = "out of memory";  // fits the small-string buffer: no allocation
    query->done(std::move(answer));
    --channel.in_flight;
    delete query;
  }
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

DnsAnswer failure(engine::Reason reason, DnsOutcome outcome, std::string detail) {
  DnsAnswer answer;
  answer.lookup = reason;
  answer.outcome = outcome;
  answer.detail = std::move(detail);
  return answer;
}

// A NOERROR answer: TXT records, or NODATA when there are none (RFC 6376 §6.1.2 step 2).
// parsed is null when the server's message is missing or malformed; its records are moved out.
DnsAnswer answer_from_message(TxtAnswer* parsed, int status) {
  if (parsed == nullptr && status == ARES_SUCCESS) {
    return failure(engine::Reason::key_dns_servfail, DnsOutcome::network, "malformed DNS answer");
  }
  if (status == ARES_ENOTFOUND) {
    DnsAnswer answer = failure(engine::Reason::key_not_found, DnsOutcome::nxdomain, "NXDOMAIN");
    if (parsed != nullptr) answer.ttl = parsed->negative_ttl;  // RFC 2308 §5
    return answer;
  }
  if (parsed == nullptr || parsed->txt.empty()) {
    DnsAnswer answer =
        failure(engine::Reason::key_not_found, DnsOutcome::nodata, "NODATA (no TXT record)");
    if (parsed != nullptr) answer.ttl = parsed->negative_ttl;  // RFC 2308 §5
    return answer;
  }
  DnsAnswer answer;
  answer.txt = std::move(parsed->txt);
  answer.ttl = parsed->ttl;
  return answer;
}

// RFC 6376 §6.1.2: no key (NXDOMAIN, NODATA) is a permerror; a server or network failure that
// may pass is a temperror (key_dns_servfail / key_dns_timeout).
DnsAnswer map_status(int status, int timeouts, TxtAnswer* parsed) {
  using engine::Reason;
  switch (status) {
    case ARES_SUCCESS:
    case ARES_ENODATA:
    case ARES_ENOTFOUND:
      return answer_from_message(parsed, status);
    case ARES_ESERVFAIL:
      return failure(Reason::key_dns_servfail, DnsOutcome::servfail, "SERVFAIL");
    case ARES_EREFUSED:
      return failure(Reason::key_dns_servfail, DnsOutcome::refused, "REFUSED");
    case ARES_ETIMEOUT:
      return failure(Reason::key_dns_timeout, DnsOutcome::timeout,
                     "DNS timeout (" + std::to_string(timeouts) + (timeouts == 1 ? " try)" : " tries)"));
    case ARES_ECONNREFUSED:
      return failure(Reason::key_dns_servfail, DnsOutcome::network, "connection refused");
    case ARES_EBADNAME:
      return failure(Reason::key_not_found, DnsOutcome::nxdomain, "name cannot be queried");
    case ARES_ECANCELLED:
    case ARES_EDESTRUCTION:
      return failure(Reason::key_dns_servfail, DnsOutcome::network, "resolver stopped");
    default:
      return failure(Reason::key_dns_servfail, DnsOutcome::network, ares_strerror(status));
  }
}

void start_pending(DnsResolver::Channel& channel, std::atomic<std::uint64_t>& sent) {
  while (channel.in_flight < channel.max_in_flight && !channel.chasing.empty()) {
    Query* query = channel.chasing.front();
    channel.chasing.pop_front();
    ++channel.in_flight;
    sent.fetch_add(1, std::memory_order_relaxed);
    ares_query(channel.ares, query->name.c_str(), ns_c_in, ns_t_txt, on_answer, query);
  }
  while (channel.in_flight < channel.max_in_flight && !channel.pending.empty()) {
    DnsResolver::Request& next = channel.pending.front();
    auto* query = new Query{std::move(next.name), std::move(next.done), &channel};
    channel.pending.pop_front();
    ++channel.in_flight;
    sent.fetch_add(1, std::memory_order_relaxed);
    ares_query(channel.ares, query->name.c_str(), ns_c_in, ns_t_txt, on_answer,
               query);
  }
}

}  // namespace

namespace {

void take_min(std::optional<std::uint32_t>& into, std::optional<std::uint32_t> value) noexcept {
  if (value) into = into ? std::min(*into, *value) : *value;
}

// What the server's message says, when there is one to read.
TxtAnswer* parse_message(const Finished& done, TxtAnswer& parsed) {
  const bool readable = done.status == ARES_SUCCESS || done.status == ARES_ENODATA || done.status == ARES_ENOTFOUND;
  return readable && !done.message.empty() && parse_txt_answer(done.message, parsed) ? &parsed : nullptr;
}

// Frees the in-flight slots and sends the next queries first, then runs the callbacks: their work
// (parsing keys, waking waiters) overlaps the next round trip instead of delaying it.
void deliver_finished(DnsResolver::Channel& channel, std::atomic<std::uint64_t>& sent) {
  std::vector<Finished> finished;
  finished.swap(channel.finished);
  channel.in_flight -= static_cast<int>(finished.size());
  start_pending(channel, sent);
  bool chased = false;
  for (Finished& done : finished) {
    std::unique_ptr<Query> query(done.query);
    TxtAnswer parsed;
    TxtAnswer* message = parse_message(done, parsed);
    DnsAnswer answer;
    if (message != nullptr) {  // the links of this answer count with those followed before it
      query->cname_links += message->cname_links;
      take_min(query->cname_ttl, message->cname_ttl);
    }
    if (query->cname_links > kMaxCnameLinks) {
      answer = failure(engine::Reason::key_not_found, DnsOutcome::nodata,
                       "CNAME chain longer than " + std::to_string(kMaxCnameLinks) + " links (a loop?)");
    } else if (message != nullptr && !message->unanswered_target.empty()) {
      // The answer stops at a CNAME: ask for its target.
      query->name = message->unanswered_target;
      query->chased = true;
      channel.chasing.push_back(query.release());
      chased = true;
      continue;
    } else {
      answer = map_status(done.status, done.timeouts, message);
      // After a chase, a failure says where it happened.
      if (query->chased && answer.lookup != engine::Reason::ok) answer.detail += " at CNAME target " + query->name;
    }
    if (answer.ttl) take_min(answer.ttl, query->cname_ttl);  // a key holds no longer than the links to it
    answer.queried = unix_now();
    answer.server = std::move(done.server);
    try {
      query->done(std::move(answer));
    } catch (...) {  // a callback must not throw; nothing sensible to do on this thread
    }
  }
  if (chased) start_pending(channel, sent);
}

// One round of waiting: the channel's sockets and the wake-up eventfd, at most until the next
// c-ares timeout (and at most 1 s, the gRPC backup tick).
void poll_once(DnsResolver::Channel& channel, int wake_fd) {
  ares_socket_t socks[ARES_GETSOCK_MAXNUM];
  const int bits = ares_getsock(channel.ares, socks, ARES_GETSOCK_MAXNUM);
  pollfd fds[ARES_GETSOCK_MAXNUM + 1];
  nfds_t count = 0;
  fds[count++] = pollfd{wake_fd, POLLIN, 0};
  for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
    short events = 0;
    if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
    if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
    if (events != 0) fds[count++] = pollfd{socks[i], events, 0};
  }
  timeval max_wait{1, 0};
  timeval wait{};
  const timeval* next = ares_timeout(channel.ares, &max_wait, &wait);
  const int timeout_ms = static_cast<int>(next->tv_sec * 1000 + (next->tv_usec + 999) / 1000);
  const int ready = ::poll(fds, count, timeout_ms);
  if (ready > 0 && (fds[0].revents & POLLIN) != 0) {
    std::uint64_t drained = 0;
    [[maybe_unused]] const auto n = ::read(wake_fd, &drained, sizeof drained);
  }
  bool processed = false;
  for (nfds_t i = 1; ready > 0 && i < count; ++i) {
    if (fds[i].revents == 0) continue;
    const bool readable = (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) != 0;
    const bool writable = (fds[i].revents & POLLOUT) != 0;
    ares_process_fd(channel.ares, readable ? fds[i].fd : ARES_SOCKET_BAD,
                    writable ? fds[i].fd : ARES_SOCKET_BAD);
    processed = true;
  }
  if (!processed) ares_process_fd(channel.ares, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timeouts
}

ares_channel make_channel(const DnsOptions& options, DnsResolver::Channel* owner) {
  static const int library = ares_library_init(ARES_LIB_INIT_ALL);
  if (library != ARES_SUCCESS) throw std::runtime_error("c-ares: " + std::string(ares_strerror(library)));
  ares_options opts{};
  int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS;
  opts.timeout = static_cast<int>(options.timeout.count());
  opts.tries = options.tries;
  // NOCHECKRESP: a SERVFAIL/REFUSED answer comes to us as such. Without it c-ares 1.18 retries it
  // and, once the tries are spent, reports ECONNREFUSED (its initial error status), which would
  // hide what the server said. The cache retries a temporary failure after tempfail_ttl instead.
  opts.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOCHECKRESP;
  if (options.edns_payload > 0) {
    opts.flags |= ARES_FLAG_EDNS;
    opts.ednspsz = options.edns_payload;
    mask |= ARES_OPT_EDNSPSZ;
  }
  ares_channel channel = nullptr;
  const int rc = ares_init_options(&channel, &opts, mask);
  if (rc != ARES_SUCCESS) throw std::runtime_error("c-ares: " + std::string(ares_strerror(rc)));
  ares_set_socket_functions(channel, &kSocketFunctions, owner);
  if (!options.servers.empty()) {
    const int set = ares_set_servers_ports_csv(channel, options.servers.c_str());
    if (set != ARES_SUCCESS) {
      ares_destroy(channel);
      throw std::runtime_error("--dns '" + options.servers + "': " + ares_strerror(set) +
                               " (expected IP[:PORT],... with IPv6 as [ADDR]:PORT)");
    }
  }
  return channel;
}

}  // namespace

DnsResolver::DnsResolver(const DnsOptions& options) : channel_(std::make_unique<Channel>()) {
  if (options.max_in_flight < 1) throw std::runtime_error("the DNS in-flight limit must be at least 1");
  channel_->max_in_flight = options.max_in_flight;
  channel_->ares = make_channel(options, channel_.get());
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    ares_destroy(channel_->ares);
    throw std::runtime_error("eventfd failed");
  }
  thread_ = std::thread([this] { run(); });
}

DnsResolver::~DnsResolver() {
  stop();
  ares_destroy(channel_->ares);
  ::close(wake_fd_);
}

void DnsResolver::stop() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  wake();
  if (thread_.joinable()) thread_.join();
}

void DnsResolver::wake() noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(wake_fd_, &one, sizeof one);
}

void DnsResolver::resolve(std::string name, DnsCallback done) {
  bool first = false;
  {
    std::lock_guard lock(queue_mutex_);
    if (!stopping_) {
      queue_.push_back(Request{std::move(name), std::move(done)});
      // Only the first queued request wakes the thread; later ones ride on that wake-up.
      first = queue_.size() == 1;
      if (!first) return;
    }
  }
  if (first) {
    wake();
    return;
  }
  done(failure(engine::Reason::key_dns_servfail, DnsOutcome::network, "resolver stopped"));
}

void DnsResolver::run() noexcept {
  Channel& channel = *channel_;
  std::vector<Request> incoming;
  while (true) {
    bool stopping = false;
    {
      std::lock_guard lock(queue_mutex_);
      incoming.swap(queue_);
      stopping = stopping_;
    }
    for (Request& request : incoming) channel.pending.push_back(std::move(request));
    incoming.clear();
    if (stopping) break;
    start_pending(channel, sent_);
    deliver_finished(channel, sent_);  // answers c-ares gave synchronously (a bad name)
    poll_once(channel, wake_fd_);
    deliver_finished(channel, sent_);
  }
  // Stopping: queries never sent and queries in flight complete as "resolver stopped".
  for (Request& request : channel.pending) {
    request.done(failure(engine::Reason::key_dns_servfail, DnsOutcome::network, "resolver stopped"));
  }
  channel.pending.clear();
  for (Query* query : channel.chasing) {
    std::unique_ptr<Query> owned(query);
    owned->done(failure(engine::Reason::key_dns_servfail, DnsOutcome::network, "resolver stopped"));
  }
  channel.chasing.clear();
  ares_cancel(channel.ares);
  deliver_finished(channel, sent_);
}

}  // namespace dkimscan::cache
