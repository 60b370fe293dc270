/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pacemaker's utilization attribute (src/cluster/pacemaker.c) against fake crm_node and
 * crm_attribute scripts on a real sd-event loop: one run in flight, the latest value wins,
 * runs at most every min_interval, a failure told once per run and tried again (at once on a
 * new value after a failed update, after the back-off otherwise), a hung tool killed, no tool
 * left running after free. */
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cluster/pacemaker.h"
#include "shared/fileio.h"
#include "testlib.h"

#define MS 1000ULL

typedef struct Fake {
        char *dir;
        char *crm_node, *crm_attribute, *log;
        sd_event *event;
        Pacemaker *p;
        unsigned told;               /* callbacks */
        PacemakerStatus last;        /* of the last callback */
        int64_t told_values[32];     /* the value published at each callback */
        uint64_t starts[32];         /* when each run was seen starting (monotonic µs) */
} Fake;

static uint64_t mono_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

static void write_text(const char *dir, const char *name, const char *text, mode_t mode) {
        char *path = NULL;
        CHECK(asprintf(&path, "%s/%s", dir, name) > 0);
        FILE *f = fopen(path, "w");
        CHECK(f != NULL);
        if (f) {
                fputs(text, f);
                fclose(f);
        }
        chmod(path, mode);
        free(path);
}

/* ctl files: node.rc, node.out (crm_node's), attr.rc, attr.delay, attr.err (crm_attribute's) */
static void ctl(Fake *f, const char *name, const char *value) {
        write_text(f->dir, name, value, 0644);
}

static void on_outcome(void *userdata, const PacemakerStatus *st) {
        Fake *f = userdata;
        if (f->told < ELEMENTSOF(f->told_values))
                f->told_values[f->told] = st->published;
        f->told++;
        f->last = *st;
}

static void fake_init(Fake *f, const PacemakerOptions *extra) {
        *f = (Fake){ .dir = test_tmpdir() };
        CHECK(asprintf(&f->crm_node, "%s/crm_node", f->dir) > 0);
        CHECK(asprintf(&f->crm_attribute, "%s/crm_attribute", f->dir) > 0);
        CHECK(asprintf(&f->log, "%s/calls", f->dir) > 0);
        char *node = NULL, *attr = NULL;
        CHECK(asprintf(&node,
                       "#!/bin/sh\nD=%s\necho \"crm_node $*\" >> $D/calls\ncat $D/node.out\n"
                       "[ -s $D/node.err ] && cat $D/node.err >&2\nexit $(cat $D/node.rc)\n",
                       f->dir) > 0);
        CHECK(asprintf(&attr,
                       "#!/bin/sh\nD=%s\necho $$ > $D/attr.pid\necho \"crm_attribute $*\" >> $D/calls\n"
                       "sleep $(cat $D/attr.delay)\n[ -s $D/attr.err ] && cat $D/attr.err >&2\n"
                       "exit $(cat $D/attr.rc)\n",
                       f->dir) > 0);
        write_text(f->dir, "crm_node", node, 0755);
        write_text(f->dir, "crm_attribute", attr, 0755);
        free(node);
        free(attr);
        ctl(f, "node.rc", "0\n");
        ctl(f, "node.out", "node7\n");
        ctl(f, "node.err", "");
        ctl(f, "attr.rc", "0\n");
        ctl(f, "attr.delay", "0\n");
        ctl(f, "attr.err", "");
        ctl(f, "calls", "");
        CHECK(sd_event_new(&f->event) >= 0);
        PacemakerOptions o = extra ? *extra : (PacemakerOptions){};
        o.crm_node = o.crm_node ? o.crm_node : f->crm_node;
        o.crm_attribute = o.crm_attribute ? o.crm_attribute : f->crm_attribute;
        o.min_interval_usec = o.min_interval_usec ? o.min_interval_usec : 200 * MS;
        o.retry_usec = o.retry_usec ? o.retry_usec : 100 * MS;
        o.callback = on_outcome;
        o.userdata = f;
        CHECK(pacemaker_new(f->event, &o, &f->p) >= 0);
}

static void fake_done(Fake *f) {
        pacemaker_free(f->p);
        sd_event_unref(f->event);
        free(f->crm_node);
        free(f->crm_attribute);
        free(f->log);
        test_tmpdir_cleanup(f->dir);
}

static PacemakerStatus status(Fake *f) {
        PacemakerStatus st;
        pacemaker_get_status(f->p, &st);
        return st;
}

/* Runs the loop until pred(f) or `ms` pass; notes when each run starts. */
static bool loop_until(Fake *f, bool (*pred)(Fake *f), unsigned ms) {
        uint64_t end = mono_usec() + ms * MS;
        unsigned seen = status(f).runs;
        while (!pred(f)) {
                if (mono_usec() > end)
                        return false;
                (void) sd_event_run(f->event, 5 * MS);
                unsigned runs = status(f).runs;
                for (; seen < runs && seen < ELEMENTSOF(f->starts); seen++)
                        f->starts[seen] = mono_usec();
        }
        return true;
}

