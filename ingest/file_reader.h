// File: ingest/file_reader.h
// A ByteReader over a file read from its start with read(): what the mbox stream reader uses for
// a large mbox archive on disk that is not cut in chunks (file_bytes.h, mbox_chunks.h decide). A file that cannot be opened reads as
// an error, so the stream reader reports it as an item like any other read failure.
#pragma once

#include <string>

#include "ingest/byte_reader.h"

namespace dkimscan::ingest {

class FileReader final : public ByteReader {
 public:
  explicit FileReader(const std::string& path);
  ~FileReader() override;
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  long read(char* buffer, std::size_t n) override;
  IngestError error() const override { return error_; }
  std::string error_detail() const override { return detail_; }

 private:
  void fail(int err);

  int fd_ = -1;
  IngestError error_ = IngestError::unreadable;
  std::string detail_;
};

}  // namespace dkimscan::ingest
