// The gateway ↔ engine boundary (issue 14): the shared memory plaintext crosses in, the framed
// control channel beside it, and the spawn of an engine process that inherits nothing but that
// channel. All of it is system calls Swift cannot make directly (variadic, cmsg macros, spawn
// file actions).

#define _GNU_SOURCE
#include "lethe_system.h"

#if defined(__linux__)

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <time.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_memfd_secret
#define SYS_memfd_secret 447
#endif

int lethe_plaintext_memfd(size_t length, int prefer_secret, int *is_secret) {
    *is_secret = 0;
    // memfd_secret: pages removed from the kernel's direct map, unreachable by other processes
    // (even root through /proc/PID/mem) and never swapped. Off on kernels without it, or with
    // secretmem disabled (ENOSYS, EINVAL, EPERM, ENOMEM): then a sealed memfd, mapped and mlocked.
    int fd = prefer_secret ? (int)syscall(SYS_memfd_secret, (unsigned long)O_CLOEXEC) : -1;
    if (fd >= 0) {
        if (ftruncate(fd, (off_t)length) == 0) {
            *is_secret = 1;
            return fd;
        }
        close(fd);
    }
    fd = memfd_create("lethe-plaintext", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) return -errno;
    if (ftruncate(fd, (off_t)length) != 0
        || fcntl(fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) != 0) {
        int error = errno;
        close(fd);
        return -error;
    }
    return fd;
}

long long lethe_fd_size(int fd) {
    // fstat itself, not glibc's wrapper (newfstatat with a path): the engine's filter allows only
    // the call on a descriptor. lseek does not work on memfd_secret files.
    struct stat status;
    return syscall(SYS_fstat, fd, &status) != 0 ? -errno : (long long)status.st_size;
}

void *lethe_map_shared(int fd, size_t length) {
    void *pointer = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    return pointer == MAP_FAILED ? NULL : pointer;
}

int lethe_socketpair(int fds[2]) {
    // SOCK_SEQPACKET: each frame arrives whole or not at all, with its file descriptor.
    return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) == 0 ? 0 : -errno;
}

long lethe_send_frame(int socket, const void *bytes, size_t length, int fd) {
    struct iovec vector = { .iov_base = (void *)bytes, .iov_len = length };
    union {
        char buffer[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof(control));
    struct msghdr message = { .msg_iov = &vector, .msg_iovlen = 1 };
    if (fd >= 0) {
        message.msg_control = control.buffer;
        message.msg_controllen = sizeof(control.buffer);
        struct cmsghdr *header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(header), &fd, sizeof(int));
    }
    ssize_t sent;
    do {
        sent = sendmsg(socket, &message, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    return sent < 0 ? -errno : (long)sent;
}

long lethe_receive_frame(int socket, void *bytes, size_t capacity, int *fd, int timeout_ms) {
    *fd = -1;
    if (timeout_ms >= 0) {
        struct timeval timeout = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
        if (setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) != 0) return -errno;
    }
    struct iovec vector = { .iov_base = bytes, .iov_len = capacity };
    union {
        char buffer[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    struct msghdr message = { .msg_iov = &vector, .msg_iovlen = 1, .msg_control = control.buffer, .msg_controllen = sizeof(control.buffer) };
    ssize_t received;
    do {
        received = recvmsg(socket, &message, MSG_CMSG_CLOEXEC);
    } while (received < 0 && errno == EINTR);
    if (received < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
    for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header != NULL; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_RIGHTS) {
            size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            int descriptors[count > 0 ? count : 1];
            memcpy(descriptors, CMSG_DATA(header), count * sizeof(int));
            for (size_t index = 0; index < count; index++) {
                if (*fd < 0) *fd = descriptors[index]; else close(descriptors[index]);
            }
        }
    }
    // A frame larger than the buffer or a descriptor cut short breaks the protocol.
    if (message.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
        if (*fd >= 0) close(*fd);
        *fd = -1;
        return -EMSGSIZE;
    }
    return (long)received;
}

int lethe_spawn_engine(const char *path, char *const argv[], char *const envp[], int channel, int log_fd, int *pid) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    if (posix_spawn_file_actions_init(&actions) != 0) return -ENOMEM;
    if (posix_spawnattr_init(&attributes) != 0) {
        posix_spawn_file_actions_destroy(&actions);
        return -ENOMEM;
    }
    // The child starts with default signal handling and nothing blocked, whatever the gateway
    // (NIO, ServiceLifecycle) set up for itself.
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setsigdefault(&attributes, &all);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    // fd 0 is /dev/null, 1 and 2 the gateway's log (`log_fd`), 3 the channel, and nothing else:
    // every key file, socket and ledger descriptor of the gateway stays behind. (/dev/null is not
    // opened for writing: the gateway's Landlock rules forbid writes outside its ledger directory.)
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, log_fd, 1);
    posix_spawn_file_actions_adddup2(&actions, log_fd, 2);
    posix_spawn_file_actions_adddup2(&actions, channel, 3);
    posix_spawn_file_actions_addclosefrom_np(&actions, 4);
    pid_t child = 0;
    int result = posix_spawn(&child, path, &actions, &attributes, argv, envp);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (result != 0) return -result;
    *pid = (int)child;
    return 0;
}

