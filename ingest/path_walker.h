// File: ingest/path_walker.h
// Turns the paths a user names into the files to read, in a stable order: each folder's entries
// sorted by name (bytewise), depth first. Maildir folders (cur/ and new/ present) yield cur/, new/
// and Maildir++ sub-folders (.Name/) only: tmp/ holds deliveries in progress and dovecot's or
// courier's index files are not mail. Elsewhere hidden entries (".name") are skipped; paths named
// explicitly never are. Problems (unreadable, symlink loops) become error items, not exceptions.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "ingest/input_message.h"

namespace dkimscan::ingest {

struct WalkItem {
  enum class Kind : std::uint8_t { file, standard_input, error };
  Kind kind = Kind::file;
  std::string path;
  bool named = false;  // named by the user (not found inside a folder)
  bool maildir_message = false;  // found in a Maildir's cur/ or new/: one message by definition
  // Of a regular file, from the walk's stat(). A file whose folder listing said it is regular
  // is not stat()ed by the walk (size_known false); SniffAhead finds its size when it matters.
  std::uint64_t size = 0;
  bool size_known = true;
  IngestError error = IngestError::none;
  std::string error_detail;
};

struct FolderEntry {
  std::string name;
  unsigned char type;  // dirent's d_type: DT_REG, DT_DIR, DT_LNK, or DT_UNKNOWN on some file systems
};

class PathWalker {
 public:
  explicit PathWalker(std::vector<std::string> roots) : roots_(std::move(roots)) {}
  // The next file, stdin marker or error; false when every root is done.
  bool next(WalkItem& out);

 private:
  struct Frame {
    std::string dir;
    std::vector<FolderEntry> entries;  // sorted by name, already filtered
    std::size_t index = 0;
    dev_t dev = 0;
    ino_t ino = 0;
    bool maildir = false;           // this folder is a Maildir (has cur/ and new/)
    bool holds_messages = false;    // this folder is a Maildir's cur/ or new/
  };
  // Fills out and returns true for a file or an error; pushes a Frame for a folder.
  bool visit(std::string path, bool named, WalkItem& out);  // path moves into out
  bool push_folder(const std::string& path, dev_t dev, ino_t ino, WalkItem& out);

  std::vector<std::string> roots_;
  std::size_t root_index_ = 0;
  std::vector<Frame> stack_;
};

// True when dir has cur/ and new/ sub-folders (a Maildir, or a Maildir++ folder).
bool is_maildir(const std::string& dir);

}  // namespace dkimscan::ingest
