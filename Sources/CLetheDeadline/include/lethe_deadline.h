#ifndef LETHE_DEADLINE_H
#define LETHE_DEADLINE_H

// A request's processing deadline, enforced inside libvips and libjpeg.
//
// libvips calls an image's "eval" signal between tiles of every pipeline it computes; the handler
// installed by lethe_deadline_watch sets the image's kill flag once the deadline has passed, and
// libvips then stops that computation with an error. libjpeg's multi-scan pass (progressive
// files) runs inside one jpeg_start_decompress call before libvips sees a tile: the definition of
// jpeg_start_decompress in this target interposes libjpeg's (like the scrubbing free in
// CLetheSystem), adds a progress monitor and aborts the pass through libjpeg's own error exit.

#include <stdint.h>

typedef struct lethe_deadline lethe_deadline;

/// A deadline `wall_limit_ns` from now (CLOCK_MONOTONIC) with a CPU budget of `cpu_limit_ns`
/// (<= 0: none). NULL when out of memory. Registered process-wide until destroyed, so that
/// libjpeg's monitor knows the latest deadline any request still has.
lethe_deadline *lethe_deadline_create(int64_t wall_limit_ns, int64_t cpu_limit_ns);

/// Unregisters and frees. The caller guarantees that no libvips computation watched with it runs.
void lethe_deadline_destroy(lethe_deadline *deadline);

/// Charges CPU time from now on to the calling thread's CPU clock (the thread doing the request's
/// work). Until called, only the wall clock counts.
void lethe_deadline_bind_thread(lethe_deadline *deadline);

/// The calling thread's deadline for cooperative checks in pure-Swift loops (analysis), or NULL.
/// Set by lethe_deadline_bind_thread, cleared by lethe_deadline_unbind_thread.
void lethe_deadline_unbind_thread(void);

/// lethe_deadline_state of the calling thread's deadline; 0 when it has none.
int lethe_deadline_current_state(void);

/// Marks the start and the end of a libvips call made by the bound thread. While it blocks in
/// libvips, the thread uses no CPU of its own but libvips' worker does: the wall time of the call
/// is charged instead, an upper bound because libvips runs one worker per pipeline (concurrency 1).
void lethe_deadline_enter_codec(lethe_deadline *deadline);
void lethe_deadline_leave_codec(lethe_deadline *deadline);

/// Marks the start of a libvips computation that the bound thread runs itself (a strip pull, no
/// worker thread). Charged like lethe_deadline_enter_codec, its wall time in place of the
/// thread's own CPU meanwhile (not both): libjpeg's monitor, which sees the CPU budget left as a
/// wall deadline, and lethe_deadline_state then agree when the monitor stops a pass. Ended with
/// lethe_deadline_leave_codec. libjpeg's monitor judges a pass the thread runs meanwhile by this
/// deadline alone (not by the latest of every live request's, as on a libvips worker thread).
void lethe_deadline_enter_codec_on_calling_thread(lethe_deadline *deadline);

/// Marks the start and the end of a libvips computation that the calling thread runs itself for
/// a caller without a deadline (a tool's or a test's decode): libjpeg's monitor stops its passes
/// only at the codec pass cap, never because other requests' deadlines have passed.
void lethe_deadline_enter_codec_without_deadline(void);
void lethe_deadline_leave_codec_without_deadline(void);

/// One step (a strip) of a computation the caller drives itself, which libvips does not report:
/// counted as a progress report (lethe_deadline_expire_at_progress_call applies), and, when the
/// deadline has passed, as an interruption. Returns lethe_deadline_state; the caller stops on != 0.
int lethe_deadline_report_progress(lethe_deadline *deadline);

/// 0 while within the deadline, 1 when the wall clock passed it, 2 when the CPU budget is spent,
/// 3 when it was ended early with lethe_deadline_expire. Callable from any thread.
int lethe_deadline_state(const lethe_deadline *deadline);

/// Ends the deadline now (shutdown, or a test that waits for a computation to be under way).
void lethe_deadline_expire(lethe_deadline *deadline);

/// Ends the deadline from inside libvips' `call`-th progress report on a watched computation
/// (<= 0: never), so the computation is certainly still running when it is told to stop.
void lethe_deadline_expire_at_progress_call(lethe_deadline *deadline, int64_t call);

