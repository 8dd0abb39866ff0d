// Landlock (Linux >= 5.13): the worker forbids itself every filesystem write outside the ledger
// directory, so no bug, library or crafted file can make it leave plaintext on disk; where the
// kernel has them, also every TCP bind but its own ports and every TCP connect (ABI 4), and
// abstract Unix sockets and signals outside its own domain (ABI 6).

#define _GNU_SOURCE
#include "lethe_system.h"

// Landlock and /proc are Linux: elsewhere (a device app on an Apple platform linking LetheClient)
// the sandbox is unavailable and says so (-ENOSYS), which the worker treats as a loud degradation.
#if defined(__linux__)

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif

// The uapi of ABI 4 and 6 (Linux 6.7, 6.12), which bookworm's kernel headers predate.
struct lethe_landlock_ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;  // ABI 4
    uint64_t scoped;              // ABI 6
};
struct lethe_landlock_net_port_attr {
    uint64_t allowed_access;
    uint64_t port;
};
#define LETHE_LANDLOCK_RULE_NET_PORT 2
#define LETHE_LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)
#define LETHE_LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#define LETHE_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define LETHE_LANDLOCK_SCOPE_SIGNAL (1ULL << 1)

int lethe_landlock_restrict(const char *writable_directory, const uint16_t *bind_ports, size_t bind_port_count) {
    return lethe_landlock_restrict_ports(writable_directory, bind_ports, bind_port_count, NULL, 0);
}

int lethe_landlock_restrict_ports(
    const char *writable_directory, const uint16_t *bind_ports, size_t bind_port_count,
    const uint16_t *connect_ports, size_t connect_port_count) {
    int abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    if (abi < 0) {
        return (errno == ENOSYS || errno == EOPNOTSUPP) ? 0 : -errno;
    }
    // Every right that changes the filesystem; reads and execution stay unrestricted.
    uint64_t writes = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR
        | LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR
        | LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO
        | LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
    if (abi >= 2) writes |= LANDLOCK_ACCESS_FS_REFER;
    if (abi >= 3) writes |= LANDLOCK_ACCESS_FS_TRUNCATE;

    struct lethe_landlock_ruleset_attr ruleset_attr = { .handled_access_fs = writes };
    size_t attr_size = sizeof(uint64_t);
    if (abi >= 4) {
        // The worker listens, and connects only to its witnesses' ports (connect_ports).
        ruleset_attr.handled_access_net = LETHE_LANDLOCK_ACCESS_NET_BIND_TCP | LETHE_LANDLOCK_ACCESS_NET_CONNECT_TCP;
        attr_size = 2 * sizeof(uint64_t);
    }
    if (abi >= 6) {
        ruleset_attr.scoped = LETHE_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LETHE_LANDLOCK_SCOPE_SIGNAL;
        attr_size = sizeof(ruleset_attr);
    }
    int ruleset = (int)syscall(SYS_landlock_create_ruleset, &ruleset_attr, attr_size, 0);
    if (ruleset < 0) return -errno;

    int result = abi;
    int directory = open(writable_directory, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (directory < 0) {
        result = -errno;
        goto done;
    }
    struct landlock_path_beneath_attr beneath = { .allowed_access = writes, .parent_fd = directory };
    if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &beneath, 0) != 0) {
        result = -errno;
        goto close_directory;
    }
    for (size_t index = 0; abi >= 4 && index < bind_port_count; index++) {
        // Port 0 (a free port chosen by the kernel) is allowed by a rule for port 0.
        struct lethe_landlock_net_port_attr port = { .allowed_access = LETHE_LANDLOCK_ACCESS_NET_BIND_TCP, .port = bind_ports[index] };
        if (syscall(SYS_landlock_add_rule, ruleset, LETHE_LANDLOCK_RULE_NET_PORT, &port, 0) != 0) {
            result = -errno;
            goto close_directory;
        }
    }
    for (size_t index = 0; abi >= 4 && index < connect_port_count; index++) {
        struct lethe_landlock_net_port_attr port = { .allowed_access = LETHE_LANDLOCK_ACCESS_NET_CONNECT_TCP, .port = connect_ports[index] };
        if (syscall(SYS_landlock_add_rule, ruleset, LETHE_LANDLOCK_RULE_NET_PORT, &port, 0) != 0) {
            result = -errno;
            goto close_directory;
        }
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        result = -errno;
    } else if (syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) {
        result = -errno;
    }
close_directory:
    close(directory);
done:
    close(ruleset);
    return result;
}

int lethe_thread_count(void) {
    DIR *tasks = opendir("/proc/self/task");
    if (tasks == NULL) return -1;
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(tasks)) != NULL) {
        if (entry->d_name[0] != '.') count++;
    }
    closedir(tasks);
    return count;
}

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

int lethe_landlock_verify_network(void) {
    // Landlock refuses a connect with EACCES before the network stack sees it; unconfined, a
    // connect to a closed loopback port gets ECONNREFUSED. Port 9 (discard) is closed here.
    int sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0) return 0;
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(9) };
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int refused = connect(sock, (struct sockaddr *)&address, sizeof(address)) != 0 && errno == EACCES;
    close(sock);
    return refused;
}

int lethe_landlock_verify_signal_scope(void) {
    // Signal 0 to init checks permission only: EPERM under the signal scope, allowed to root without it.
    return kill(1, 0) != 0 && errno == EPERM;
}

#else
#include <errno.h>

int lethe_landlock_restrict(const char *writable_directory, const uint16_t *bind_ports, size_t bind_port_count) {
    (void)writable_directory; (void)bind_ports; (void)bind_port_count;
    return -ENOSYS;
}

int lethe_landlock_restrict_ports(
    const char *writable_directory, const uint16_t *bind_ports, size_t bind_port_count,
    const uint16_t *connect_ports, size_t connect_port_count) {
    (void)writable_directory; (void)bind_ports; (void)bind_port_count; (void)connect_ports; (void)connect_port_count;
    return -ENOSYS;
}

int lethe_thread_count(void) {
    return -1;
}

int lethe_landlock_verify_network(void) {
    return 0;
}

int lethe_landlock_verify_signal_scope(void) {
    return 0;
}
#endif