int lethe_kill_and_reap(int pid) {
    kill(pid, SIGKILL);
    int status = 0;
    pid_t reaped;
    do {
        reaped = waitpid(pid, &status, 0);
    } while (reaped < 0 && errno == EINTR);
    return reaped < 0 ? -errno : status;
}

int lethe_engine_prepare(void) {
    // The gateway drains on SIGTERM/SIGINT and stops its engines last: a signal sent to the whole
    // group (a terminal's Ctrl-C, a container runtime) must not end an engine mid-request. An
    // engine ends when its channel closes, which the kernel does when the gateway dies.
    // (PR_SET_PDEATHSIG would follow the gateway *thread* that spawned it, not the process.)
    if (signal(SIGTERM, SIG_IGN) == SIG_ERR || signal(SIGINT, SIG_IGN) == SIG_ERR || signal(SIGPIPE, SIG_IGN) == SIG_ERR) return -errno;
    // One malloc arena: glibc shrinks the heaps of other arenas after large frees and reads
    // /proc/sys/vm/overcommit_memory the first time it does, which the sandbox would punish
    // (a 12-megapixel photo did). The engine runs one request at a time; the main arena serves.
    if (mallopt(M_ARENA_MAX, 1) != 1) return -EINVAL;
    // The time zone (TZ from the gateway: UTC) is read now; with TZ fixed, glibc never looks at
    // a zone file again (without TZ it checks /etc/localtime at every localtime()).
    tzset();
    return 0;
}

#else
#include <errno.h>
int lethe_plaintext_memfd(size_t length, int prefer_secret, int *is_secret) { (void)length; (void)prefer_secret; *is_secret = 0; return -ENOSYS; }
long long lethe_fd_size(int fd) { (void)fd; return -ENOSYS; }
void *lethe_map_shared(int fd, size_t length) { (void)fd; (void)length; return 0; }
int lethe_socketpair(int fds[2]) { (void)fds; return -ENOSYS; }
long lethe_send_frame(int socket, const void *bytes, size_t length, int fd) { (void)socket; (void)bytes; (void)length; (void)fd; return -ENOSYS; }
long lethe_receive_frame(int socket, void *bytes, size_t capacity, int *fd, int timeout_ms) { (void)socket; (void)bytes; (void)capacity; (void)timeout_ms; *fd = -1; return -ENOSYS; }
int lethe_spawn_engine(const char *path, char *const argv[], char *const envp[], int channel, int log_fd, int *pid) { (void)path; (void)argv; (void)envp; (void)channel; (void)log_fd; (void)pid; return -ENOSYS; }
int lethe_kill_and_reap(int pid) { (void)pid; return -ENOSYS; }
int lethe_engine_prepare(void) { return -ENOSYS; }
#endif
