/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* This node's free VFs as Pacemaker's node utilization attribute (pacemaker.h): crm_node and
 * crm_attribute as child processes on the sd-event loop, one run at a time. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pacemaker.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/string-table.h"
#include "shared/strutil.h"

extern char **environ;

#define OUTPUT_MAX 4096          /* of a tool's output, what is read */
/* without $PATH; no /usr/local (a packaged daemon names no such path) */
#define PATH_DEFAULT "/usr/sbin:/usr/bin:/sbin:/bin"

static const char *const pacemaker_state_table[_PACEMAKER_STATE_MAX] = {
        [PACEMAKER_IDLE] = "idle",
        [PACEMAKER_ABSENT] = "absent",
        [PACEMAKER_NOT_RUNNING] = "not-running",
        [PACEMAKER_FAILED] = "failed",
        [PACEMAKER_PUBLISHED] = "published",
};

DEFINE_STRING_TABLE_LOOKUP(pacemaker_state, PacemakerState);

typedef enum Step {
        STEP_NONE,
        STEP_NAME,               /* crm_node -n */
        STEP_UPDATE,             /* crm_attribute ... --update */
} Step;

struct Pacemaker {
        sd_event *event;
        char *crm_node, *crm_attribute, *attribute;
        uint64_t min_interval, retry, retry_max, timeout;
        PacemakerCallback callback;
        void *userdata;

        bool have_want;
        unsigned want;           /* the value to write */
        PacemakerStatus status;  /* .running, .published, .node, ... */

        /* the run in flight */
        Step step;
        unsigned value;          /* what it writes */
        sd_event_source *child;  /* owns the process: unref kills and reaps it */
        sd_event_source *timeout_timer;
        int out_fd, err_fd;      /* memfds: the tool's stdout and stderr */

        /* when the next run may start */
        sd_event_source *timer;
        uint64_t last_start;     /* CLOCK_MONOTONIC, 0 never */
        uint64_t failed_at;      /* of the last failure, 0 when the last run succeeded */
        uint64_t backoff;        /* the current retry delay */
        bool failed_update;      /* the last failure was the update (a new value retries at once) */
        unsigned failed_value;
};

static void consider(Pacemaker *p);

static uint64_t now_usec(const Pacemaker *p) {
        uint64_t t = 0;
        if (sd_event_now(p->event, CLOCK_MONOTONIC, &t) < 0) {
                struct timespec ts;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                t = (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
        }
        return t;
}

/* name on $PATH (or a path): newly allocated, NULL when not found or on ENOMEM */
static char *find_tool(const char *name) {
        if (strchr(name, '/'))
                return access(name, X_OK) == 0 ? strdup(name) : NULL;
        const char *path = getenv("PATH");
        if (isempty(path))
                path = PATH_DEFAULT;
        for (const char *d = path; *d;) {
                size_t len = strcspn(d, ":");
                char *cand = NULL;
                if (len > 0 && asprintf(&cand, "%.*s/%s", (int) len, d, name) >= 0) {
                        if (access(cand, X_OK) == 0)
                                return cand;
                        free(cand);
                }
                d += len;
                if (*d == ':')
                        d++;
        }
        return NULL;
}

/* Up to OUTPUT_MAX bytes of what the tool wrote to fd, trailing white space removed. */
static char *read_output(int fd) {
        char *buf = calloc(1, OUTPUT_MAX + 1);
        if (!buf)
                return NULL;
        ssize_t n = pread(fd, buf, OUTPUT_MAX, 0);
        size_t len = n > 0 ? (size_t) n : 0;
        buf[len] = 0;
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' ' || buf[len - 1] == '\t' || buf[len - 1] == '\r'))
                buf[--len] = 0;
        return buf;
}

/* crm_node -n's answer: one line, a name without white space or control characters. */
static bool node_name_valid(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n >= sizeof(((PacemakerStatus *) NULL)->node))
                return false;
        for (const unsigned char *c = (const unsigned char *) s; *c; c++)
                if (*c <= ' ' || *c == 0x7f)
                        return false;
        return true;
}

static void run_cleanup(Pacemaker *p) {
        p->child = sd_event_source_disable_unref(p->child);
        p->timeout_timer = sd_event_source_disable_unref(p->timeout_timer);
        if (p->out_fd >= 0)
                close(p->out_fd);
        if (p->err_fd >= 0)
                close(p->err_fd);
        p->out_fd = p->err_fd = -1;
        p->step = STEP_NONE;
        p->status.running = false;
}

static void tell(Pacemaker *p) {
        if (p->callback)
                p->callback(p->userdata, &p->status);
}

