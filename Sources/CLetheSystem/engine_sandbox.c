// The engine's lock-down (issue 14, step 2), applied once it has loaded libvips, its models and
// every codec: no new privileges, Landlock with no filesystem or network rights, and a seccomp-bpf
// allow-list of the system calls its request loop makes. Everything else kills the process.
//
// The allow-list was measured, not guessed: `strace -f` of engines serving a 12-megapixel JPEG
// with every skin rendering, a face with landmarks and WebP renderings, a scalp with PNG
// renderings, a WebP and a two-photo session (README, "Decoders without keys"). A few calls the
// trace did not show are allowed for a stated reason (marked below).

#define _GNU_SOURCE
#include "lethe_system.h"

#if defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__))

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define LETHE_AUDIT_ARCH AUDIT_ARCH_X86_64
#else
#define LETHE_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif
#ifndef __NR_memfd_secret
#define __NR_memfd_secret 447
#endif
#ifndef __NR_clone3
#define __NR_clone3 435
#endif
#ifndef __NR_rseq
#define __NR_rseq 334
#endif

// The calls an engine makes after lock-down.
static const int allowed_calls[] = {
    // The channel and its memory files.
    __NR_recvmsg, __NR_sendmsg, __NR_close, __NR_memfd_secret, __NR_memfd_create, __NR_ftruncate, __NR_fcntl, __NR_fstat,
    // Memory: buffers (mmap, mlock, MADV_DONTDUMP), malloc (brk: not in the trace, the main arena
    // grows with it; mremap: not in the trace, glibc's realloc of large blocks uses it).
    __NR_mmap, __NR_munmap, __NR_mprotect, __NR_madvise, __NR_mlock, __NR_munlock, __NR_brk, __NR_mremap,
    // mincore: the zero-on-free `free` asks which pages of a large freed block are resident, to
    // skip the ones never written (heap_scrub.c); it reads the residency of the caller's own
    // mappings and nothing else.
    __NR_mincore,
    // Threads (libvips workers): futexes, glibc's thread start-up, CPU clocks of the deadline.
    __NR_futex, __NR_set_robust_list, __NR_rseq, __NR_gettid, __NR_getpid, __NR_sched_yield, __NR_sched_getaffinity,
    __NR_clock_gettime, __NR_rt_sigprocmask, __NR_rt_sigaction, __NR_rt_sigreturn, __NR_getrandom,
    // Leaving: a thread, the process; `write` for the one line an engine writes to stderr before it exits.
    __NR_exit, __NR_exit_group, __NR_write,
};

#define ALLOW BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
#define KILL BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS)

static int install_filter(void) {
    enum { calls = sizeof(allowed_calls) / sizeof(allowed_calls[0]) };
    struct sock_filter program[8 + 2 * calls + 16];
    size_t length = 0;
    // Another architecture's calls have other numbers: kill.
    program[length++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    program[length++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, LETHE_AUDIT_ARCH, 1, 0);
    program[length++] = (struct sock_filter)KILL;
    program[length++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
#if defined(__x86_64__)
    // x32 calls (the same numbers with bit 30 set) are another ABI: kill.
    program[length++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1);
    program[length++] = (struct sock_filter)KILL;
#endif
    for (size_t index = 0; index < calls; index++) {
        program[length++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)allowed_calls[index], 0, 1);
        program[length++] = (struct sock_filter)ALLOW;
    }
    // clone3's flags are in memory, out of the filter's sight: ENOSYS makes glibc use clone,
    // whose flags it can see, and which may only start threads (CLONE_THREAD), not processes.
    program[length++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 0, 1);
    program[length++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
    program[length++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 4);
    program[length++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]));
    program[length++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_THREAD, 0, 1);
    program[length++] = (struct sock_filter)ALLOW;
    program[length++] = (struct sock_filter)KILL;
    // prctl only names threads ("libvips worker").
    program[length++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_prctl, 0, 3);
    program[length++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]));
    program[length++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PR_SET_NAME, 0, 1);
    program[length++] = (struct sock_filter)ALLOW;
    program[length++] = (struct sock_filter)KILL;
    struct sock_fprog filter = { .len = (unsigned short)length, .filter = program };
    // TSYNC: every thread of the process (libvips' workers started during warm-up) gets the filter.
    long result = syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &filter);
    if (result < 0) return -errno;
    return result == 0 ? 0 : -EBUSY;
}

// The uapi of Landlock ABI 4 and 6, which bookworm's kernel headers predate (as in landlock.c).
struct lethe_engine_ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;
    uint64_t scoped;
};

static int restrict_landlock(void) {
    int abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    if (abi < 0) return (errno == ENOSYS || errno == EOPNOTSUPP) ? 0 : -errno;
    // Every filesystem right the kernel knows, and no rule granting any: no file can be opened,
    // executed, listed, created or changed.
    uint64_t filesystem = (1ULL << 13) - 1;  // EXECUTE … MAKE_SYM (ABI 1)
    if (abi >= 2) filesystem |= 1ULL << 13;  // REFER
    if (abi >= 3) filesystem |= 1ULL << 14;  // TRUNCATE
    if (abi >= 5) filesystem |= 1ULL << 15;  // IOCTL_DEV
    struct lethe_engine_ruleset_attr attributes = { .handled_access_fs = filesystem };
    size_t size = sizeof(uint64_t);
    if (abi >= 4) {
        attributes.handled_access_net = 3;  // BIND_TCP | CONNECT_TCP, with no port allowed
        size = 2 * sizeof(uint64_t);
    }
    if (abi >= 6) {
        attributes.scoped = 3;  // abstract Unix sockets and signals outside the engine
        size = sizeof(attributes);
    }
    int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attributes, size, 0);
    if (ruleset < 0) return -errno;
    int result = syscall(SYS_landlock_restrict_self, ruleset, 0) == 0 ? abi : -errno;
    close(ruleset);
    return result;
}

int lethe_engine_lock_down(int *landlock_abi) {
    *landlock_abi = 0;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -errno;
    int landlock = restrict_landlock();
    if (landlock < 0) return landlock;
    *landlock_abi = landlock;
    return install_filter();
}

int lethe_seccomp_mode(void) {
    return prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
}

int lethe_engine_forbidden_call(const char *name) {
    if (strcmp(name, "openat") == 0) return (int)syscall(__NR_openat, AT_FDCWD, "/etc/hostname", O_RDONLY);
    if (strcmp(name, "socket") == 0) return (int)syscall(__NR_socket, AF_INET, SOCK_STREAM, 0);
    return -EINVAL;
}

#else
#include <errno.h>
// Elsewhere no engine can be locked down: it says so, and the gateway refuses to use it.
int lethe_engine_lock_down(int *landlock_abi) { *landlock_abi = 0; return -ENOSYS; }
int lethe_seccomp_mode(void) { return -ENOSYS; }
int lethe_engine_forbidden_call(const char *name) { (void)name; return -ENOSYS; }
#endif