/// Computations libvips, libjpeg or a strip pull stopped for this deadline.
int64_t lethe_deadline_interruptions(const lethe_deadline *deadline);

/// Progress reports seen (libvips eval signals, strips pulled): evidence that a computation is under way.
int64_t lethe_deadline_progress_calls(const lethe_deadline *deadline);

/// CPU nanoseconds charged so far (see lethe_deadline_enter_codec).
int64_t lethe_deadline_cpu_ns(const lethe_deadline *deadline);

/// Makes libvips signal progress on `image` (a `VipsImage *`) and every image computed from it,
/// and kill the computation in progress once `deadline` has passed. `deadline` must outlive the
/// image's computations. Returns 0, or -1 when `image` is not an image.
int lethe_deadline_watch(lethe_deadline *deadline, void *image);

/// Removes the handler lethe_deadline_watch installed on `image`, so that an image outliving its
/// request can never call into a freed deadline.
void lethe_deadline_unwatch(lethe_deadline *deadline, void *image);

/// The longest one libjpeg multi-scan pass may run when no registered deadline is later, in
/// nanoseconds (<= 0: no such cap). Set once at start from the request deadline.
void lethe_deadline_set_codec_pass_limit(int64_t limit_ns);

/// libjpeg passes aborted by the monitor since the process started.
int64_t lethe_deadline_codec_passes_aborted(void);

// MARK: - The worker's cores, and a request's helper threads
//
// A core ledger is `cores` int32 slots, each free (0) or held by an owner (a process id): a
// request's thread holds one while it computes. Shared by the gateway and its engines (a memory
// file), so that together they never start a helper thread while every core is held; a dead
// engine's cores are freed by the gateway (lethe_cores_reclaim). One more slot after them holds
// the requests the worker has (being processed or queued), which the gateway keeps up to date:
// while they are as many as the cores, each request has a core to itself and starts no helper.

/// A new ledger of `cores` free slots in a memory file (close-on-exec); its descriptor or -errno.
int lethe_cores_create(int32_t cores);

/// Maps the ledger of `cores` slots in `fd` (NULL on failure). The descriptor may be closed after.
int32_t *lethe_cores_map(int fd, int32_t cores);

/// A ledger of `cores` slots for this process alone (in-process analysis, tests); NULL on failure.
int32_t *lethe_cores_map_private(int32_t cores);

void lethe_cores_unmap(int32_t *ledger, int32_t cores);

/// Frees every slot `owner` holds (an engine that died while computing).
void lethe_cores_reclaim(int32_t *ledger, int32_t cores, int32_t owner);

/// Slots held now.
int32_t lethe_cores_held(const int32_t *ledger, int32_t cores);

/// Records the requests the worker has now (processed or queued).
void lethe_cores_set_requests(int32_t *ledger, int32_t cores, int32_t requests);

/// The requests last recorded.
int32_t lethe_cores_requests(const int32_t *ledger, int32_t cores);

/// Lets the request of `deadline` run up to `threads` threads at once on cores of `ledger`, held
/// as `owner`. Call before lethe_deadline_bind_thread: the bound thread then holds a core (when
/// one is free; it runs either way) until lethe_deadline_unbind_thread.
void lethe_deadline_use_cores(lethe_deadline *deadline, int32_t *ledger, int32_t cores, int32_t owner, int32_t threads);

/// The calling thread's deadline, or NULL.
lethe_deadline *lethe_deadline_current(void);

/// Takes a free core for one more thread of the request: a ticket (>= 0), or -1 when the request
/// runs its most threads already, has no ledger, the worker has as many requests as cores, or
/// every core is held.
int lethe_deadline_take_helper(lethe_deadline *deadline);

/// On the helper thread, first: binds `deadline` to it and charges its CPU clock to the request.
void lethe_deadline_start_helper(lethe_deadline *deadline, int ticket);

/// On the helper thread, last: charges the CPU it used and unbinds it.
void lethe_deadline_finish_helper(lethe_deadline *deadline, int ticket);

/// On the thread that took the ticket, once the helper has ended: frees its core.
void lethe_deadline_give_helper(lethe_deadline *deadline, int ticket);

#endif
