// File: cli/dns_arg.h
// Checks --dns before c-ares sees it. c-ares takes "IP[:PORT],..." (IPv6 as [ADDR]:PORT or a bare
// ADDR), but reads a port past 65535 modulo 2^16 and an empty list as "use /etc/resolv.conf":
// a typo would send queries somewhere the user did not ask for. Throws std::invalid_argument.
#pragma once

#include <string_view>

namespace dkimscan::cli {

// list is what --dns says, other than "system" (the servers of /etc/resolv.conf).
void check_dns_servers(std::string_view list);

}  // namespace dkimscan::cli
