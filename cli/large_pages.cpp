// File: cli/large_pages.cpp
// Asks mimalloc to back its heap with 2 MiB pages: transparent huge pages, which Debian's kernel
// gives to regions that ask for them (madvise mode). A page fault then maps 2 MiB instead of 4 KiB.
// Measured on the 2-core VM (bench/README.md, fourth round): -j1 over 5,000 message files 369 ->
// 330 ms, -j2 287 -> 260 ms; the 2 GB mbox at -j2 is unchanged, and so is peak RSS. Page faults
// per run fell from 2,700 or 4,230 (it depended on where early allocations landed) to 560.
//
// The option must be set before mimalloc maps its first segment, which happens before main() and
// before any constructor of ours: so it is set from the executable's .preinit_array, which the
// dynamic loader runs before the constructors of the shared libraries. MIMALLOC_LARGE_OS_PAGES in
// the environment still decides when it is set. Not built under sanitizers (no mimalloc there).
#ifdef DKIMSCAN_MIMALLOC
#include <mimalloc.h>

#include <string_view>

namespace {

// envp, not getenv(): this runs before libc's initializers, and getenv() did not see the
// variable here.
void use_large_os_pages(int, char**, char** envp) {
  for (char** var = envp; var != nullptr && *var != nullptr; ++var) {
    if (std::string_view(*var).starts_with("MIMALLOC_LARGE_OS_PAGES=")) return;
  }
  mi_option_set(mi_option_large_os_pages, 1);
}

__attribute__((section(".preinit_array"), used)) void (*const set_up_allocator)(int, char**, char**) =
    &use_large_os_pages;

}  // namespace
#endif
