// File: dns_responder.h
// A fault-injecting DNS server on 127.0.0.1 for the cache tests and the DNS benchmark (header-only
// so bench/ can use it): UDP and TCP on one port, answers chosen per name by a handler (TXT records
// with any string split, NXDOMAIN/NODATA with an SOA, SERVFAIL, REFUSED, silence, garbage, TC on
// UDP, any of them behind a CNAME chain), each optionally delayed without blocking other answers.
// Counts what it was asked.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace dkimscan::cache::testing {

struct Reply {
  enum class Kind { txt, nxdomain, nodata, servfail, refused, silent, garbage, bad_rdata };
  Kind kind = Kind::txt;
  std::vector<std::vector<std::string>> records;  // txt: each record is a list of strings
  std::uint32_t ttl = 300;
  bool with_soa = true;             // nxdomain/nodata: an SOA in the authority section
  std::uint32_t soa_ttl = 900;
  std::uint32_t soa_minimum = 120;  // RFC 2308 §5: negative TTL = min(soa_ttl, soa_minimum)
  bool truncate_udp = false;        // UDP gets TC=1 and no records; TCP gets the full answer
  std::chrono::milliseconds delay{0};
  // CNAME records first: the question name → cnames[0] → cnames[1] ...; the TXT records (or the
  // NODATA/NXDOMAIN) are then those of the last name, as a server that knows the whole chain
  // answers. A server answering a CNAME into a zone it does not serve sends kind nodata with
  // with_soa false.
  std::vector<std::string> cnames;
};

using Bytes = std::vector<std::uint8_t>;

inline void put16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
inline void put32(Bytes& out, std::uint32_t v) {
  put16(out, static_cast<std::uint16_t>(v >> 16));
  put16(out, static_cast<std::uint16_t>(v));
}
inline void put_name(Bytes& out, const std::string& name) {
  std::size_t start = 0;
  while (start < name.size()) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    out.push_back(static_cast<std::uint8_t>(dot - start));
    out.insert(out.end(), name.begin() + static_cast<long>(start), name.begin() + static_cast<long>(dot));
    start = dot + 1;
  }
  out.push_back(0);
}

inline Bytes build_query(const std::string& name, std::uint16_t id, std::uint16_t type = 16) {
  Bytes q;
  put16(q, id);
  put16(q, 0x0100);  // RD
  put16(q, 1);
  put16(q, 0);
  put16(q, 0);
  put16(q, 0);
  put_name(q, name);
  put16(q, type);
  put16(q, 1);
  return q;
}

// The question of a query: its name (dotted, lower case as sent) and where the question ends.
inline bool parse_question(const Bytes& query, std::string& name, std::size_t& end) {
  if (query.size() < 12) return false;
  std::size_t pos = 12;
  name.clear();
  while (pos < query.size() && query[pos] != 0) {
    const std::size_t len = query[pos];
    if (len > 63 || pos + 1 + len > query.size()) return false;
    if (!name.empty()) name.push_back('.');
    name.append(reinterpret_cast<const char*>(&query[pos + 1]), len);
    pos += 1 + len;
  }
  if (pos + 5 > query.size()) return false;
  end = pos + 5;
  return true;
}

// owner: the record's name as wire bytes (a compression pointer, or a name written out).
inline void put_txt_rr(Bytes& out, const Bytes& owner, const std::vector<std::string>& strings, std::uint32_t ttl) {
  out.insert(out.end(), owner.begin(), owner.end());
  put16(out, 16);
  put16(out, 1);
  put32(out, ttl);
  std::size_t rdlen = 0;
  for (const std::string& s : strings) rdlen += 1 + s.size();
  put16(out, static_cast<std::uint16_t>(rdlen));
  for (const std::string& s : strings) {
    out.push_back(static_cast<std::uint8_t>(s.size()));
    out.insert(out.end(), s.begin(), s.end());
  }
}

inline const Bytes& question_owner() {
  static const Bytes pointer{0xC0, 0x0C};  // the question name
  return pointer;
}

inline Bytes name_bytes(const std::string& name) {
  Bytes out;
  put_name(out, name);
  return out;
}

// The CNAME chain of reply, from the question name; returns the owner of the records after it.
inline Bytes put_cname_chain(Bytes& out, const Reply& reply) {
  Bytes owner = question_owner();
  for (const std::string& target : reply.cnames) {
    out.insert(out.end(), owner.begin(), owner.end());
    put16(out, 5);
    put16(out, 1);
    put32(out, reply.ttl);
    const Bytes rdata = name_bytes(target);
    put16(out, static_cast<std::uint16_t>(rdata.size()));
    out.insert(out.end(), rdata.begin(), rdata.end());
    owner = rdata;
  }
  return owner;
}