/* The run ended badly: state and message, back-off, the caller told, the next one considered. */
static void run_failed(Pacemaker *p, PacemakerState state, const char *fmt, ...) _printf_(3, 4);
static void run_failed(Pacemaker *p, PacemakerState state, const char *fmt, ...) {
        va_list ap;
        uint64_t now = now_usec(p);

        va_start(ap, fmt);
        vsnprintf(p->status.error, sizeof p->status.error, fmt, ap);
        va_end(ap);
        log_debug("pacemaker: %s", p->status.error);
        p->status.state = state;
        p->backoff = p->failed_at == 0 ? p->retry : (p->backoff * 2 > p->retry_max ? p->retry_max : p->backoff * 2);
        p->failed_at = now ? now : 1;
        p->failed_update = state == PACEMAKER_FAILED;
        p->failed_value = p->value;
        /* the name may be what changed (or Pacemaker went away): asked again next time */
        if (state != PACEMAKER_ABSENT)
                p->status.node[0] = 0;
        run_cleanup(p);
        tell(p);
        consider(p);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        consider(userdata);
        return 0;
}

static void arm(Pacemaker *p, uint64_t due) {
        if (!p->timer) {
                if (sd_event_add_time(p->event, &p->timer, CLOCK_MONOTONIC, due, 10 * 1000, on_timer, p) < 0) {
                        log_debug("pacemaker: cannot arm the timer; waiting for the next value.");
                        return;
                }
                (void) sd_event_source_set_description(p->timer, "pacemaker-next");
        } else
                (void) sd_event_source_set_time(p->timer, due);
        (void) sd_event_source_set_enabled(p->timer, SD_EVENT_ONESHOT);
}

static int on_child(sd_event_source *s, const siginfo_t *si, void *userdata);

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Pacemaker *p = userdata;
        if (p->child)
                (void) sd_event_source_send_child_signal(p->child, SIGKILL, NULL, 0);
        return 0;
}

/* Starts argv[0] with stdout and stderr into fresh memfds; the loop is told when it exits. */
static int spawn(Pacemaker *p, Step step, char **argv) {
        _cleanup_close_ int out = memfd_create("pacemaker-out", MFD_CLOEXEC);
        _cleanup_close_ int err = memfd_create("pacemaker-err", MFD_CLOEXEC);
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        sigset_t none, all;
        pid_t pid;
        int r;

        if (out < 0 || err < 0)
                return -errno;
        sigemptyset(&none);
        sigfillset(&all);
        if ((r = posix_spawn_file_actions_init(&fa)) != 0)
                return -r;
        if ((r = posix_spawnattr_init(&attr)) != 0) {
                posix_spawn_file_actions_destroy(&fa);
                return -r;
        }
        /* the loop's blocked signals (SIGCHLD, SIGTERM, ...) and ignored SIGPIPE are ours, not
         * the tool's */
        r = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&fa, out, STDOUT_FILENO);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&fa, err, STDERR_FILENO);
        if (r == 0)
                r = posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
        if (r == 0)
                r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        if (r == 0)
                r = posix_spawnattr_setsigmask(&attr, &none);
        if (r == 0)
                r = posix_spawnattr_setsigdefault(&attr, &all);
        if (r == 0)
                r = posix_spawn(&pid, argv[0], &fa, &attr, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        if (r != 0)
                return -r;

        r = sd_event_add_child(p->event, &p->child, pid, WEXITED, on_child, p);
        if (r < 0) {
                /* not watched: end it here (it has barely started) */
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                return r;
        }
        (void) sd_event_source_set_child_process_own(p->child, true);
        (void) sd_event_source_set_description(p->child,
                                               step == STEP_NAME ? "pacemaker-crm_node" : "pacemaker-crm_attribute");
        if (sd_event_add_time_relative(p->event, &p->timeout_timer, CLOCK_MONOTONIC, p->timeout, 0, on_timeout, p) >= 0)
                (void) sd_event_source_set_description(p->timeout_timer, "pacemaker-timeout");
        p->out_fd = TAKE_FD(out);
        p->err_fd = TAKE_FD(err);
        p->step = step;
        p->status.running = true;
        log_debug("pacemaker: started %s (pid %d).", argv[0], (int) pid);
        return 0;
}

static void start_update(Pacemaker *p) {
        _cleanup_free_ char *tool = find_tool(p->crm_attribute);
        char value[16];

        if (!tool)
                return run_failed(p, PACEMAKER_ABSENT, "%s is not installed (not found on PATH).", p->crm_attribute);
        snprintf(value, sizeof value, "%u", p->value);
        char *argv[] = { tool, (char *) "--node", p->status.node, (char *) "--name", p->attribute,
                         (char *) "--update", value, (char *) "--utilization", NULL };
        int r = spawn(p, STEP_UPDATE, argv);
        if (r < 0)
                run_failed(p, PACEMAKER_FAILED, "Cannot run %s: %s.", tool, strerror(-r));
}

static void start_run(Pacemaker *p) {
        p->value = p->want;
        p->last_start = now_usec(p);
        p->status.runs++;
        if (!isempty(p->status.node))
                return start_update(p);
        _cleanup_free_ char *tool = find_tool(p->crm_node);
        if (!tool)
                return run_failed(p, PACEMAKER_ABSENT, "%s is not installed (not found on PATH).", p->crm_node);
        char *argv[] = { tool, (char *) "-n", NULL };
        int r = spawn(p, STEP_NAME, argv);
        if (r < 0)
                run_failed(p, PACEMAKER_NOT_RUNNING, "Cannot run %s: %s.", tool, strerror(-r));
}

