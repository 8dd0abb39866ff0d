#ifndef LETHE_SYSTEM_H
#define LETHE_SYSTEM_H

#include <stddef.h>
#include <stdint.h>

/// Zeroes `length` bytes at `pointer` in a way the compiler may not elide (explicit_bzero).
void lethe_wipe(void *pointer, size_t length);

/// Returns 1 when every one of `length` bytes at `pointer` is zero, else 0.
int lethe_is_zero(const void *pointer, size_t length);

/// Zeroes `length` bytes at `pointer` as `lethe_wipe` does and reads them back as `lethe_is_zero`
/// does, a cache-sized chunk at a time (each chunk read while it is still in the level-1 cache).
/// Returns 1 when every byte read back as zero, else 0.
int lethe_wipe_verified(void *pointer, size_t length);

/// Marks the process non-dumpable (prctl PR_SET_DUMPABLE 0). Returns 0 or -errno.
int lethe_set_non_dumpable(void);

/// Returns the current PR_GET_DUMPABLE value, or -errno.
int lethe_get_dumpable(void);

/// Sets RLIMIT_CORE to 0 (soft and hard). Returns 0 or -errno.
int lethe_disable_core_dumps(void);

/// Returns the current soft RLIMIT_CORE, or -1 on error.
long long lethe_core_limit(void);

/// Excludes the range from core dumps (MADV_DONTDUMP). Returns 0 or -errno.
int lethe_madvise_dontdump(void *pointer, size_t length);

/// Maps `length` bytes (whole pages) of private anonymous memory, or returns NULL. From 2 MiB
/// on, the mapping starts on a huge-page boundary and is marked MADV_HUGEPAGE, so that the
/// mlock that follows faults it in 2 MiB at a time instead of 4 KiB (a fraction of the page-fault
/// handling; the kernel zeroes the same bytes either way); `munmap(pointer, length)` releases it
/// like any mapping.
void *lethe_map_private(size_t length);

/// Moves the pages of `length` bytes at `from` (whole pages, inside one or more mappings) to `to`,
/// replacing whatever was mapped there, with their contents, lock and dump exclusion (mremap with
/// MREMAP_MAYMOVE | MREMAP_FIXED: the page tables move, nothing is copied or zeroed); `from` is
/// unmapped after. Returns 0 or -errno (-ENOSYS where there is no mremap).
int lethe_move_pages(void *from, size_t length, void *to);

/// Which of the pages of `length` bytes at `pointer` (page-aligned) hold a page now (mincore):
/// one byte per page in `residency`, bit 0 set when resident. For a shared memory file's mapping,
/// whether the file has a page there, mapped in this process or not (a hole punched in the file
/// has none). Returns 0 or -errno.
int lethe_resident_pages(const void *pointer, size_t length, unsigned char *residency);

/// Locks the range in RAM so that it is never swapped. Returns 0 or -errno.
int lethe_mlock(const void *pointer, size_t length);

/// Unlocks a range locked with lethe_mlock. Returns 0 or -errno.
int lethe_munlock(const void *pointer, size_t length);

/// 1 when freed heap memory is zeroed (the interposed free/realloc), 0 when disabled by
/// LETHE_UNSAFE_DISABLE_HEAP_SCRUB=1.
int lethe_heap_scrub_enabled(void);

/// Zeroes `size` bytes at `pointer` as the zero-on-free `free` does: whole below 256 KiB; from
/// there on the partial pages at either end whole and, in between, only the pages resident in
/// RAM (`mincore`): a page never written holds nothing. Everything when residency is unknown
/// or the host has swap.
void lethe_scrub_block(void *pointer, size_t size);

/// 1 when `lethe_scrub_block` skips a large block's non-resident pages: on a host without swap,
/// where such a page was never written. With swap (read before main) every block is wiped whole.
int lethe_scrub_skips_untouched_pages(void);

/// 1 when blocks freed through glib's slice allocator reach the zero-on-free `free` (the
/// `lethe` executable re-executes itself with G_SLICE=always-malloc; glib >= 2.76 always does),
/// or when glib is not in the process; 0 when GSlice keeps freed blocks, contents intact.
int lethe_glib_slices_reach_free(void);

/// Applies a Landlock ruleset to the calling thread (and threads it creates later) that forbids
/// every filesystem write except beneath `writable_directory`; with ABI >= 4 every TCP bind except
/// to `bind_ports` and every TCP connect; with ABI >= 6 abstract Unix sockets and signals outside
/// the domain. Sets no_new_privs first. Returns the Landlock ABI version used (>= 1) on success,
/// 0 when the kernel has no Landlock, or -errno on failure.
int lethe_landlock_restrict(const char *writable_directory, const uint16_t *bind_ports, size_t bind_port_count);
// As above, and TCP connects allowed to `connect_ports` only (the worker's witnesses).
int lethe_landlock_restrict_ports(
    const char *writable_directory, const uint16_t *bind_ports, size_t bind_port_count,
    const uint16_t *connect_ports, size_t connect_port_count);

