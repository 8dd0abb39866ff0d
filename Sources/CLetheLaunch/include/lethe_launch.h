#ifndef LETHE_LAUNCH_H
#define LETHE_LAUNCH_H

/// The TMPDIR every lethe process runs with: it does not exist, and nothing may create it (the
/// worker's Landlock rules forbid writes outside the ledger directory). The same path as
/// `ProcessHardening.noTemporaryDirectory`, which the tests compare with a worker's environment.
#define LETHE_NO_TEMPORARY_DIRECTORY "/nonexistent/lethe-no-temp-files"

/// The VIPSHOME every lethe process runs with: a prefix that does not exist, so that libvips
/// loads no module from beside itself (`VipsRuntime` loads the HEIF one). The same path as
/// `VipsRuntime.homeWithoutModules`.
#define LETHE_VIPS_HOME_WITHOUT_MODULES "/nonexistent/lethe-no-vips-modules"

/// 1 when the `lethe` executable could not re-execute itself with G_SLICE=always-malloc and
/// TMPDIR=LETHE_NO_TEMPORARY_DIRECTORY in its environment (so glib's slice allocator may keep
/// freed blocks unscrubbed), else 0.
int lethe_launch_relaunch_failed(void);

#endif
