#define _GNU_SOURCE
#define __STDC_WANT_LIB_EXT1__ 1  // memset_s where the C library has it (Apple platforms)
#include "lethe_system.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <limits.h>
#include <stdint.h>
#if defined(__linux__)
#include <malloc.h>  // mallinfo2 (glibc); Apple platforms have no <malloc.h>
#include <sys/prctl.h>
#endif
#include <sys/resource.h>
#include <unistd.h>
#include <dlfcn.h>

void lethe_wipe(void *pointer, size_t length) {
    if (pointer != NULL && length > 0) {
#if defined(__linux__)
        explicit_bzero(pointer, length);
#else
        // C11 Annex K: a store the compiler may not remove (Apple's libc has no explicit_bzero).
        memset_s(pointer, length, 0, length);
#endif
    }
}

/// Sixteen bytes as two 64-bit lanes (the compiler's vector extension: SSE2 on x86-64, NEON on arm64).
typedef uint64_t lethe_lanes __attribute__((vector_size(16)));

int lethe_is_zero(const void *pointer, size_t length) {
    // Volatile reads: the verify must look at memory, not at what the compiler knows. Whole
    // 16-byte vectors where aligned (buffers are page-aligned), into four accumulators, so that
    // the loads are not one serial chain of ORs: the read-back of a plane costs about its wipe
    // (one 8-byte word at a time, it cost two to five times the wipe: docs/performance.md).
    const volatile unsigned char *bytes = (const volatile unsigned char *)pointer;
    size_t index = 0;
    unsigned char accumulated = 0;
    while (index < length && ((uintptr_t)(bytes + index) % sizeof(lethe_lanes)) != 0) {
        accumulated |= bytes[index++];
    }
    const volatile lethe_lanes *vectors = (const volatile lethe_lanes *)(bytes + index);
    size_t vectorCount = (length - index) / sizeof(lethe_lanes);
    lethe_lanes first = {0, 0}, second = first, third = first, fourth = first;
    size_t vector = 0;
    for (; vector + 4 <= vectorCount; vector += 4) {
        first |= vectors[vector];
        second |= vectors[vector + 1];
        third |= vectors[vector + 2];
        fourth |= vectors[vector + 3];
    }
    for (; vector < vectorCount; vector++) {
        first |= vectors[vector];
    }
    index += vectorCount * sizeof(lethe_lanes);
    while (index < length) {
        accumulated |= bytes[index++];
    }
    lethe_lanes all = first | second | third | fourth;
    return accumulated == 0 && (all[0] | all[1]) == 0;
}

/// The span `lethe_wipe_verified` zeroes and reads back at a time: half the smallest level-1 data
/// cache of the machines here (32 KiB), so that the read-back finds the zeros still in it.
#define LETHE_WIPE_CHUNK ((size_t)16 << 10)

int lethe_wipe_verified(void *pointer, size_t length) {
    // Zeroing a whole 7 MB plane and then reading it back read the zeros from the last-level
    // cache or memory, as far away as the zeroing wrote them: in a 12-megapixel request the
    // read-back was half of the wipes' time (docs/performance.md). Chunk by chunk it is read from
    // the level-1 cache it was just written to; each chunk is still zeroed with explicit_bzero
    // and read with volatile loads, so neither can be elided.
    unsigned char *bytes = (unsigned char *)pointer;
    int zero = 1;
    for (size_t offset = 0; offset < length; offset += LETHE_WIPE_CHUNK) {
        size_t chunk = length - offset < LETHE_WIPE_CHUNK ? length - offset : LETHE_WIPE_CHUNK;
        lethe_wipe(bytes + offset, chunk);
        zero &= lethe_is_zero(bytes + offset, chunk);
    }
    return zero;
}

// prctl and MADV_DONTDUMP are Linux: elsewhere these hardenings are unavailable (-ENOSYS), and
// core dumps are still turned off by the resource limit below.
int lethe_set_non_dumpable(void) {
#if defined(__linux__)
    return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : -errno;
#else
    return -ENOSYS;
#endif
}

int lethe_get_dumpable(void) {
#if defined(__linux__)
    int value = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
    return value >= 0 ? value : -errno;
#else
    return -ENOSYS;
#endif
}

int lethe_disable_core_dumps(void) {
    struct rlimit limit = { 0, 0 };
    return setrlimit(RLIMIT_CORE, &limit) == 0 ? 0 : -errno;
}

