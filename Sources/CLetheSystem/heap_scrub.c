// Zero-on-free for the whole process.
//
// libvips, the codecs (libjpeg, libpng, libwebp, libheif), glib, BoringSSL and the Swift runtime
// allocate with malloc and free without wiping, and glibc hands freed chunks back with their
// contents intact. Defining `free` here, in the executable, interposes it for every shared
// library in the process (the dynamic linker resolves `free` to the executable's definition
// first). Each freed block is zeroed over its usable size before glibc gets it back.
//
// `realloc` frees its old block inside glibc without calling `free`, so it is interposed too:
// growth always moves to a fresh block and the old one is wiped. Memory that never passes
// through malloc (stacks, a library's own mmap) is not covered here; the residue harness in
// Tests/LetheResidueTests is the judge of what remains.

#define _GNU_SOURCE
#include "lethe_system.h"

#include <errno.h>
#if defined(__linux__)
#include <malloc.h>
#include <sys/sysinfo.h>
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

// glib's slice allocator, looked up weakly: processes without glib (a device app linking the
// client) have no GSlice to worry about.
extern void *g_slice_alloc(size_t size) __attribute__((weak));
extern void g_slice_free1(size_t size, void *block) __attribute__((weak));

// scripts/fuzz builds with AddressSanitizer, whose allocator owns malloc/free: handing its blocks
// to glibc's __libc_free would crash, so fuzz builds (-DLETHE_NO_HEAP_SCRUB) leave free alone.
// The interposition relies on glibc (__libc_free, malloc_usable_size): other C libraries (an
// Apple platform's, where a device app links LetheClient) keep their own free.
#if defined(LETHE_NO_HEAP_SCRUB) || !defined(__linux__)
int lethe_heap_scrub_enabled(void) {
    return 0;
}

int lethe_glib_slices_reach_free(void) {
    return 0;
}

void lethe_scrub_block(void *pointer, size_t size) {
    explicit_bzero(pointer, size);
}

int lethe_scrub_skips_untouched_pages(void) {
    return 0;
}
#else

extern void *__libc_malloc(size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void __libc_free(void *pointer);

// On unless the process was started with LETHE_UNSAFE_DISABLE_HEAP_SCRUB=1 (used only to show
// that the residue harness finds what scrubbing removes). Read once, before main.
static volatile int scrub_enabled = 1;

__attribute__((constructor(101)))
static void lethe_heap_scrub_configure(void) {
    const char *disable = getenv("LETHE_UNSAFE_DISABLE_HEAP_SCRUB");
    if (disable != NULL && strcmp(disable, "1") == 0) {
        scrub_enabled = 0;
    }
}

int lethe_heap_scrub_enabled(void) {
    return scrub_enabled;
}

// Blocks from this size on are wiped page run by page run, skipping the pages the kernel never
// gave the block (`mincore`: not resident). An anonymous page that was never written reads as
// zeros and holds nothing; zeroing it anyway costs a page fault and a page the kernel clears
// first, only for glibc to unmap it right after (libvips frees large buffers that were never
// written in full: in the bench request's profile these faults were ~45 ms of CPU). Below this
// size a block spans few pages and is wiped whole.
#define SCRUB_BY_RESIDENCY_MINIMUM ((size_t)256 * 1024)

static size_t scrub_page_size = 4096;

// `mincore` reports a page that was written and then swapped out as not resident, like a page
// never written: on a host with swap it cannot tell the two apart, so there every block is wiped
// whole, as before. Swap is read once, before main (and before an engine's sandbox); a swap
// device switched on later is not seen (library memory can then reach swap anyway: the README's
// threat model asks for hosts without swap).
static int scrub_by_residency = 0;

__attribute__((constructor(101)))
static void lethe_heap_scrub_page_size(void) {
    long size = sysconf(_SC_PAGESIZE);
    if (size > 0 && (size & (size - 1)) == 0) {
        scrub_page_size = (size_t)size;
    }
    struct sysinfo memory;
    scrub_by_residency = sysinfo(&memory) == 0 && memory.totalswap == 0;
}

int lethe_scrub_skips_untouched_pages(void) {
    return scrub_by_residency;
}

void lethe_scrub_block(void *pointer, size_t size) {
    if (size < SCRUB_BY_RESIDENCY_MINIMUM || !scrub_by_residency) {
        explicit_bzero(pointer, size);
        return;
    }
    const uintptr_t page = scrub_page_size;
    const uintptr_t start = (uintptr_t)pointer, end = start + size;
    const uintptr_t first = (start + page - 1) & ~(page - 1), last = end & ~(page - 1);
    // The partial pages at either end (glibc's chunk header sits before the block; its free-list
    // links go into the block's first bytes) are wiped whole, resident or not.
    explicit_bzero(pointer, first - start);
    explicit_bzero((void *)last, end - last);
    unsigned char residency[1024];  // on the stack: no allocation inside free
    uintptr_t run = first;
    while (run < last) {
        size_t pages = (last - run) / page;
        if (pages > sizeof residency) {
            pages = sizeof residency;
        }
        if (mincore((void *)run, pages * page, residency) != 0) {
            // Cannot tell: wipe the rest whole, as before.
            explicit_bzero((void *)run, last - run);
            return;
        }
        size_t index = 0;
        while (index < pages) {
            if ((residency[index] & 1) == 0) {
                index += 1;
                continue;
            }
            size_t end_index = index;
            while (end_index < pages && (residency[end_index] & 1) != 0) {
                end_index += 1;
            }
            explicit_bzero((void *)(run + index * page), (end_index - index) * page);
            index = end_index;
        }
        run += pages * page;
    }
}

void free(void *pointer) {
    if (pointer != NULL && scrub_enabled) {
        lethe_scrub_block(pointer, malloc_usable_size(pointer));
    }
    __libc_free(pointer);
}

void *realloc(void *pointer, size_t size) {
    if (!scrub_enabled) {
        return __libc_realloc(pointer, size);
    }
    if (pointer == NULL) {
        return __libc_malloc(size);
    }
    if (size == 0) {
        free(pointer);
        return NULL;
    }
    size_t usable = malloc_usable_size(pointer);
    if (size <= usable) {
        // Shrinking or growing within the block: it stays ours and is wiped whole at free.
        return pointer;
    }
    void *fresh = __libc_malloc(size);
    if (fresh == NULL) {
        return NULL;
    }
    memcpy(fresh, pointer, usable);
    lethe_scrub_block(pointer, usable);
    __libc_free(pointer);
    return fresh;
}

void *reallocarray(void *pointer, size_t count, size_t size) {
    size_t bytes;
    if (__builtin_mul_overflow(count, size, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(pointer, bytes);
}

// Frees one 240-byte slice filled with 0xA5 and reads it back. When GSlice hands it to `free`
// (G_SLICE=always-malloc, or glib >= 2.76) the scrubbing free zeroes it and glibc reuses at most
// its first 16 bytes for free-list links; when GSlice keeps it in a magazine, it keeps 0xA5.
int lethe_glib_slices_reach_free(void) {
    if (g_slice_alloc == NULL || g_slice_free1 == NULL) {
        return 1;
    }
    const size_t size = 240;
    volatile unsigned char *block = g_slice_alloc(size);
    if (block == NULL) {
        return 0;
    }
    for (size_t index = 0; index < size; index++) {
        block[index] = 0xA5;
    }
    g_slice_free1(size, (void *)block);
    for (size_t index = 32; index < size; index++) {
        if (block[index] != 0) {
            return 0;
        }
    }
    return scrub_enabled;
}
#endif
