// See lethe_deadline.h for what this enforces and why.
#define _GNU_SOURCE
#include "lethe_deadline.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <errno.h>
#include <time.h>

#include <jpeglib.h>
#include <jerror.h>
#include <vips/vips.h>

#define LETHE_HELPERS 16

struct lethe_deadline {
    int64_t wall_deadline_ns;      // CLOCK_MONOTONIC
    int64_t cpu_limit_ns;          // <= 0: none
    atomic_int expired_early;
    // CPU accounting of the bound thread.
    atomic_int bound;
    clockid_t thread_clock;
    int64_t thread_cpu_at_bind_ns;
    // The bound thread's CPU up to its last unbind: a thread that moves on (a pooled thread) or
    // ends, whose clock then runs for other work or no longer reads, is charged no more.
    atomic_llong thread_charged_ns;
    atomic_llong codec_charged_ns;  // wall time of finished libvips calls
    atomic_llong codec_entered_ns;  // start of the libvips call in progress, 0 when none
    // The CPU clock, at the start of a libvips call it runs itself, of the thread that runs it
    // when that thread's CPU is counted (the bound thread, a helper), 0 when none: that call's
    // wall time is charged in place of the thread's CPU meanwhile (not both). One call at a
    // time: a call entered beside another (a helper's decode beside the bound thread's) takes
    // the slot, and the two calls' CPU then stays on the threads' clocks (the calls run on them).
    atomic_llong codec_thread_cpu_at_entry_ns;
    atomic_int codec_thread_clock;  // a clockid_t
    atomic_llong interruptions;
    atomic_llong progress_calls;
    atomic_llong expire_at_progress_call;  // 0 = never (see lethe_deadline_expire_at_progress_call)
    int slot;                       // index in `registered`, -1 when not registered
    // The request's cores (lethe_deadline_use_cores): the ledger, the bound thread's slot in it
    // (-1 when none), the threads it may run and runs now, and its helpers' CPU clocks.
    atomic_int *cores;
    int32_t core_count;
    int32_t core_owner;
    int32_t max_threads;
    int main_core;
    atomic_int threads;
    struct lethe_helper {
        atomic_int state;          // 0 free, 1 taken, 2 running (clock and start valid)
        int core;
        clockid_t clock;
        int64_t cpu_at_start_ns;
    } helpers[LETHE_HELPERS];
    atomic_llong helpers_charged_ns;  // CPU of helpers that have finished
};

static int64_t monotonic_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