static void loop_for(Fake *f, unsigned ms) {
        uint64_t end = mono_usec() + ms * MS;
        while (mono_usec() < end)
                (void) sd_event_run(f->event, 5 * MS);
}

static bool published(Fake *f) {
        return !status(f).running && status(f).state == PACEMAKER_PUBLISHED;
}

static char *calls(Fake *f) {
        char *text = NULL;
        size_t size;
        CHECK(read_full_file(f->log, 1 << 20, &text, &size) >= 0);
        return text;
}

static unsigned count(const char *hay, const char *needle) {
        unsigned n = 0;
        for (const char *p = hay; p && (p = strstr(p, needle)); p += strlen(needle))
                n++;
        return n;
}

static bool failed(Fake *f) {
        return !status(f).running && status(f).state == PACEMAKER_FAILED;
}

static bool status_is_2(Fake *f) {
        return published(f) && status(f).published == 2;
}

static bool status_is_10(Fake *f) {
        return published(f) && status(f).published == 10;
}

TEST(coalesced_latest_wins) {
        Fake f;
        fake_init(&f, NULL);
        ctl(&f, "attr.delay", "0.3\n");
        pacemaker_set(f.p, 5);
        CHECK(status(&f).running); /* started at once: nothing written before */
        /* while it runs, three more values: none starts a run of its own */
        pacemaker_set(f.p, 4);
        pacemaker_set(f.p, 3);
        loop_for(&f, 50);
        pacemaker_set(f.p, 2);
        CHECK_INT(status(&f).runs, 1);
        /* 5 is written, then the latest value, once */
        CHECK(loop_until(&f, status_is_2, 3000));
        CHECK_INT(status(&f).runs, 2);
        CHECK_INT(f.told_values[0], 5);
        CHECK_INT(f.told_values[1], 2);
        _cleanup_free_ char *text = calls(&f);
        CHECK_STR(text, "crm_node -n\n"
                        "crm_attribute --node node7 --name accelnet-vfs --update 5 --utilization\n"
                        "crm_attribute --node node7 --name accelnet-vfs --update 2 --utilization\n");
        CHECK_STR(status(&f).node, "node7");
        CHECK_INT(f.told, 2);
        /* the value written last: nothing runs */
        pacemaker_set(f.p, 2);
        loop_for(&f, 300);
        CHECK_INT(status(&f).runs, 2);
        fake_done(&f);
}

static int64_t target;

static bool reached_target(Fake *f) {
        return published(f) && status(f).published == target;
}

TEST(rate_limited) {
        Fake f;
        fake_init(&f, &(PacemakerOptions){ .min_interval_usec = 300 * MS });
        for (target = 1; target <= 3; target++) {
                pacemaker_set(f.p, (unsigned) target);
                CHECK(loop_until(&f, reached_target, 3000));
        }
        CHECK_INT(status(&f).runs, 3);
        /* runs 2 and 3 each waited for the interval after the start of the one before */
        CHECK(f.starts[1] > 0 && f.starts[1] - f.starts[0] >= 290 * MS);
        CHECK(f.starts[2] - f.starts[1] >= 290 * MS);
        _cleanup_free_ char *text = calls(&f);
        CHECK_INT(count(text, "--update"), 3);
        CHECK_INT(count(text, "crm_node -n"), 1);
        fake_done(&f);
}

TEST(failure_told_and_retried_on_change) {
        Fake f;
        /* a back-off far longer than the test: only a new value retries */
        fake_init(&f, &(PacemakerOptions){ .retry_usec = 60 * 1000 * MS, .retry_max_usec = 60 * 1000 * MS });
        ctl(&f, "attr.rc", "1\n");
        ctl(&f, "attr.err", "error: boom\n");
        pacemaker_set(f.p, 9);
        CHECK(loop_until(&f, failed, 3000));
        CHECK_INT(f.told, 1);
        CHECK_CONTAINS(f.last.error, "exit status 1: error: boom");
        CHECK_CONTAINS(f.last.error, "--update 9");
        CHECK_INT(f.last.published, -1);
        /* the same value is not tried again before the back-off */
        loop_for(&f, 400);
        CHECK_INT(status(&f).runs, 1);
        /* a new value is, as soon as the rate allows; the name is asked again (it may have changed) */
        ctl(&f, "attr.rc", "0\n");
        pacemaker_set(f.p, 10);
        CHECK(loop_until(&f, status_is_10, 3000));
        CHECK_INT(status(&f).runs, 2);
        CHECK_INT(f.told, 2);
        CHECK_STR(f.last.error, "");
        _cleanup_free_ char *text = calls(&f);
        CHECK_INT(count(text, "crm_node -n"), 2);
        fake_done(&f);
}

