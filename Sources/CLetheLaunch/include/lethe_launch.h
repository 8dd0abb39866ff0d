#ifndef LETHE_LAUNCH_H
#define LETHE_LAUNCH_H

/// 1 when the `lethe` executable could not re-execute itself with G_SLICE=always-malloc in its
/// environment (so glib's slice allocator may keep freed blocks unscrubbed), else 0.
int lethe_launch_relaunch_failed(void);

#endif
