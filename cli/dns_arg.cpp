// File: cli/dns_arg.cpp
#include "cli/dns_arg.h"

#include <arpa/inet.h>

#include <charconv>
#include <stdexcept>
#include <string>

namespace dkimscan::cli {
namespace {

bool is_address(std::string_view text, int family) {
  const std::string copy(text);  // inet_pton wants a terminated string
  unsigned char bytes[16];
  return inet_pton(family, copy.c_str(), bytes) == 1;
}

void check_port(std::string_view port, std::string_view server) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value < 1 || value > 65535) {
    throw std::invalid_argument("'" + std::string(server) + "': the port must be a number from 1 to 65535");
  }
}

void check_server(std::string_view server) {
  if (server.empty()) throw std::invalid_argument("an empty server in the list");
  if (server.front() == '[') {  // [IPv6]:PORT
    const std::size_t close = server.find(']');
    if (close == std::string_view::npos || !is_address(server.substr(1, close - 1), AF_INET6)) {
      throw std::invalid_argument("'" + std::string(server) + "' is not [IPv6 address]:PORT");
    }
    const std::string_view rest = server.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') throw std::invalid_argument("'" + std::string(server) + "': text after ']'");
      check_port(rest.substr(1), server);
    }
    return;
  }
  const std::size_t colon = server.find(':');
  if (colon != std::string_view::npos && server.find(':', colon + 1) != std::string_view::npos) {
    if (!is_address(server, AF_INET6)) throw std::invalid_argument("'" + std::string(server) + "' is not an IPv6 address");
    return;  // a bare IPv6 address: no port
  }
  if (!is_address(server.substr(0, colon), AF_INET)) {
    throw std::invalid_argument("'" + std::string(server) + "' is not an IP address (host names are not looked up here)");
  }
  if (colon != std::string_view::npos) check_port(server.substr(colon + 1), server);
}

}  // namespace

void check_dns_servers(std::string_view list) {
  if (list.empty()) throw std::invalid_argument("no server given (--dns system uses those of /etc/resolv.conf)");
  for (;;) {
    const std::size_t comma = list.find(',');
    check_server(list.substr(0, comma));
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace dkimscan::cli