inline void put_soa_rr(Bytes& out, const Reply& reply) {
  put16(out, 0xC00C);
  put16(out, 6);
  put16(out, 1);
  put32(out, reply.soa_ttl);
  Bytes rdata;
  put_name(rdata, "ns.test");
  put_name(rdata, "hostmaster.test");
  for (std::uint32_t v : {1u, 3600u, 600u, 86400u}) put32(rdata, v);
  put32(rdata, reply.soa_minimum);
  put16(out, static_cast<std::uint16_t>(rdata.size()));
  out.insert(out.end(), rdata.begin(), rdata.end());
}

// The answer to query as reply says; empty for silence.
inline Bytes build_response(const Bytes& query, const Reply& reply, bool tcp) {
  std::string name;
  std::size_t question_end = 0;
  if (reply.kind == Reply::Kind::silent || !parse_question(query, name, question_end)) return {};
  if (reply.kind == Reply::Kind::garbage) return Bytes{0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02};
  int rcode = 0;
  if (reply.kind == Reply::Kind::nxdomain) rcode = 3;
  if (reply.kind == Reply::Kind::servfail) rcode = 2;
  if (reply.kind == Reply::Kind::refused) rcode = 5;
  const bool truncated = reply.truncate_udp && !tcp;
  const bool answers = (reply.kind == Reply::Kind::txt || reply.kind == Reply::Kind::bad_rdata) && !truncated;
  const bool soa = (reply.kind == Reply::Kind::nxdomain || reply.kind == Reply::Kind::nodata) && reply.with_soa;
  const std::size_t cnames = truncated ? 0 : reply.cnames.size();
  const std::size_t records = answers ? (reply.kind == Reply::Kind::bad_rdata ? 1 : reply.records.size()) : 0;
  Bytes out(query.begin(), query.begin() + 2);  // id
  const std::uint16_t rd = query[2] & 0x01;
  put16(out, static_cast<std::uint16_t>(0x8400 | (truncated ? 0x0200 : 0) | (rd << 8) | 0x0080 | rcode));
  put16(out, 1);
  put16(out, static_cast<std::uint16_t>(cnames + records));
  put16(out, soa ? 1 : 0);
  put16(out, 0);
  out.insert(out.end(), query.begin() + 12, query.begin() + static_cast<long>(question_end));
  const Bytes owner = cnames > 0 ? put_cname_chain(out, reply) : question_owner();
  if (answers && reply.kind == Reply::Kind::bad_rdata) {
    out.insert(out.end(), owner.begin(), owner.end());
    put16(out, 16);
    put16(out, 1);
    put32(out, reply.ttl);
    put16(out, 3);
    out.insert(out.end(), {9, 'a', 'b'});  // a string that claims 9 bytes and has 2
  } else if (answers) {
    for (const auto& record : reply.records) put_txt_rr(out, owner, record, reply.ttl);
  }
  if (soa) put_soa_rr(out, reply);
  return out;
}

class DnsResponder {
 public:
  using Handler = std::function<Reply(const std::string& name)>;

  explicit DnsResponder(Handler handler) : handler_(std::move(handler)) {
    bind_sockets();
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    thread_ = std::thread([this] { run(); });
  }
  ~DnsResponder() {
    stop_ = true;
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
    thread_.join();
    for (auto& [fd, conn] : conns_) ::close(fd);
    ::close(udp_);
    ::close(tcp_);
    ::close(wake_fd_);
  }

  std::uint16_t port() const { return port_; }
  std::string server() const { return "127.0.0.1:" + std::to_string(port_); }
  std::size_t queries() const { std::lock_guard l(mutex_); return udp_queries_ + tcp_queries_; }
  std::size_t udp_queries() const { std::lock_guard l(mutex_); return udp_queries_; }
  std::size_t tcp_queries() const { std::lock_guard l(mutex_); return tcp_queries_; }
  std::size_t queries_for(const std::string& name) const {
    std::lock_guard l(mutex_);
    const auto it = per_name_.find(name);
    return it == per_name_.end() ? 0 : it->second;
  }
  std::size_t distinct_names() const { std::lock_guard l(mutex_); return per_name_.size(); }

 private:
  struct Pending {
    int fd;               // the TCP connection, or the UDP socket
    bool tcp;
    sockaddr_in to;       // UDP peer
    Bytes bytes;
  };
  struct Conn {
    Bytes in;
  };