long long lethe_core_limit(void) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_CORE, &limit) != 0) {
        return -1;
    }
    return (long long)limit.rlim_cur;
}

int lethe_madvise_dontdump(void *pointer, size_t length) {
#if defined(__linux__)
    return madvise(pointer, length, MADV_DONTDUMP) == 0 ? 0 : -errno;
#else
    (void)pointer; (void)length;
    return -ENOSYS;
#endif
}

// Transparent huge pages: 2 MiB on x86-64 and arm64 (4 KiB base pages).
#define LETHE_HUGE_PAGE ((size_t)2 << 20)

void *lethe_map_private(size_t length) {
    if (length == 0) {
        return 0;
    }
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (length >= LETHE_HUGE_PAGE) {
        // Map a huge page more than asked, keep the part that starts on a huge-page boundary and
        // give the rest back: nothing of it was touched, so nothing was resident.
        size_t reserved = length + LETHE_HUGE_PAGE;
        char *mapping = mmap(0, reserved, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mapping == MAP_FAILED) {
            return 0;
        }
        char *start = (char *)(((uintptr_t)mapping + LETHE_HUGE_PAGE - 1) & ~(uintptr_t)(LETHE_HUGE_PAGE - 1));
        if (start > mapping) {
            munmap(mapping, (size_t)(start - mapping));
        }
        size_t tail = (size_t)((mapping + reserved) - (start + length));
        if (tail > 0) {
            munmap(start + length, tail);
        }
        // A hint: where huge pages are disabled the pages stay small, as before.
        (void)madvise(start, length, MADV_HUGEPAGE);
        return start;
    }
#endif
    void *mapping = mmap(0, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return mapping == MAP_FAILED ? 0 : mapping;
}

int lethe_move_pages(void *from, size_t length, void *to) {
#if defined(__linux__)
    void *moved = mremap(from, length, length, MREMAP_MAYMOVE | MREMAP_FIXED, to);
    return moved == MAP_FAILED ? -errno : 0;
#else
    (void)from;
    (void)length;
    (void)to;
    return -ENOSYS;
#endif
}

int lethe_resident_pages(const void *pointer, size_t length, unsigned char *residency) {
#if defined(__linux__)
    return mincore((void *)pointer, length, residency) == 0 ? 0 : -errno;
#else
    (void)pointer; (void)length; (void)residency;
    return -ENOSYS;
#endif
}

int lethe_mlock(const void *pointer, size_t length) {
    return mlock(pointer, length) == 0 ? 0 : -errno;
}

int lethe_munlock(const void *pointer, size_t length) {
    return munlock(pointer, length) == 0 ? 0 : -errno;
}

size_t lethe_page_size(void) {
    long size = sysconf(_SC_PAGESIZE);
    return size > 0 ? (size_t)size : 4096;
}

// The frames a codec used on this thread lie below the caller's stack pointer once it returns,
// untouched until a later call happens to go as deep: zlib, libpng and libvips leave pieces of
// what they encoded there (found by the residue harness on the pipeline thread's stack).
// Claiming `length` bytes below this frame and zeroing them removes those pieces.
__attribute__((noinline)) void lethe_wipe_stack_below(size_t length) {
    unsigned char region[length];
    lethe_wipe(region, length);
    // Keep the array (and so the wipe) even at high optimisation levels.
    __asm__ __volatile__("" : : "r"(region) : "memory");
}

size_t lethe_allocated_bytes(void) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
#else
    return 0;
#endif
}

int lethe_trim_heap(void) {
#if defined(__GLIBC__)
    return malloc_trim(0);
#else
    return -EINVAL;
#endif
}

int lethe_return_large_blocks(size_t threshold, size_t trim) {
#if defined(__GLIBC__)
    if (threshold > INT_MAX || trim > INT_MAX) return -EINVAL;
    if (mallopt(M_MMAP_THRESHOLD, (int)threshold) != 1 || mallopt(M_TRIM_THRESHOLD, (int)trim) != 1) return -EINVAL;
    return 0;
#else
    (void)threshold;
    (void)trim;
    return -EINVAL;
#endif
}

int lethe_library_path(const char *symbol, char *path, size_t size) {
    Dl_info info;
    void *address = dlsym(RTLD_DEFAULT, symbol);
    if (address == NULL || path == NULL || dladdr(address, &info) == 0 || info.dli_fname == NULL) return -1;
    size_t length = strlen(info.dli_fname);
    if (length + 1 > size) return -1;
    memcpy(path, info.dli_fname, length + 1);
    return 0;
}