static int on_child(sd_event_source *s, const siginfo_t *si, void *userdata) {
        Pacemaker *p = userdata;
        _cleanup_free_ char *out = read_output(p->out_fd), *err = read_output(p->err_fd);
        Step step = p->step;
        const char *tool = step == STEP_NAME ? p->crm_node : p->crm_attribute;
        char how[64];

        /* sd-event reaps the process once this returns (the source, unref'd below, is freed
         * after that) */
        bool ok = si->si_code == CLD_EXITED && si->si_status == 0;
        if (si->si_code == CLD_EXITED)
                snprintf(how, sizeof how, "exit status %d", si->si_status);
        else
                snprintf(how, sizeof how, "killed by signal %d%s", si->si_status,
                         si->si_status == SIGKILL ? " (it took too long)" : "");
        const char *said = !isempty(err) ? err : strempty(out);

        if (step == STEP_NAME) {
                /* only the first line: the name */
                if (out)
                        out[strcspn(out, "\n")] = 0;
                if (!ok || !out || !node_name_valid(out))
                        return run_failed(p, PACEMAKER_NOT_RUNNING, "%s -n: %s%s%.200s", tool,
                                          ok ? "no node name in its answer" : how, isempty(said) ? "" : ": ",
                                          said),
                               0;
                snprintf(p->status.node, sizeof p->status.node, "%s", out);
                run_cleanup(p);
                start_update(p);
                return 0;
        }
        if (!ok)
                return run_failed(p, PACEMAKER_FAILED, "%s --node %s --name %s --update %u --utilization: %s%s%.200s",
                                  tool, p->status.node, p->attribute, p->value, how, isempty(said) ? "" : ": ", said),
                       0;
        p->status.state = PACEMAKER_PUBLISHED;
        p->status.published = p->value;
        p->status.error[0] = 0;
        p->failed_at = 0;
        p->backoff = 0;
        p->failed_update = false;
        run_cleanup(p);
        log_debug("pacemaker: %s = %u on node %s.", p->attribute, p->value, p->status.node);
        tell(p);
        consider(p);
        return 0;
}

/* Starts a run now, arms the timer for when one may start, or does nothing. */
static void consider(Pacemaker *p) {
        if (p->status.running || !p->have_want)
                return;
        if (p->status.state == PACEMAKER_PUBLISHED && p->status.published == (int64_t) p->want)
                return;
        uint64_t now = now_usec(p), due = p->last_start ? p->last_start + p->min_interval : 0;
        /* after a failure the same value waits for the back-off; so does any value while
         * Pacemaker does not run or is not installed (a new value would fail alike) */
        if (p->failed_at && (!p->failed_update || p->failed_value == p->want) && p->failed_at + p->backoff > due)
                due = p->failed_at + p->backoff;
        if (due <= now)
                start_run(p);
        else
                arm(p, due);
}

void pacemaker_set(Pacemaker *p, unsigned value) {
        if (p->have_want && p->want == value)
                return;
        p->have_want = true;
        p->want = value;
        consider(p);
}

void pacemaker_get_status(const Pacemaker *p, PacemakerStatus *ret) {
        *ret = p->status;
}

int pacemaker_new(sd_event *event, const PacemakerOptions *o, Pacemaker **ret) {
        PacemakerOptions d = o ? *o : (PacemakerOptions){};
        Pacemaker *p = calloc(1, sizeof *p);
        if (!p)
                return -ENOMEM;
        p->event = sd_event_ref(event);
        p->out_fd = p->err_fd = -1;
        p->crm_node = strdup(d.crm_node ? d.crm_node : "crm_node");
        p->crm_attribute = strdup(d.crm_attribute ? d.crm_attribute : "crm_attribute");
        p->attribute = strdup(d.attribute ? d.attribute : PACEMAKER_ATTRIBUTE);
        p->min_interval = d.min_interval_usec ? d.min_interval_usec : 1000000ULL;
        p->retry = d.retry_usec ? d.retry_usec : 1000000ULL;
        p->retry_max = d.retry_max_usec ? d.retry_max_usec : 60ULL * 1000000ULL;
        p->timeout = d.timeout_usec ? d.timeout_usec : 30ULL * 1000000ULL;
        p->callback = d.callback;
        p->userdata = d.userdata;
        p->status.published = -1;
        if (!p->crm_node || !p->crm_attribute || !p->attribute) {
                pacemaker_free(p);
                return -ENOMEM;
        }
        *ret = p;
        return 0;
}

Pacemaker *pacemaker_free(Pacemaker *p) {
        if (!p)
                return NULL;
        run_cleanup(p); /* the child source owns the process: it is killed and reaped */
        sd_event_source_disable_unref(p->timer);
        sd_event_unref(p->event);
        free(p->crm_node);
        free(p->crm_attribute);
        free(p->attribute);
        free(p);
        return NULL;
}