  void bind_sockets() {
    for (int attempt = 0; attempt < 20; ++attempt) {
      udp_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      const int buffer = 4 << 20;  // a burst of thousands of queries must not be dropped
      ::setsockopt(udp_, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (::bind(udp_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error("bind udp");
      socklen_t len = sizeof addr;
      ::getsockname(udp_, reinterpret_cast<sockaddr*>(&addr), &len);
      port_ = ntohs(addr.sin_port);
      tcp_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      const int on = 1;
      ::setsockopt(tcp_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
      if (::bind(tcp_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && ::listen(tcp_, 64) == 0) return;
      ::close(udp_);
      ::close(tcp_);
    }
    throw std::runtime_error("no free port for UDP and TCP");
  }

  void answer(const Bytes& query, int fd, bool tcp, const sockaddr_in& from) {
    std::string name;
    std::size_t end = 0;
    if (!parse_question(query, name, end)) return;
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    {
      std::lock_guard l(mutex_);
      ++(tcp ? tcp_queries_ : udp_queries_);
      ++per_name_[name];
    }
    const Reply reply = handler_(name);
    Bytes bytes = build_response(query, reply, tcp);
    if (bytes.empty()) return;
    if (tcp) {
      Bytes framed;
      put16(framed, static_cast<std::uint16_t>(bytes.size()));
      framed.insert(framed.end(), bytes.begin(), bytes.end());
      bytes.swap(framed);
    }
    due_.emplace(std::chrono::steady_clock::now() + reply.delay, Pending{fd, tcp, from, std::move(bytes)});
  }

  void send_due() {
    const auto now = std::chrono::steady_clock::now();
    while (!due_.empty() && due_.begin()->first <= now) {
      Pending& p = due_.begin()->second;
      if (p.tcp) {
        if (conns_.count(p.fd)) [[maybe_unused]] auto n = ::send(p.fd, p.bytes.data(), p.bytes.size(), MSG_NOSIGNAL);
      } else {
        ::sendto(p.fd, p.bytes.data(), p.bytes.size(), 0, reinterpret_cast<const sockaddr*>(&p.to), sizeof p.to);
      }
      due_.erase(due_.begin());
    }
  }

  void read_udp() {
    std::uint8_t buf[4096];
    while (true) {
      sockaddr_in from{};
      socklen_t len = sizeof from;
      const ssize_t n = ::recvfrom(udp_, buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &len);
      if (n <= 0) return;
      answer(Bytes(buf, buf + n), udp_, false, from);
    }
  }

  void read_tcp(int fd) {
    std::uint8_t buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) {
      ::close(fd);
      conns_.erase(fd);
      return;
    }
    Bytes& in = conns_[fd].in;
    in.insert(in.end(), buf, buf + n);
    while (in.size() >= 2) {
      const std::size_t len = (std::size_t{in[0]} << 8) | in[1];
      if (in.size() < 2 + len) break;
      const Bytes query(in.begin() + 2, in.begin() + 2 + static_cast<long>(len));
      in.erase(in.begin(), in.begin() + 2 + static_cast<long>(len));
      answer(query, fd, true, sockaddr_in{});
    }
  }

  void run() {
    while (!stop_) {
      std::vector<pollfd> fds{{wake_fd_, POLLIN, 0}, {udp_, POLLIN, 0}, {tcp_, POLLIN, 0}};
      for (const auto& [fd, conn] : conns_) fds.push_back({fd, POLLIN, 0});
      int timeout = 200;
      if (!due_.empty()) {
        const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(due_.begin()->first - std::chrono::steady_clock::now());
        timeout = static_cast<int>(std::max<long>(0, std::min<long>(timeout, wait.count() + 1)));
      }
      ::poll(fds.data(), fds.size(), timeout);
      if (fds[1].revents & POLLIN) read_udp();
      if (fds[2].revents & POLLIN) {
        const int fd = ::accept4(tcp_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) conns_[fd];
      }
      for (std::size_t i = 3; i < fds.size(); ++i) {
        if (fds[i].revents != 0) read_tcp(fds[i].fd);
      }
      send_due();
    }
  }

  Handler handler_;
  int udp_ = -1, tcp_ = -1, wake_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::map<int, Conn> conns_;  // responder thread only
  std::multimap<std::chrono::steady_clock::time_point, Pending> due_;  // responder thread only
  mutable std::mutex mutex_;
  std::size_t udp_queries_ = 0, tcp_queries_ = 0;
  std::unordered_map<std::string, std::size_t> per_name_;
};

}  // namespace dkimscan::cache::testing
