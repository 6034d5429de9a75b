// File: cli/time_arg.cpp
#include "cli/time_arg.h"

#include <charconv>
#include <ctime>
#include <stdexcept>
#include <string>

namespace dkimscan::cli {
namespace {

int read_digits(std::string_view text, std::size_t& pos, std::size_t count) {
  int value = 0;
  if (pos + count > text.size()) throw std::invalid_argument("time ends early");
  for (std::size_t i = 0; i < count; ++i, ++pos) {
    char c = text[pos];
    if (c < '0' || c > '9') throw std::invalid_argument("expected a digit");
    value = value * 10 + (c - '0');
  }
  return value;
}

void expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) throw std::invalid_argument(std::string("expected '") + c + "'");
  ++pos;
}

std::int64_t parse_iso8601(std::string_view text) {
  std::size_t pos = 0;
  std::tm tm{};
  tm.tm_year = read_digits(text, pos, 4) - 1900;
  expect(text, pos, '-');
  tm.tm_mon = read_digits(text, pos, 2) - 1;
  expect(text, pos, '-');
  tm.tm_mday = read_digits(text, pos, 2);
  std::int64_t offset = 0;
  if (pos < text.size() && (text[pos] == 'T' || text[pos] == ' ')) {
    ++pos;
    tm.tm_hour = read_digits(text, pos, 2);
    expect(text, pos, ':');
    tm.tm_min = read_digits(text, pos, 2);
    if (pos < text.size() && text[pos] == ':') {
      ++pos;
      tm.tm_sec = read_digits(text, pos, 2);
    }
    if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
      ++pos;
    } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
      int sign = text[pos++] == '-' ? -1 : 1;
      int hours = read_digits(text, pos, 2);
      if (pos < text.size() && text[pos] == ':') ++pos;
      int minutes = read_digits(text, pos, 2);
      offset = sign * (hours * 3600 + minutes * 60);
    }
  }
  if (pos != text.size()) throw std::invalid_argument("unexpected text after the time");
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60) {
    throw std::invalid_argument("a date or time field is out of range");
  }
  // timegm() rolls a day past the month's end into the next month (2019-02-31 as 2019-03-03),
  // normalizing its argument in place: a changed day shows the roll. (At midnight, so that a
  // leap second, :60, cannot roll the day instead.)
  std::tm midnight = tm;
  midnight.tm_hour = midnight.tm_min = midnight.tm_sec = 0;
  (void)timegm(&midnight);
  if (midnight.tm_mday != tm.tm_mday) throw std::invalid_argument("the month has no such day");
  return static_cast<std::int64_t>(timegm(&tm)) - offset;  // times without a zone are UTC
}

}  // namespace

std::int64_t parse_time_arg(std::string_view text) {
  std::int64_t seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  try {
    if (ec != std::errc() || end != text.data() + text.size()) seconds = parse_iso8601(text);
    // DKIM's t= and x= count from 1970 (RFC 6376 §3.5); a clock before that would turn x= off.
    if (seconds < 0) throw std::invalid_argument("before 1970-01-01T00:00:00Z");
    return seconds;
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("'" + std::string(text) + "': " + e.what() +
                                " (give unix seconds or ISO 8601 such as 2024-05-01T12:00:00Z)");
  }
}

}  // namespace dkimscan::cli