/// 1 when a TCP connect is refused by Landlock (EACCES), checked by trying one to loopback port 9.
int lethe_landlock_verify_network(void);

/// 1 when sending a signal outside the process is refused (EPERM), checked on pid 1 with signal 0.
/// Also 1 for a non-root process without Landlock (it may not signal init anyway).
int lethe_landlock_verify_signal_scope(void);

/// Number of threads in this process (entries of /proc/self/task), or -1.
int lethe_thread_count(void);

/// Zeroes `length` bytes of the calling thread's stack below the caller's frame: the dead frames
/// in which codecs and filters left pieces of what they processed. `length` must fit the
/// thread's stack with room to spare (the pipeline uses 256 KiB of stacks of 8 MiB or more).
void lethe_wipe_stack_below(size_t length);

/// The system page size.
size_t lethe_page_size(void);

/// Bytes the allocator has handed out and not taken back (glibc `mallinfo2`: in-use arena
/// bytes plus mmapped blocks, all arenas); 0 where that is not available. For tests that show
/// memory does not grow.
size_t lethe_allocated_bytes(void);

/// Makes glibc map every block of at least `threshold` bytes on its own and unmap it at free, and
/// give the heap's free top back above `trim` bytes; fixing the threshold also stops glibc from
/// raising it after each large free (up to 32 MiB), which kept freed request-sized blocks
/// resident. Returns 0, or -EINVAL where mallopt refused or is not glibc's.
int lethe_return_large_blocks(size_t threshold, size_t trim);

/// Gives the heap's free pages back to the kernel (glibc's malloc_trim(0): the free top with
/// `brk`, free pages inside it with madvise(MADV_DONTNEED)). Returns 1 when memory was released,
/// 0 when none was, -EINVAL where the allocator is not glibc's.
int lethe_trim_heap(void);

/// The path of the loaded shared object (or executable) that defines `symbol`, e.g. "vips_init",
/// into `path` (NUL-terminated, at most `size` bytes). Returns 0, or -1 when no loaded object
/// defines it or the path does not fit.
int lethe_library_path(const char *symbol, char *path, size_t size);

// The gateway <-> engine boundary (engine_channel.c).

/// A memory file for plaintext that crosses to an engine process, `length` bytes, close-on-exec:
/// with `prefer_secret`, memfd_secret where the kernel has it (`*is_secret` = 1), else a memfd
/// sealed against growing and shrinking. Returns the descriptor or -errno.
int lethe_plaintext_memfd(size_t length, int prefer_secret, int *is_secret);

/// The size of the file behind `fd`, or -errno.
long long lethe_fd_size(int fd);

/// Maps `length` bytes of `fd` shared and writable; NULL on failure.
void *lethe_map_shared(int fd, size_t length);

/// A close-on-exec AF_UNIX SOCK_SEQPACKET pair. Returns 0 or -errno.
int lethe_socketpair(int fds[2]);

/// Sends one frame, with `fd` attached (SCM_RIGHTS) unless it is -1. Returns bytes sent or -errno.
long lethe_send_frame(int socket, const void *bytes, size_t length, int fd);

/// Receives one frame of at most `capacity` bytes and the descriptor attached to it (or -1), waiting
/// at most `timeout_ms` (-1: the timeout set last). Returns bytes received (0 at end of stream),
/// -ETIMEDOUT, -EMSGSIZE for a frame or descriptor list cut short, or -errno.
long lethe_receive_frame(int socket, void *bytes, size_t capacity, int *fd, int timeout_ms);

/// Starts `path` with `argv` and exactly `envp`, with /dev/null on fd 0, `log_fd` on 1 and 2,
/// `channel` on 3 and no other descriptor. Returns 0 and the pid, or -errno.
int lethe_spawn_engine(const char *path, char *const argv[], char *const envp[], int channel, int log_fd, int *pid);

/// SIGKILLs `pid` and waits for it. Returns its wait status or -errno.
int lethe_kill_and_reap(int pid);

/// At the start of an engine process: SIGTERM, SIGINT and SIGPIPE ignored (the gateway stops it by
/// closing its channel, or SIGKILL), one malloc arena, the time zone loaded. Returns 0 or -errno.
int lethe_engine_prepare(void);

/// Locks the calling engine process down for good: PR_SET_NO_NEW_PRIVS, Landlock handling every
/// filesystem and TCP right with none granted (`*landlock_abi` = the ABI, 0 without Landlock), and
/// a seccomp-bpf allow-list on every thread (TSYNC); any other call kills the process (SIGSYS).
/// Returns 0 or -errno (-ENOSYS on an architecture without a list: x86_64 and aarch64 have one).
int lethe_engine_lock_down(int *landlock_abi);

/// The calling thread's seccomp mode (PR_GET_SECCOMP: 0 none, 2 filter), or -errno.
int lethe_seccomp_mode(void);

/// Makes the system call named ("openat" or "socket") for the lock-down's test; returns its
/// result if the process survives it.
int lethe_engine_forbidden_call(const char *name);

#endif
