// File: ingest/file_reader.cpp
#include "ingest/file_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ingest/file_bytes.h"

namespace dkimscan::ingest {

FileReader::FileReader(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
  if (fd_ < 0) fail(errno);
}

FileReader::~FileReader() {
  if (fd_ >= 0) ::close(fd_);
}

void FileReader::fail(int err) {
  error_ = error_from_errno(err);
  detail_ = std::strerror(err);
}

long FileReader::read(char* buffer, std::size_t n) {
  if (fd_ < 0) return -1;  // the open failed: detail_ says why
  for (;;) {
    const ssize_t got = ::read(fd_, buffer, n);
    if (got >= 0) return static_cast<long>(got);
    if (errno == EINTR) continue;
    fail(errno);
    return -1;
  }
}

}  // namespace dkimscan::ingest
