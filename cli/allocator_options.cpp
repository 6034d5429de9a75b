// File: cli/allocator_options.cpp
// mimalloc's options for a run that allocates the same few sizes, on every thread, for seconds:
//   * large_os_pages: back the heap with 2 MiB pages (transparent huge pages, which Debian's
//     kernel gives to regions that ask in madvise mode), so a page fault maps 2 MiB, not 4 KiB.
//     The 2-core VM (bench/HISTORY.md, fourth round): -j1 over 5,000 message files 369 -> 330 ms,
//     -j2 287 -> 260 ms; page faults per run fell from 2,700 or 4,230 to 560.
//   * eager_commit_delay = 0: commit (and so back with large pages) the first segment of every
//     thread too. mimalloc's default of 1 leaves a new thread's first 32 MiB segment to be
//     committed piece by piece, 4 KiB page faults included, so a TBB worker faulted on memory the
//     main thread's heap got whole: 4,100 faults per -j2 run of the 5,000-message mbox against
//     490 at -j1 (bench/HISTORY.md, seventh round). The default saves memory for programs with
//     many short-lived threads; dkimscan has one per core, for the whole run.
// Each option must be set before mimalloc maps its first segment, which happens before main() and
// before any constructor of ours: so they are set from the executable's .preinit_array, which the
// dynamic loader runs before the constructors of the shared libraries. The MIMALLOC_ variable of
// the same name in the environment still decides. Not built under sanitizers (no mimalloc there).
#ifdef DKIMSCAN_MIMALLOC
#include <mimalloc.h>

#include <string_view>

namespace {

// envp, not getenv(): this runs before libc's initializers, and getenv() did not see the
// variable here.
bool in_environment(char** envp, std::string_view name) {
  for (char** var = envp; var != nullptr && *var != nullptr; ++var) {
    const std::string_view entry(*var);
    if (entry.size() > name.size() && entry.starts_with(name) && entry[name.size()] == '=') return true;
  }
  return false;
}

void set_allocator_options(int, char**, char** envp) {
  if (!in_environment(envp, "MIMALLOC_LARGE_OS_PAGES")) mi_option_set(mi_option_large_os_pages, 1);
  if (!in_environment(envp, "MIMALLOC_EAGER_COMMIT_DELAY")) mi_option_set(mi_option_eager_commit_delay, 0);
}

__attribute__((section(".preinit_array"), used)) void (*const set_up_allocator)(int, char**, char**) =
    &set_allocator_options;

}  // namespace
#endif
