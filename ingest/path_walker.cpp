// File: ingest/path_walker.cpp
// Depth-first walk with an explicit stack of sorted folder listings. stat() follows symlinks, so
// a symlinked folder is read like any other; a folder already on the stack (same device and
// inode) is a cycle and becomes a symlink_loop item instead of an endless walk. An entry that its
// folder listing already calls a regular file (d_type) is not stat()ed at all: one system call
// less per message, and the size is taken later where it is needed (sniff_ahead.h).
#include "ingest/path_walker.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "ingest/file_bytes.h"

namespace dkimscan::ingest {

namespace {

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string join(const std::string& dir, const std::string& name) {
  std::string path;  // one allocation per path: `dir + "/" + name` made two
  path.reserve(dir.size() + 1 + name.size());
  path.append(dir);
  if (path.empty() || path.back() != '/') path.push_back('/');
  path.append(name);
  return path;
}

bool set_error(WalkItem& out, const std::string& path, IngestError error, std::string detail) {
  out.kind = WalkItem::Kind::error;
  out.path = path;
  out.error = error;
  out.error_detail = std::move(detail);
  return true;
}

// The entries of dir worth visiting, sorted by name, or false with errno set.
bool list_folder(const std::string& dir, std::vector<FolderEntry>& entries, bool& maildir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return false;
  maildir = is_maildir(dir);
  for (;;) {
    errno = 0;  // readdir() says "no more" and "failed" both with nullptr: errno tells them apart
    const dirent* e = ::readdir(d);
    if (e == nullptr) break;
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (maildir) {
      // Maildir: cur/ and new/ hold messages, tmp/ is not yet delivered; Maildir++ keeps
      // sub-folders as ".Name/" beside them. Everything else is index or control files.
      const bool folder = name == "cur" || name == "new" || (name[0] == '.' && is_dir(join(dir, name)));
      if (folder) entries.push_back({std::move(name), e->d_type});
    } else if (name[0] != '.') {
      entries.push_back({std::move(name), e->d_type});
    }
  }
  if (errno != 0) {  // a folder listed only in part would lose its other entries without a word
    const int error = errno;
    ::closedir(d);
    errno = error;
    return false;
  }
  ::closedir(d);
  std::sort(entries.begin(), entries.end(), [](const FolderEntry& a, const FolderEntry& b) { return a.name < b.name; });
  return true;
}

}  // namespace

bool is_maildir(const std::string& dir) { return is_dir(join(dir, "cur")) && is_dir(join(dir, "new")); }

bool PathWalker::next(WalkItem& out) {
  for (;;) {
    if (!stack_.empty()) {
      Frame& top = stack_.back();
      if (top.index == top.entries.size()) {
        stack_.pop_back();
        continue;
      }
      const bool holds_messages = top.holds_messages;
      const FolderEntry& entry = top.entries[top.index++];
      std::string path = join(top.dir, entry.name);
      if (entry.type == DT_REG) {
        // The listing already says it is a regular file (not a symlink): no stat() here. Its
        // size is found later, by whoever reads it.
        out = WalkItem{WalkItem::Kind::file, std::move(path), false};
        out.size_known = false;
        out.maildir_message = holds_messages;
        return true;
      }
      if (visit(std::move(path), false, out)) {
        out.maildir_message = holds_messages && out.kind == WalkItem::Kind::file;
        return true;
      }
      continue;
    }
    if (root_index_ == roots_.size()) return false;
    const std::string& root = roots_[root_index_++];
    if (root == "-") {
      out = WalkItem{WalkItem::Kind::standard_input, "-", true};
      return true;
    }
    if (visit(root, true, out)) return true;
  }
}

bool PathWalker::visit(std::string path, bool named, WalkItem& out) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    return set_error(out, path, error_from_errno(err), std::strerror(err));
  }
  if (S_ISDIR(st.st_mode)) return push_folder(path, st.st_dev, st.st_ino, out);
  const bool streamable = S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode);
  if (S_ISREG(st.st_mode) || (named && streamable)) {
    out = WalkItem{WalkItem::Kind::file, std::move(path), named};
    if (S_ISREG(st.st_mode)) out.size = static_cast<std::uint64_t>(st.st_size);
    return true;
  }
  return set_error(out, path, IngestError::not_regular, "not a regular file or folder");
}

bool PathWalker::push_folder(const std::string& path, dev_t dev, ino_t ino, WalkItem& out) {
  for (const Frame& f : stack_) {
    if (f.dev == dev && f.ino == ino) {
      return set_error(out, path, IngestError::symlink_loop, "folder cycle back to " + f.dir);
    }
  }
  Frame frame;
  frame.dir = path;
  frame.dev = dev;
  frame.ino = ino;
  if (!stack_.empty() && stack_.back().maildir) {
    const std::string_view name = std::string_view(path).substr(path.find_last_of('/') + 1);
    frame.holds_messages = name == "cur" || name == "new";
  }
  if (!list_folder(path, frame.entries, frame.maildir)) {
    const int err = errno;
    return set_error(out, path, error_from_errno(err), std::strerror(err));
  }
  stack_.push_back(std::move(frame));
  return false;
}

}  // namespace dkimscan::ingest
