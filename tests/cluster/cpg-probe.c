/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cpg-probe: src/cluster on a real corosync, for tests/cluster/probe-check.sh (built, not
 * installed). Runs an sd-event loop with one Cluster, prints one JSON object per callback on
 * stdout (flushed per line), and multicasts every line read from stdin (without its newline).
 *
 *   {"event":"connection","connected":true,"nodeid":1,"cluster":"c","nodes":[{"id":1,"name":"n1"}]}
 *   {"event":"membership","members":[1,2,3],"ring":12}
 *   {"event":"quorum","quorate":true}
 *   {"event":"message","from":2,"data":"...","len":3}
 *   {"event":"send-error","data":"...","error":"ENOTCONN"}
 *
 * Every object also has "t_ms", the wall clock in milliseconds (the probes of several nodes
 * run on one machine and are compared). The log (src/shared/log.h) goes to stderr: info
 * level, debug with -v. SIGTERM / SIGINT end it cleanly (exit 0), for leak checkers. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "shared/log.h"
#include "shared/macro.h"

#define LINE_MAX_BYTES (1024 * 1024 + 1)

static size_t print_max = SIZE_MAX; /* -t: bytes of a message's data printed */

typedef struct Probe {
        Cluster *cluster;
        sd_event_source *stdin_source;
        char *buf;
        size_t n;
        bool overlong; /* dropping the rest of a line longer than the buffer */
} Probe;