static bool not_running(Fake *f) {
        return !status(f).running && status(f).state == PACEMAKER_NOT_RUNNING;
}

TEST(not_running_backs_off_then_publishes) {
        Fake f;
        fake_init(&f, &(PacemakerOptions){ .retry_usec = 300 * MS, .retry_max_usec = 300 * MS });
        ctl(&f, "node.rc", "102\n");
        ctl(&f, "node.out", "");
        ctl(&f, "node.err", "error: Could not connect to controller: Connection refused\n");
        pacemaker_set(f.p, 4);
        CHECK(loop_until(&f, not_running, 3000));
        CHECK_CONTAINS(f.last.error, "exit status 102: error: Could not connect to controller");
        CHECK_STR(f.last.node, "");
        /* new values meanwhile start nothing: Pacemaker does not run */
        unsigned runs = status(&f).runs;
        pacemaker_set(f.p, 5);
        pacemaker_set(f.p, 6);
        CHECK_INT(status(&f).runs, runs);
        /* Pacemaker starts: the back-off's next run writes the latest value */
        ctl(&f, "node.rc", "0\n");
        ctl(&f, "node.out", "node7\n");
        ctl(&f, "node.err", "");
        CHECK(loop_until(&f, published, 3000));
        CHECK_INT(status(&f).published, 6);
        _cleanup_free_ char *text = calls(&f);
        CHECK_INT(count(text, "crm_attribute"), 1);
        CHECK_CONTAINS(text, "--update 6 --utilization\n");
        fake_done(&f);
}

TEST(absent_tools) {
        Fake f;
        fake_init(&f, &(PacemakerOptions){ .crm_node = "/nonexistent/crm_node" });
        pacemaker_set(f.p, 3);
        CHECK(!status(&f).running);
        CHECK_INT(status(&f).state, PACEMAKER_ABSENT);
        CHECK_INT(f.told, 1);
        CHECK_CONTAINS(f.last.error, "/nonexistent/crm_node is not installed");
        _cleanup_free_ char *text = calls(&f);
        CHECK_STR(text, "");
        fake_done(&f);
        /* a bare name is looked up on PATH */
        Fake g;
        fake_init(&g, &(PacemakerOptions){ .crm_node = "accelnet-no-such-tool" });
        pacemaker_set(g.p, 3);
        CHECK_INT(status(&g).state, PACEMAKER_ABSENT);
        fake_done(&g);
}

TEST(hung_tool_killed) {
        Fake f;
        fake_init(&f, &(PacemakerOptions){ .timeout_usec = 200 * MS, .retry_usec = 60 * 1000 * MS });
        ctl(&f, "attr.delay", "30\n");
        pacemaker_set(f.p, 1);
        CHECK(loop_until(&f, failed, 5000));
        CHECK_CONTAINS(f.last.error, "killed by signal 9");
        fake_done(&f);
}

TEST(free_ends_the_tool) {
        Fake f;
        fake_init(&f, NULL);
        ctl(&f, "attr.delay", "30\n");
        pacemaker_set(f.p, 1);
        char *pidfile = NULL;
        CHECK(asprintf(&pidfile, "%s/attr.pid", f.dir) > 0);
        /* wait for crm_attribute to have started */
        uint64_t end = mono_usec() + 3000 * MS;
        pid_t pid = 0;
        while (mono_usec() < end && pid <= 0) {
                (void) sd_event_run(f.event, 5 * MS);
                _cleanup_free_ char *text = NULL;
                size_t size;
                if (read_full_file(pidfile, 64, &text, &size) >= 0)
                        pid = (pid_t) atoi(text);
        }
        CHECK(pid > 0);
        pacemaker_free(f.p);
        f.p = NULL;
        /* killed and reaped: no such process, not even a zombie */
        CHECK(pid > 0 && kill(pid, 0) < 0 && errno == ESRCH);
        free(pidfile);
        fake_done(&f);
}

TEST(state_names_round_trip) {
        for (PacemakerState s = 0; s < _PACEMAKER_STATE_MAX; s++) {
                CHECK(pacemaker_state_to_string(s) != NULL);
                CHECK_INT(pacemaker_state_from_string(pacemaker_state_to_string(s)), s);
        }
        CHECK(pacemaker_state_to_string(_PACEMAKER_STATE_MAX) == NULL);
        CHECK_INT(pacemaker_state_from_string("bogus"), -EINVAL);
}

int main(void) {
        /* sd_event_add_child needs SIGCHLD blocked, as accelnetd has it */
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        RUN(coalesced_latest_wins);
        RUN(rate_limited);
        RUN(failure_told_and_retried_on_change);
        RUN(not_running_backs_off_then_publishes);
        RUN(absent_tools);
        RUN(hung_tool_killed);
        RUN(free_ends_the_tool);
        RUN(state_names_round_trip);
        return TEST_MAIN_END();
}
