// Runs in the `lethe` executable before main, before Swift, and decides how glib allocates.
//
// glib < 2.76 (Debian bookworm has 2.74) keeps freed GSlice blocks in its own magazines, where
// the zero-on-free `free` never sees them, unless G_SLICE=always-malloc is in the environment
// when glib initialises. glib initialises in its library constructor, before any code of ours
// runs, so a setenv at start-up is too late: it made the flag appear set while every slice
// kept its contents. The only reliable way is an environment that has it from exec on, so the
// process re-executes itself once with it. /proc/self/exe is the binary that is running now.
//
// The same environment points TMPDIR at a directory that does not exist (the "no disk" promise:
// a temp-file attempt by libvips or glib fails loudly instead of writing photo data). It holds
// from exec on, before any library can read or cache it, for every lethe process (the worker,
// its engine processes, the embedded worker of `lethe analyze`), and /proc/PID/environ shows it.
//
// And VIPSHOME at a prefix that does not exist, so that libvips' start-up loads none of the
// modules beside it (ImageMagick, poppler, OpenSlide, JPEG XL: 21 libraries mapped, and relocated,
// in a process that parses uploads, whose loaders were only blocked); VipsRuntime then loads the
// one module Lethe decodes with, HEIF, by its path.
// Only the executable does this: a process that merely links the libraries (the test bundle)
// keeps its own TMPDIR.

#define _GNU_SOURCE
#include "lethe_launch.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int relaunch_failed = 0;

static int environment_has(const char *name, const char *value) {
    const char *current = getenv(name);
    return current != NULL && strcmp(current, value) == 0;
}

__attribute__((constructor(101)))
static void lethe_launch_with_glib_on_malloc(int argc, char **argv, char **envp) {
    (void)argc;
    (void)envp;
    if (environment_has("G_SLICE", "always-malloc") && environment_has("TMPDIR", LETHE_NO_TEMPORARY_DIRECTORY)
        && environment_has("VIPSHOME", LETHE_VIPS_HOME_WITHOUT_MODULES)) {
        return;
    }
    if (setenv("G_SLICE", "always-malloc", 1) != 0 || setenv("TMPDIR", LETHE_NO_TEMPORARY_DIRECTORY, 1) != 0
        || setenv("VIPSHOME", LETHE_VIPS_HOME_WITHOUT_MODULES, 1) != 0) {
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