static int64_t clock_ns(clockid_t clock) {
    struct timespec now;
    if (clock_gettime(clock, &now) != 0) {
        return 0;
    }
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

// MARK: - Registry: the wall deadlines of every live request, for libjpeg's monitor, which cannot
// tell which request a decompression belongs to (it runs on a libvips worker thread).

#define LETHE_DEADLINE_SLOTS 256
static atomic_llong registered[LETHE_DEADLINE_SLOTS];  // 0 = free
static atomic_llong codec_pass_limit_ns;                // 0 = no cap
static atomic_llong codec_passes_aborted;

/// The latest wall deadline of a live request, or 0 when none is registered.
static int64_t latest_registered_deadline(void) {
    int64_t latest = 0;
    for (int index = 0; index < LETHE_DEADLINE_SLOTS; index++) {
        int64_t value = atomic_load_explicit(&registered[index], memory_order_relaxed);
        if (value > latest) {
            latest = value;
        }
    }
    return latest;
}

lethe_deadline *lethe_deadline_create(int64_t wall_limit_ns, int64_t cpu_limit_ns) {
    lethe_deadline *deadline = calloc(1, sizeof(lethe_deadline));
    if (deadline == NULL) {
        return NULL;
    }
    int64_t now = monotonic_ns();
    deadline->wall_deadline_ns = wall_limit_ns > INT64_MAX - now ? INT64_MAX : now + wall_limit_ns;
    deadline->cpu_limit_ns = cpu_limit_ns;
    deadline->slot = -1;
    deadline->main_core = -1;
    for (int index = 0; index < LETHE_DEADLINE_SLOTS; index++) {
        long long expected = 0;
        if (atomic_compare_exchange_strong(&registered[index], &expected, deadline->wall_deadline_ns)) {
            deadline->slot = index;
            break;
        }
    }
    return deadline;
}

void lethe_deadline_destroy(lethe_deadline *deadline) {
    if (deadline == NULL) {
        return;
    }
    if (deadline->slot >= 0) {
        atomic_store(&registered[deadline->slot], 0);
    }
    free(deadline);
}

static _Thread_local lethe_deadline *current_deadline = NULL;

// The libvips computation the calling thread runs itself (a strip pull), for libjpeg's monitor:
// the request's deadline, or `codec_without_deadline` for one its caller runs with none; NULL
// while the thread runs none (a libvips worker thread), when the monitor falls back to the
// registry. A pass is then judged by its own request's deadline, not by every live request's.
static lethe_deadline codec_without_deadline_marker;
#define codec_without_deadline (&codec_without_deadline_marker)
static _Thread_local lethe_deadline *codec_on_this_thread = NULL;
// Decodes without a deadline in progress in the process: their libvips worker threads (an
// EXIF-rotated load) cannot be told from a request's, so the registry rule waits while any runs.
// Only tools and tests run such decodes beside requests; an engine's warm-up decode runs before any.
static atomic_int codecs_without_deadline = 0;

static int take_core(atomic_int *ledger, int32_t cores, int32_t owner) {
    for (int32_t index = 0; index < cores; index++) {
        int expected = 0;
        if (atomic_load_explicit(&ledger[index], memory_order_relaxed) == 0
            && atomic_compare_exchange_strong(&ledger[index], &expected, owner)) {
            return index;
        }
    }
    return -1;
}

void lethe_deadline_unbind_thread(void) {
    lethe_deadline *deadline = current_deadline;
    if (deadline != NULL && atomic_load(&deadline->bound)) {
        // Charged first, unbound second: a reader in between counts the thread twice for an
        // instant (an upper bound), never not at all.
        atomic_fetch_add(&deadline->thread_charged_ns, clock_ns(deadline->thread_clock) - deadline->thread_cpu_at_bind_ns);
        atomic_store(&deadline->bound, 0);
    }
    if (deadline != NULL && deadline->main_core >= 0) {
        atomic_store(&deadline->cores[deadline->main_core], 0);
        deadline->main_core = -1;
    }
    current_deadline = NULL;
}

lethe_deadline *lethe_deadline_current(void) {
    return current_deadline;
}

int lethe_deadline_current_state(void) {
    return current_deadline == NULL ? 0 : lethe_deadline_state(current_deadline);
}

void lethe_deadline_bind_thread(lethe_deadline *deadline) {
    current_deadline = deadline;
    if (deadline->cores != NULL && deadline->main_core < 0) {
        deadline->main_core = take_core(deadline->cores, deadline->core_count, deadline->core_owner);
    }
    clockid_t clock;
    if (pthread_getcpuclockid(pthread_self(), &clock) != 0) {
        return;
    }
    deadline->thread_clock = clock;
    deadline->thread_cpu_at_bind_ns = clock_ns(clock);
    atomic_store(&deadline->bound, 1);
}

static void register_cpu_budget_as_wall_deadline(lethe_deadline *deadline, int64_t now) {
    // While the call runs, CPU time is charged at the wall clock's pace: the CPU budget left is
    // a wall-clock deadline, which libjpeg's monitor can see in the registry.
    if (deadline->slot >= 0 && deadline->cpu_limit_ns > 0 && !atomic_load(&deadline->expired_early)) {
        int64_t left = deadline->cpu_limit_ns - lethe_deadline_cpu_ns(deadline);
        int64_t effective = left < deadline->wall_deadline_ns - now ? now + (left > 0 ? left : 0) : deadline->wall_deadline_ns;
        atomic_store(&registered[deadline->slot], effective > 0 ? effective : 1);
    }
}

void lethe_deadline_enter_codec(lethe_deadline *deadline) {
    int64_t now = monotonic_ns();
    register_cpu_budget_as_wall_deadline(deadline, now);
    atomic_store(&deadline->codec_entered_ns, now);
}

void lethe_deadline_enter_codec_on_calling_thread(lethe_deadline *deadline) {
    int64_t now = monotonic_ns();
    codec_on_this_thread = deadline;
    register_cpu_budget_as_wall_deadline(deadline, now);
    // The caller's CPU is counted when it is the deadline's thread or one of its helpers.
    clockid_t clock;
    if (current_deadline == deadline && pthread_getcpuclockid(pthread_self(), &clock) == 0) {
        atomic_store(&deadline->codec_thread_clock, (int)clock);
        atomic_store(&deadline->codec_thread_cpu_at_entry_ns, clock_ns(clock));
    }
    atomic_store(&deadline->codec_entered_ns, now);
}

/// CPU the thread in a libvips call it runs itself used since it entered (0 when none).
static int64_t thread_cpu_inside_codec(lethe_deadline *deadline) {
    int64_t at_entry = atomic_load(&deadline->codec_thread_cpu_at_entry_ns);
    int64_t inside = at_entry > 0 ? clock_ns((clockid_t)atomic_load(&deadline->codec_thread_clock)) - at_entry : 0;
    // Two calls side by side may pair one's entry with the other's clock for an instant.
    return inside > 0 ? inside : 0;
}

void lethe_deadline_leave_codec(lethe_deadline *deadline) {
    if (codec_on_this_thread == deadline) {
        codec_on_this_thread = NULL;
    }
    int64_t inside = thread_cpu_inside_codec(deadline);
    atomic_store(&deadline->codec_thread_cpu_at_entry_ns, 0);
    int64_t entered = atomic_exchange(&deadline->codec_entered_ns, 0);
    if (entered > 0) {
        int64_t charge = monotonic_ns() - entered - inside;
        atomic_fetch_add(&deadline->codec_charged_ns, charge > 0 ? charge : 0);
    }
    if (deadline->slot >= 0 && !atomic_load(&deadline->expired_early)) {
        atomic_store(&registered[deadline->slot], deadline->wall_deadline_ns);
    }
}

int64_t lethe_deadline_cpu_ns(const lethe_deadline *deadline) {
    lethe_deadline *mutable = (lethe_deadline *)deadline;
    int64_t charged = atomic_load(&mutable->thread_charged_ns);
    if (atomic_load(&mutable->bound)) {
        charged += clock_ns(deadline->thread_clock) - deadline->thread_cpu_at_bind_ns;
    }
    charged += atomic_load(&mutable->codec_charged_ns);
    charged += atomic_load(&mutable->helpers_charged_ns);
    for (int index = 0; index < LETHE_HELPERS; index++) {
        struct lethe_helper *helper = &mutable->helpers[index];
        if (atomic_load(&helper->state) == 2) {
            // A helper finishing meanwhile may be counted twice for an instant: an upper bound.
            int64_t used = clock_ns(helper->clock) - helper->cpu_at_start_ns;
            charged += used > 0 ? used : 0;
        }
    }
    int64_t entered = atomic_load(&mutable->codec_entered_ns);
    if (entered > 0) {
        int64_t charge = monotonic_ns() - entered - thread_cpu_inside_codec(mutable);
        charged += charge > 0 ? charge : 0;
    }
    return charged;
}

int lethe_deadline_state(const lethe_deadline *deadline) {
    lethe_deadline *mutable = (lethe_deadline *)deadline;
    if (atomic_load(&mutable->expired_early)) {
        return 3;
    }
    if (monotonic_ns() >= deadline->wall_deadline_ns) {
        return 1;
    }
    if (deadline->cpu_limit_ns > 0 && lethe_deadline_cpu_ns(deadline) >= deadline->cpu_limit_ns) {
        return 2;
    }
    return 0;
}

void lethe_deadline_expire(lethe_deadline *deadline) {
    atomic_store(&deadline->expired_early, 1);
    if (deadline->slot >= 0) {
        // No longer keeps other requests' libjpeg passes alive (see latest_registered_deadline).
        atomic_store(&registered[deadline->slot], monotonic_ns());
    }
}

void lethe_deadline_expire_at_progress_call(lethe_deadline *deadline, int64_t call) {
    atomic_store(&deadline->expire_at_progress_call, call > 0 ? call : 0);
}

int64_t lethe_deadline_interruptions(const lethe_deadline *deadline) {
    return atomic_load(&((lethe_deadline *)deadline)->interruptions);
}

int64_t lethe_deadline_progress_calls(const lethe_deadline *deadline) {
    return atomic_load(&((lethe_deadline *)deadline)->progress_calls);
}

// MARK: - libvips: kill the computation in progress at the deadline

// "eval" is emitted on the image that asked for progress (and, through progress_signal, for every
// image computed from it), on the thread that waits for the computation; `progress->im` is the
// image being computed, whose kill flag the running threadpool checks between tiles.
static void lethe_deadline_on_eval(VipsImage *image, VipsProgress *progress, void *user) {
    (void)image;
    lethe_deadline *deadline = user;
    long long calls = atomic_fetch_add(&deadline->progress_calls, 1) + 1;
    long long expire_at = atomic_load(&deadline->expire_at_progress_call);
    if (expire_at > 0 && calls >= expire_at) {
        lethe_deadline_expire(deadline);
    }
    if (progress != NULL && progress->im != NULL && lethe_deadline_state(deadline) != 0 && !progress->im->kill) {
        vips_image_set_kill(progress->im, TRUE);
        atomic_fetch_add(&deadline->interruptions, 1);
    }
}

int lethe_deadline_report_progress(lethe_deadline *deadline) {
    long long calls = atomic_fetch_add(&deadline->progress_calls, 1) + 1;
    long long expire_at = atomic_load(&deadline->expire_at_progress_call);
    if (expire_at > 0 && calls >= expire_at) {
        lethe_deadline_expire(deadline);
    }
    int state = lethe_deadline_state(deadline);
    if (state != 0) {
        atomic_fetch_add(&deadline->interruptions, 1);
    }
    return state;
}

int lethe_deadline_watch(lethe_deadline *deadline, void *image) {
    if (deadline == NULL || image == NULL || !VIPS_IS_IMAGE(image)) {
        return -1;
    }
    vips_image_set_progress((VipsImage *)image, TRUE);
    g_signal_connect(image, "eval", G_CALLBACK(lethe_deadline_on_eval), deadline);
    return 0;
}

void lethe_deadline_unwatch(lethe_deadline *deadline, void *image) {
    if (deadline == NULL || image == NULL || !VIPS_IS_IMAGE(image)) {
        return;
    }
    g_signal_handlers_disconnect_by_func(image, G_CALLBACK(lethe_deadline_on_eval), deadline);
}

// MARK: - libjpeg: abort a multi-scan pass at the deadline

void lethe_deadline_set_codec_pass_limit(int64_t limit_ns) {
    atomic_store(&codec_pass_limit_ns, limit_ns > 0 ? limit_ns : 0);
}

int64_t lethe_deadline_codec_passes_aborted(void) {
    return atomic_load(&codec_passes_aborted);
}

typedef struct {
    struct jpeg_progress_mgr pub;
    int64_t started_ns;
} lethe_jpeg_monitor;

void lethe_deadline_enter_codec_without_deadline(void) {
    codec_on_this_thread = codec_without_deadline;
    atomic_fetch_add(&codecs_without_deadline, 1);
}

void lethe_deadline_leave_codec_without_deadline(void) {
    if (codec_on_this_thread == codec_without_deadline) {
        codec_on_this_thread = NULL;
        atomic_fetch_sub(&codecs_without_deadline, 1);
    }
}

// Called by libjpeg for every iMCU row of every scan it absorbs, and for every output row.
// Aborts when the decompression's deadline has passed, or when this decompression alone has run
// longer than the cap. Its deadline: the request's, when the thread that runs it pulls it for a
// request (the strip pull); none, when that thread pulls it without one; otherwise (a libvips
// worker thread, which cannot tell whose decompression it runs) the latest of every live
// request's: past it, the decompression cannot belong to a request that may still run.
static void lethe_jpeg_progress(j_common_ptr cinfo) {
    lethe_jpeg_monitor *monitor = (lethe_jpeg_monitor *)cinfo->progress;
    int64_t now = monotonic_ns();
    lethe_deadline *owner = codec_on_this_thread;
    int past_deadline;
    if (owner == codec_without_deadline) {
        past_deadline = 0;
    } else if (owner != NULL) {
        past_deadline = lethe_deadline_state(owner) != 0;
    } else {
        int64_t latest = latest_registered_deadline();
        past_deadline = latest > 0 && now >= latest && atomic_load(&codecs_without_deadline) == 0;
    }
    int64_t cap = atomic_load(&codec_pass_limit_ns);
    int past_cap = cap > 0 && now - monitor->started_ns >= cap;
    if (past_deadline || past_cap) {
        atomic_fetch_add(&codec_passes_aborted, 1);
        // libvips' error exit longjmps back to read_jpeg_image (which set it up around
        // jpeg_start_decompress) or read_jpeg_generate; the load then fails with an error.
        cinfo->err->msg_code = JERR_INPUT_EMPTY;
        (*cinfo->err->error_exit)(cinfo);
    }
}

typedef boolean (*lethe_start_decompress_fn)(j_decompress_ptr);

boolean jpeg_start_decompress(j_decompress_ptr cinfo) {
    static _Atomic(lethe_start_decompress_fn) real = NULL;
    lethe_start_decompress_fn function = atomic_load(&real);
    if (function == NULL) {
        function = (lethe_start_decompress_fn)dlsym(RTLD_NEXT, "jpeg_start_decompress");
        if (function == NULL) {
            // Without libjpeg nothing could have called this; fail the way libjpeg fails.
            cinfo->err->msg_code = JERR_NOT_COMPILED;
            (*cinfo->err->error_exit)((j_common_ptr)cinfo);
            return FALSE;
        }
        atomic_store(&real, function);
    }
    if (cinfo->progress == NULL) {
        // JPOOL_PERMANENT: lives as long as cinfo, so a reused cinfo never points at freed memory.
        lethe_jpeg_monitor *monitor = (*cinfo->mem->alloc_small)(
            (j_common_ptr)cinfo, JPOOL_PERMANENT, sizeof(lethe_jpeg_monitor));
        monitor->pub.progress_monitor = lethe_jpeg_progress;
        monitor->pub.pass_counter = 0;
        monitor->pub.pass_limit = 0;
        monitor->pub.completed_passes = 0;
        monitor->pub.total_passes = 0;
        cinfo->progress = &monitor->pub;
    }
    if (cinfo->progress->progress_monitor == lethe_jpeg_progress) {
        ((lethe_jpeg_monitor *)cinfo->progress)->started_ns = monotonic_ns();
    }
    return function(cinfo);
}

// MARK: - Cores and helper threads

enum { ledger_bytes_per_slot = sizeof(int32_t) };

// The cores' slots, then the requests' count.
static size_t ledger_size(int32_t cores) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t bytes = (size_t)((cores > 0 ? cores : 1) + 1) * ledger_bytes_per_slot;
    return (bytes + page - 1) / page * page;
}