static void emit(json_t *o) {
        struct timespec ts;
        char *s;

        clock_gettime(CLOCK_REALTIME, &ts);
        json_object_set_new(o, "t_ms", json_integer((json_int_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000));
        s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(o);
        if (!s) {
                log_oom();
                return;
        }
        fputs(s, stdout);
        fputc('\n', stdout);
        fflush(stdout);
        free(s);
}

/* Text as a JSON string; bytes that are not UTF-8 as \xNN. */
static json_t *json_data(const void *data, size_t len) {
        json_t *j = json_stringn(data, len);
        if (j)
                return j;
        _cleanup_free_ char *esc = malloc(len * 4 + 1);
        if (!esc)
                return json_null();
        size_t k = 0;
        for (size_t i = 0; i < len; i++) {
                unsigned char ch = ((const unsigned char *) data)[i];
                if (ch >= 0x20 && ch < 0x7f)
                        esc[k++] = (char) ch;
                else
                        k += (size_t) sprintf(esc + k, "\\x%02x", ch);
        }
        esc[k] = '\0';
        return json_string(esc);
}

static void on_connection(void *userdata, bool connected) {
        Probe *p = userdata;
        json_t *o = json_pack("{s:s, s:b}", "event", "connection", "connected", connected);

        if (connected) {
                size_t n = 0;
                const uint32_t *ids = cluster_configured_nodes(p->cluster, &n);
                json_t *nodes = json_array();
                for (size_t i = 0; i < n; i++) {
                        _cleanup_free_ char *name = cluster_node_name(p->cluster, ids[i]);
                        json_array_append_new(nodes, json_pack("{s:I, s:s}", "id", (json_int_t) ids[i], "name",
                                                               strempty(name)));
                }
                json_object_set_new(o, "nodeid", json_integer(cluster_local_nodeid(p->cluster)));
                json_object_set_new(o, "cluster", json_string(cluster_name(p->cluster)));
                json_object_set_new(o, "nodes", nodes);
        }
        emit(o);
}

static void on_membership(void *userdata, const uint32_t *members, size_t n, uint64_t ring) {
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
                json_array_append_new(a, json_integer(members[i]));
        emit(json_pack("{s:s, s:o, s:I}", "event", "membership", "members", a, "ring", (json_int_t) ring));
}

static void on_message(void *userdata, uint32_t from, const void *data, size_t len) {
        emit(json_pack("{s:s, s:I, s:o, s:I}", "event", "message", "from", (json_int_t) from, "data",
                       json_data(data, len < print_max ? len : print_max), "len", (json_int_t) len));
}

static void on_quorum(void *userdata, bool quorate) {
        emit(json_pack("{s:s, s:b}", "event", "quorum", "quorate", quorate));
}

static void send_line(Probe *p, const char *line, size_t len) {
        int r = cluster_send(p->cluster, line, len);
        if (r < 0) {
                const char *name = strerrorname_np(-r);
                emit(json_pack("{s:s, s:o, s:s}", "event", "send-error", "data", json_data(line, len), "error",
                               name ? name : "?"));
        }
}

static int on_stdin(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Probe *p = userdata;
        ssize_t k;

        k = read(fd, p->buf + p->n, LINE_MAX_BYTES - p->n);
        if (k < 0) {
                if (errno == EAGAIN || errno == EINTR)
                        return 0;
                log_error_errno(errno, "Reading stdin: %m");
        }
        if (k <= 0) { /* end of input: keep listening until a signal */
                p->stdin_source = sd_event_source_disable_unref(p->stdin_source);
                return 0;
        }
        p->n += (size_t) k;
        for (;;) {
                char *nl = memchr(p->buf, '\n', p->n);
                if (!nl)
                        break;
                size_t len = (size_t) (nl - p->buf);
                if (!p->overlong)
                        send_line(p, p->buf, len);
                p->overlong = false;
                memmove(p->buf, nl + 1, p->n - len - 1);
                p->n -= len + 1;
        }
        if (p->n == LINE_MAX_BYTES) { /* a line above the limit: send what fits (EMSGSIZE), drop the rest */
                if (!p->overlong)
                        send_line(p, p->buf, p->n);
                p->overlong = true;
                p->n = 0;
        }
        return 0;
}

int main(int argc, char *argv[]) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        Probe p = {};
        ClusterCallbacks cb = {
                .connection = on_connection,
                .membership = on_membership,
                .message = on_message,
                .quorum = on_quorum,
                .userdata = &p,
        };
        sigset_t ss;
        int r, c;

        log_set_target(LOG_TARGET_CONSOLE);
        log_set_ident("cpg-probe");
        while ((c = getopt(argc, argv, "vt:h")) >= 0) {
                switch (c) {
                case 'v':
                        log_max_level = LOG_DEBUG;
                        break;
                case 't':
                        print_max = strtoul(optarg, NULL, 10);
                        break;
                default:
                        fprintf(stderr,
                                "Usage: %s [-v] [-t BYTES]\n"
                                "Multicasts each line of stdin; prints one JSON line per callback on stdout.\n"
                                "  -v        debug log on stderr\n"
                                "  -t BYTES  print at most BYTES of a message's data (\"len\" has its size)\n",
                                argv[0]);
                        return c == 'h' ? 0 : 2;
                }
        }

        sigemptyset(&ss);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGINT);
        sigprocmask(SIG_BLOCK, &ss, NULL);
        signal(SIGPIPE, SIG_IGN);

        r = sd_event_default(&event);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the event loop: %m"), 1;

        p.buf = malloc(LINE_MAX_BYTES);
        if (!p.buf)
                return log_oom(), 1;
        r = cluster_new(event, &cb, &p.cluster);
        if (r < 0) {
                free(p.buf);
                return log_error_errno(r, "cluster_new: %m"), 1;
        }

        r = sd_event_add_io(event, &p.stdin_source, STDIN_FILENO, EPOLLIN, on_stdin, &p);
        if (r == -EPERM) /* a regular file or /dev/null: nothing to multicast */
                log_debug("stdin cannot be polled; multicasting nothing.");
        else if (r < 0)
                log_warning_errno(r, "Cannot watch stdin: %m");

        cluster_start(p.cluster);
        r = sd_event_loop(event);

        p.stdin_source = sd_event_source_disable_unref(p.stdin_source);
        cluster_free(p.cluster);
        free(p.buf);
        if (r < 0)
                return log_error_errno(r, "Event loop: %m"), 1;
        return 0;
}
