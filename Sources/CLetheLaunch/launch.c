// Runs in the `lethe` executable before main, before Swift, and decides how glib allocates.
//
// glib < 2.76 (Debian bookworm has 2.74) keeps freed GSlice blocks in its own magazines, where
// the zero-on-free `free` never sees them, unless G_SLICE=always-malloc is in the environment
// when glib initialises. glib initialises in its library constructor, before any code of ours
// runs, so a setenv at start-up is too late: it made the flag appear set while every slice
// kept its contents. The only reliable way is an environment that has it from exec on, so the
// process re-executes itself once with it. /proc/self/exe is the binary that is running now.

#define _GNU_SOURCE
#include "lethe_launch.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int relaunch_failed = 0;

__attribute__((constructor(101)))
static void lethe_launch_with_glib_on_malloc(int argc, char **argv, char **envp) {
    (void)argc;
    (void)envp;
    const char *slice = getenv("G_SLICE");
    if (slice != NULL && strcmp(slice, "always-malloc") == 0) {
        return;
    }
    if (setenv("G_SLICE", "always-malloc", 1) != 0) {
        relaunch_failed = 1;
        return;
    }
    execv("/proc/self/exe", argv);
    // Only reached when exec failed (no /proc): carry on; the slice probe reports it.
    relaunch_failed = 1;
}

int lethe_launch_relaunch_failed(void) {
    return relaunch_failed;
}