int lethe_cores_create(int32_t cores) {
    int fd = memfd_create("lethe-cores", MFD_CLOEXEC);
    if (fd < 0) {
        return -errno;
    }
    if (ftruncate(fd, (off_t)ledger_size(cores)) != 0) {
        int error = errno;
        close(fd);
        return -error;
    }
    return fd;
}

int32_t *lethe_cores_map(int fd, int32_t cores) {
    void *ledger = mmap(NULL, ledger_size(cores), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    return ledger == MAP_FAILED ? NULL : ledger;
}

int32_t *lethe_cores_map_private(int32_t cores) {
    void *ledger = mmap(NULL, ledger_size(cores), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return ledger == MAP_FAILED ? NULL : ledger;
}

void lethe_cores_unmap(int32_t *ledger, int32_t cores) {
    if (ledger != NULL) {
        munmap(ledger, ledger_size(cores));
    }
}

void lethe_cores_reclaim(int32_t *ledger, int32_t cores, int32_t owner) {
    atomic_int *slots = (atomic_int *)ledger;
    for (int32_t index = 0; index < cores; index++) {
        int expected = owner;
        atomic_compare_exchange_strong(&slots[index], &expected, 0);
    }
}

int32_t lethe_cores_held(const int32_t *ledger, int32_t cores) {
    atomic_int *slots = (atomic_int *)ledger;
    int32_t held = 0;
    for (int32_t index = 0; index < cores; index++) {
        held += atomic_load(&slots[index]) != 0;
    }
    return held;
}

void lethe_cores_set_requests(int32_t *ledger, int32_t cores, int32_t requests) {
    atomic_store(&((atomic_int *)ledger)[cores], requests);
}

int32_t lethe_cores_requests(const int32_t *ledger, int32_t cores) {
    return atomic_load(&((atomic_int *)ledger)[cores]);
}

void lethe_deadline_use_cores(lethe_deadline *deadline, int32_t *ledger, int32_t cores, int32_t owner, int32_t threads) {
    deadline->cores = (atomic_int *)ledger;
    deadline->core_count = cores;
    deadline->core_owner = owner;
    deadline->max_threads = threads;
    atomic_store(&deadline->threads, 1);
}

int lethe_deadline_take_helper(lethe_deadline *deadline) {
    if (deadline == NULL || deadline->cores == NULL) {
        return -1;
    }
    // As many requests as cores: every core is some request's, now or as soon as it is admitted.
    if (lethe_cores_requests((const int32_t *)deadline->cores, deadline->core_count) >= deadline->core_count) {
        return -1;
    }
    if (atomic_fetch_add(&deadline->threads, 1) >= deadline->max_threads) {
        atomic_fetch_sub(&deadline->threads, 1);
        return -1;
    }
    int core = take_core(deadline->cores, deadline->core_count, deadline->core_owner);
    if (core >= 0) {
        for (int index = 0; index < LETHE_HELPERS; index++) {
            int expected = 0;
            if (atomic_compare_exchange_strong(&deadline->helpers[index].state, &expected, 1)) {
                deadline->helpers[index].core = core;
                return index;
            }
        }
        atomic_store(&deadline->cores[core], 0);
    }
    atomic_fetch_sub(&deadline->threads, 1);
    return -1;
}

void lethe_deadline_start_helper(lethe_deadline *deadline, int ticket) {
    current_deadline = deadline;
    struct lethe_helper *helper = &deadline->helpers[ticket];
    if (pthread_getcpuclockid(pthread_self(), &helper->clock) == 0) {
        helper->cpu_at_start_ns = clock_ns(helper->clock);
        atomic_store(&helper->state, 2);
    }
}

void lethe_deadline_finish_helper(lethe_deadline *deadline, int ticket) {
    struct lethe_helper *helper = &deadline->helpers[ticket];
    if (atomic_load(&helper->state) == 2) {
        atomic_fetch_add(&deadline->helpers_charged_ns, clock_ns(helper->clock) - helper->cpu_at_start_ns);
        atomic_store(&helper->state, 1);
    }
    current_deadline = NULL;
}

void lethe_deadline_give_helper(lethe_deadline *deadline, int ticket) {
    struct lethe_helper *helper = &deadline->helpers[ticket];
    atomic_store(&deadline->cores[helper->core], 0);
    atomic_store(&helper->state, 0);
    atomic_fetch_sub(&deadline->threads, 1);
}
