#define _GNU_SOURCE
#include "lethe_system.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

void lethe_wipe(void *pointer, size_t length) {
    if (pointer != NULL && length > 0) {
        explicit_bzero(pointer, length);
    }
}

int lethe_is_zero(const void *pointer, size_t length) {
    // Volatile reads: the verify must look at memory, not at what the compiler knows. Whole
    // 8-byte words where aligned (buffers are page-aligned), so that the read-back of a
    // 150 MB pixel buffer costs a fraction of its wipe even in an unoptimised build.
    const volatile unsigned char *bytes = (const volatile unsigned char *)pointer;
    size_t index = 0;
    unsigned char accumulated = 0;
    while (index < length && ((uintptr_t)(bytes + index) % sizeof(uint64_t)) != 0) {
        accumulated |= bytes[index++];
    }
    const volatile uint64_t *words = (const volatile uint64_t *)(bytes + index);
    size_t wordCount = (length - index) / sizeof(uint64_t);
    uint64_t accumulatedWords = 0;
    for (size_t word = 0; word < wordCount; word++) {
        accumulatedWords |= words[word];
    }
    index += wordCount * sizeof(uint64_t);
    while (index < length) {
        accumulated |= bytes[index++];
    }
    return accumulated == 0 && accumulatedWords == 0;
}

int lethe_set_non_dumpable(void) {
    return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : -errno;
}

int lethe_get_dumpable(void) {
    int value = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
    return value >= 0 ? value : -errno;
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
    return madvise(pointer, length, MADV_DONTDUMP) == 0 ? 0 : -errno;
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
    explicit_bzero(region, length);
    // Keep the array (and so the wipe) even at high optimisation levels.
    __asm__ __volatile__("" : : "r"(region) : "memory");
}
