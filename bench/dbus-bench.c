/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* D-Bus client benchmark for accelnetd (sd-bus; one connection per client thread).
 *
 *   dbus-bench reads CLIENTS ROUNDS [MIRROR_ADDRESS]
 *       Every client calls, ROUNDS times, Peer.Ping, ListAdapters, GetPrerequisites and
 *       ListVMs on org.accelnet1 (interleaved, so drift hits all alike); all clients start
 *       together. Prints JSON with p50/p99 per method (µs). With MIRROR_ADDRESS (the bus of
 *       a `dbus-bench mirror`), each client also makes every call there, right after the
 *       same call to the daemon, so that both are measured under the same load: their
 *       figures go under "mirror".
 *   dbus-bench cycles CLIENTS SECONDS PERFORMANCE VM...
 *       Client i loops EnableVM(VM[i]) + DisableVM(VM[i]) for SECONDS. Prints JSON with the
 *       number of cycles, cycles/s and the p50 of one cycle.
 *   dbus-bench mirror SOURCE_ADDRESS
 *       A trivial service, to tell the cost of a reply's size from the daemon's own: fetches
 *       ListAdapters, GetPrerequisites and ListVMs once from org.accelnet1 on the bus at
 *       SOURCE_ADDRESS, then owns org.accelnet1 on the system bus and answers each of them
 *       with a copy of the stored reply (the same rows marshalled again, nothing else),
 *       until killed. Prints "ready" once the name is owned.
 *   dbus-bench ping
 *       One Peer.Ping with a 300 s timeout (start-up: answered once the daemon serves).
 *   dbus-bench call METHOD N
 *       N calls of one method (Ping, ListAdapters, GetPrerequisites or ListVMs) on one
 *       connection, for profiling: prints JSON with the p50 (µs) and the wall time.
 *   dbus-bench enable N[/PAUSE_MS] PERFORMANCE VM...
 *       N samples on one connection, after one untimed warm-up (each sample, and the warm-up,
 *       after a pause of PAUSE_MS, default none): sample i is an EnableVM of
 *       VM[i % count] (timed) followed by a DisableVM of the same VM (timed apart). Prints
 *       JSON with every EnableVM sample (µs, in order), their p50 and p90 and the DisableVMs'
 *       p50; stops at the first error.
 *   dbus-bench watch INTERVAL_MS TIMEOUT_S HOLD_MS SPEC ADDRESS...
 *       Polls org.accelnet1 on every bus ADDRESS (one connection each) every INTERVAL_MS
 *       until SPEC holds on all of them and has held for HOLD_MS, or TIMEOUT_S pass (exit
 *       3). SPEC: comma-separated NAME=VALUE, NAME a Manager property (compared as text:
 *       u/i/t numbers, b true/false, s as is; one Properties.GetAll per poll) or
 *       ListClusterVMs (its number of rows; called only once the properties hold on that
 *       bus). Prints "ready" once connected, then JSON: per bus the CLOCK_MONOTONIC times
 *       (each taken at the end of a poll) of the last poll that did not hold before the
 *       first that did (last_false), of the first that did (first_true), of the first of
 *       the polls that held from then to the end (stable_since), the poll count and the
 *       p50 and maximum of one poll (µs).
 *
 * The bus is DBUS_SYSTEM_BUS_ADDRESS (or the system bus). */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>

#define DEST "org.accelnet1"
#define PATH "/org/accelnet1"
#define IFACE "org.accelnet1.Manager"

enum { M_PING, M_ADAPTERS, M_PREREQ, M_VMS, _M_MAX };
static const char *const method_names[_M_MAX] = { "Ping", "ListAdapters", "GetPrerequisites", "ListVMs" };

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static pthread_barrier_t barrier;
static int rounds, seconds;
static const char *performance;

static const char *mirror_address;

typedef struct Client {
        pthread_t t;
        int id;
        const char *vm;
        double *lat[_M_MAX], *mlat[_M_MAX];
        size_t n;
        double *cycle;
        size_t n_cycles, cap_cycles;
        int errors;
        char first_error[256];
} Client;

static void note_error(Client *c, const char *what, const sd_bus_error *e, int r) {
        if (c->errors++ == 0)
                snprintf(c->first_error, sizeof c->first_error, "%s: %s", what,
                         e && e->message ? e->message : strerror(-r));
}

static int call(sd_bus *bus, int m) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r = m == M_PING ? sd_bus_call_method(bus, DEST, PATH, "org.freedesktop.DBus.Peer", "Ping", &e, &reply, "")
                            : sd_bus_call_method(bus, DEST, PATH, IFACE, method_names[m], &e, &reply, "");
        sd_bus_message_unref(reply);
        sd_bus_error_free(&e);
        return r;
}

static sd_bus *connect_bus(void) {
        sd_bus *bus = NULL;
        int r = sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "sd_bus_open_system: %s\n", strerror(-r));
                exit(1);
        }
        return bus;
}

static sd_bus *connect_address(const char *address) {
        sd_bus *bus = NULL;
        int r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, address);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, 1);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0) {
                fprintf(stderr, "cannot connect to %s: %s\n", address, strerror(-r));
                exit(1);
        }
        return bus;
}

static void *reads_thread(void *p) {
        Client *c = p;
        sd_bus *bus = connect_bus(), *mirror = mirror_address ? connect_address(mirror_address) : NULL;
        for (int m = 0; m < _M_MAX; m++) {
                (void) call(bus, m); /* warm-up: connection and daemon caches */
                if (mirror)
                        (void) call(mirror, m);
        }
        pthread_barrier_wait(&barrier);
        for (int i = 0; i < rounds; i++)
                for (int k = 0; k < _M_MAX; k++) {
                        int m = (k + i + c->id) % _M_MAX; /* rotate the order */
                        double t0 = now();
                        int r = call(bus, m);
                        c->lat[m][i] = now() - t0;
                        if (r < 0)
                                note_error(c, method_names[m], NULL, r);
                        if (!mirror)
                                continue;
                        t0 = now();
                        r = call(mirror, m);
                        c->mlat[m][i] = now() - t0;
                        if (r < 0)
                                note_error(c, method_names[m], NULL, r);
                }
        c->n = (size_t) rounds;
        sd_bus_flush_close_unref(bus);
        sd_bus_flush_close_unref(mirror);
        return NULL;
}

static double pct(double *v, size_t n, double p);

static void print_lat(Client *c, int n, bool of_mirror, double wall) {
        for (int m = 0; m < _M_MAX; m++) {
                size_t total = (size_t) n * (size_t) rounds, k = 0;
                double *all = calloc(total, sizeof(double));
                if (!all)
                        exit(1);
                for (int i = 0; i < n; i++)
                        for (int j = 0; j < rounds; j++)
                                all[k++] = of_mirror ? c[i].mlat[m][j] : c[i].lat[m][j];
                double p50 = pct(all, total, 0.50), p99 = pct(all, total, 0.99);
                printf("%s\"%s\": {\"p50_us\": %.2f, \"p99_us\": %.2f, \"calls_per_s\": %.1f}", m ? ", " : "",
                       method_names[m], p50 * 1e6, p99 * 1e6, (double) total / wall / _M_MAX);
                free(all);
        }
}

static void *cycles_thread(void *p) {
        Client *c = p;
        sd_bus *bus = connect_bus();
        pthread_barrier_wait(&barrier);
        double end = now() + seconds;
        while (now() < end) {
                sd_bus_error e = SD_BUS_ERROR_NULL;
                double t0 = now();
                int r = sd_bus_call_method(bus, DEST, PATH, IFACE, "EnableVM", &e, NULL, "ss", c->vm, performance);
                if (r < 0)
                        note_error(c, "EnableVM", &e, r);
                sd_bus_error_free(&e);
                r = sd_bus_call_method(bus, DEST, PATH, IFACE, "DisableVM", &e, NULL, "s", c->vm);
                if (r < 0)
                        note_error(c, "DisableVM", &e, r);
                sd_bus_error_free(&e);
                if (c->errors > 0)
                        break;
                if (c->n_cycles == c->cap_cycles) {
                        c->cap_cycles = c->cap_cycles ? 2 * c->cap_cycles : 4096;
                        c->cycle = realloc(c->cycle, c->cap_cycles * sizeof(double));
                        if (!c->cycle)
                                exit(1);
                }
                c->cycle[c->n_cycles++] = now() - t0;
        }
        sd_bus_flush_close_unref(bus);
        return NULL;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p) {
        if (n == 0)
                return 0;
        qsort(v, n, sizeof(double), cmp_double);
        size_t i = (size_t) (p * (double) (n - 1) + 0.5);
        return v[i];
}

/* ---- mirror: the same replies from a service that does nothing else ------------------------ */

/* A reply's rows as plain values: ListAdapters a(ssssuuu), the others a(sssss). */
typedef struct Rows {
        char *(*s)[5];
        uint32_t (*u)[3];
        size_t n;
} Rows;

static Rows rows[_M_MAX];

static int rows_read(sd_bus_message *reply, int m, Rows *ret) {
        bool adapters = m == M_ADAPTERS;
        const char *contents = adapters ? "(ssssuuu)" : "(sssss)";
        size_t cap = 0;
        int r = sd_bus_message_enter_container(reply, 'a', contents);
        if (r < 0)
                return r;
        for (;;) {
                const char *s[5] = {};
                uint32_t u[3] = {};
                r = adapters ? sd_bus_message_read(reply, "(ssssuuu)", &s[0], &s[1], &s[2], &s[3], &u[0], &u[1], &u[2])
                             : sd_bus_message_read(reply, "(sssss)", &s[0], &s[1], &s[2], &s[3], &s[4]);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                if (ret->n == cap) {
                        cap = cap ? 2 * cap : 64;
                        ret->s = realloc(ret->s, cap * sizeof *ret->s);
                        ret->u = realloc(ret->u, cap * sizeof *ret->u);
                        if (!ret->s || !ret->u)
                                return -ENOMEM;
                }
                for (int k = 0; k < 5; k++)
                        ret->s[ret->n][k] = s[k] ? strdup(s[k]) : NULL;
                memcpy(ret->u[ret->n], u, sizeof u);
                ret->n++;
        }
        return sd_bus_message_exit_container(reply);
}

/* What the daemon's handler does with its model, with nothing to look up: a new return,
 * one append per row, send. */
static int mirror_method(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        sd_bus_message *reply = NULL;
        int k = -1;
        for (int i = M_ADAPTERS; i < _M_MAX; i++)
                if (sd_bus_message_is_method_call(m, IFACE, method_names[i]))
                        k = i;
        if (k < 0)
                return -EINVAL;
        const Rows *t = &rows[k];
        int r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', k == M_ADAPTERS ? "(ssssuuu)" : "(sssss)");
        for (size_t i = 0; r >= 0 && i < t->n; i++)
                r = k == M_ADAPTERS ? sd_bus_message_append(reply, "(ssssuuu)", t->s[i][0], t->s[i][1], t->s[i][2],
                                                            t->s[i][3], t->u[i][0], t->u[i][1], t->u[i][2])
                                    : sd_bus_message_append(reply, "(sssss)", t->s[i][0], t->s[i][1], t->s[i][2],
                                                            t->s[i][3], t->s[i][4]);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        sd_bus_message_unref(reply);
        return r;
}

static const sd_bus_vtable mirror_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("ListAdapters", "", "a(ssssuuu)", mirror_method, 0),
        SD_BUS_METHOD("GetPrerequisites", "", "a(sssss)", mirror_method, 0),
        SD_BUS_METHOD("ListVMs", "", "a(sssss)", mirror_method, 0),
        SD_BUS_VTABLE_END,
};

static int mirror(const char *source) {
        sd_bus *src = NULL, *bus = NULL;
        int r = sd_bus_new(&src);
        if (r >= 0)
                r = sd_bus_set_address(src, source);
        if (r >= 0)
                r = sd_bus_set_bus_client(src, 1);
        if (r >= 0)
                r = sd_bus_start(src);
        if (r < 0) {
                fprintf(stderr, "mirror: cannot connect to %s: %s\n", source, strerror(-r));
                return 1;
        }
        for (int m = M_ADAPTERS; m < _M_MAX; m++) {
                sd_bus_error e = SD_BUS_ERROR_NULL;
                sd_bus_message *reply = NULL;
                r = sd_bus_call_method(src, DEST, PATH, IFACE, method_names[m], &e, &reply, "");
                if (r >= 0)
                        r = rows_read(reply, m, &rows[m]);
                if (r < 0) {
                        fprintf(stderr, "mirror: %s: %s\n", method_names[m], e.message ? e.message : strerror(-r));
                        return 1;
                }
                sd_bus_message_unref(reply);
        }
        sd_bus_flush_close_unref(src);
        bus = connect_bus();
        r = sd_bus_add_object_vtable(bus, NULL, PATH, IFACE, mirror_vtable, NULL);
        if (r >= 0)
                r = sd_bus_request_name(bus, DEST, 0);
        if (r < 0) {
                fprintf(stderr, "mirror: cannot serve %s: %s\n", DEST, strerror(-r));
                return 1;
        }
        printf("ready\n");
        fflush(stdout);
        for (;;) {
                r = sd_bus_process(bus, NULL);
                if (r < 0) {
                        fprintf(stderr, "mirror: %s\n", strerror(-r));
                        return 1;
                }
                if (r == 0 && sd_bus_wait(bus, UINT64_MAX) < 0)
                        return 1;
        }
}

/* ---- enable: EnableVM latency, DisableVM untimed ---------------------------------------- */

static void json_safe(char *s) {
        for (; *s; s++)
                if (*s == '"' || *s == '\\' || (unsigned char) *s < 0x20)
                        *s = '\'';
}

static int enable_samples(int n, int pause_ms, const char *perf, char **vms, int n_vms) {
        sd_bus *bus = connect_bus();
        double *lat = calloc((size_t) n, sizeof(double)), *dis = calloc((size_t) n, sizeof(double));
        char err[512] = "";
        int done = 0;
        if (!lat || !dis)
                return 1;
        for (int i = -1; i < n; i++) {
                const char *vm = vms[(i < 0 ? 0 : i) % n_vms];
                sd_bus_error e = SD_BUS_ERROR_NULL;
                if (pause_ms > 0) {
                        struct timespec ts = { pause_ms / 1000, (long) (pause_ms % 1000) * 1000000L };
                        nanosleep(&ts, NULL);
                }
                double t0 = now();
                int r = sd_bus_call_method(bus, DEST, PATH, IFACE, "EnableVM", &e, NULL, "ss", vm, perf);
                double dt = now() - t0;
                if (r < 0)
                        snprintf(err, sizeof err, "EnableVM %s: %s", vm, e.message ? e.message : strerror(-r));
                sd_bus_error_free(&e);
                double t1 = now();
                if (r >= 0) {
                        r = sd_bus_call_method(bus, DEST, PATH, IFACE, "DisableVM", &e, NULL, "s", vm);
                        if (r < 0)
                                snprintf(err, sizeof err, "DisableVM %s: %s", vm, e.message ? e.message : strerror(-r));
                        sd_bus_error_free(&e);
                }
                if (r < 0)
                        break;
                if (i >= 0) {
                        dis[done] = now() - t1;
                        lat[done++] = dt;
                }
        }
        printf("{\"samples_us\": [");
        for (int i = 0; i < done; i++)
                printf("%s%.1f", i ? ", " : "", lat[i] * 1e6);
        printf("], \"n\": %d", done);
        if (done > 0) {
                double p50 = pct(lat, (size_t) done, 0.5), p90 = pct(lat, (size_t) done, 0.9);
                printf(", \"p50_us\": %.1f, \"p90_us\": %.1f, \"disable_p50_us\": %.1f", p50 * 1e6, p90 * 1e6,
                       pct(dis, (size_t) done, 0.5) * 1e6);
        }
        json_safe(err);
        printf(", \"errors\": %d, \"first_error\": \"%s\"}\n", err[0] != 0, err);
        free(lat);
        free(dis);
        sd_bus_flush_close_unref(bus);
        return err[0] != 0;
}

/* ---- watch: poll until a condition holds on every node ------------------------------------ */

typedef struct Want {
        char *name, *value;
} Want;

typedef struct Watched {
        const char *address;
        sd_bus *bus;
        double last_false, first_true, stable_since;
        bool holds;
        size_t polls;
        double *lat;
        char seen[1024];             /* what the last poll saw, for a timeout's report */
} Watched;

static void seen_add(Watched *w, const char *name, const char *value) {
        size_t l = strlen(w->seen);
        snprintf(w->seen + l, sizeof w->seen - l, "%s%s=%s", l ? "," : "", name, value);
}

/* Does `want` hold on this bus now? Properties first (GetAll), ListClusterVMs only then. */
static bool watch_poll(Watched *w, Want *want, size_t n_want) {
        sd_bus_message *reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        bool ok = true, *matched = calloc(n_want ? n_want : 1, sizeof(bool)), list = false;
        w->seen[0] = 0;
        int r = sd_bus_call_method(w->bus, DEST, PATH, "org.freedesktop.DBus.Properties", "GetAll", &e, &reply, "s",
                                   IFACE);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *name = NULL, *contents = NULL;
                char type, buf[256] = "";
                if ((r = sd_bus_message_read(reply, "s", &name)) < 0 ||
                    (r = sd_bus_message_peek_type(reply, &type, &contents)) < 0)
                        break;
                if (!contents || strlen(contents) != 1 || !strchr("ubsit", contents[0])) {
                        r = sd_bus_message_skip(reply, "v");
                } else if ((r = sd_bus_message_enter_container(reply, 'v', contents)) >= 0) {
                        union {
                                uint32_t u;
                                int32_t i;
                                uint64_t t;
                                int b;
                                const char *s;
                        } v;
                        r = sd_bus_message_read_basic(reply, contents[0], &v);
                        if (r >= 0)
                                switch (contents[0]) {
                                case 'u': snprintf(buf, sizeof buf, "%" PRIu32, v.u); break;
                                case 'i': snprintf(buf, sizeof buf, "%" PRIi32, v.i); break;
                                case 't': snprintf(buf, sizeof buf, "%" PRIu64, v.t); break;
                                case 'b': snprintf(buf, sizeof buf, "%s", v.b ? "true" : "false"); break;
                                case 's': snprintf(buf, sizeof buf, "%s", v.s); break;
                                }
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                }
                if (r < 0)
                        break;
                for (size_t k = 0; k < n_want; k++)
                        if (strcmp(want[k].name, name) == 0) {
                                matched[k] = strcmp(want[k].value, buf) == 0;
                                seen_add(w, name, buf);
                        }
                r = sd_bus_message_exit_container(reply);
        }
        sd_bus_message_unref(reply);
        sd_bus_error_free(&e);
        if (r < 0)
                ok = false;
        for (size_t k = 0; k < n_want; k++)
                if (strcmp(want[k].name, "ListClusterVMs") == 0)
                        list = true;
                else if (!matched[k])
                        ok = false;
        if (ok && list) {
                size_t rows = 0;
                reply = NULL;
                r = sd_bus_call_method(w->bus, DEST, PATH, IFACE, "ListClusterVMs", &e, &reply, "");
                if (r >= 0)
                        r = sd_bus_message_enter_container(reply, 'a', "(ssssss)");
                while (r >= 0 && (r = sd_bus_message_skip(reply, "(ssssss)")) > 0)
                        rows++;
                sd_bus_message_unref(reply);
                sd_bus_error_free(&e);
                char buf[32];
                snprintf(buf, sizeof buf, "%zu", rows);
                seen_add(w, "ListClusterVMs", r < 0 ? "error" : buf);
                for (size_t k = 0; k < n_want; k++)
                        if (strcmp(want[k].name, "ListClusterVMs") == 0 && (r < 0 || strcmp(want[k].value, buf) != 0))
                                ok = false;
        }
        free(matched);
        return ok;
}

static int watch(int interval_ms, double timeout_s, int hold_ms, char *spec, char **addresses, int n) {
        Want want[32];
        size_t n_want = 0;
        for (char *save = NULL, *tok = strtok_r(spec, ",", &save); tok && n_want < 32; tok = strtok_r(NULL, ",", &save)) {
                char *eq = strchr(tok, '=');
                if (!eq)
                        return 2;
                *eq = 0;
                want[n_want++] = (Want){ tok, eq + 1 };
        }
        Watched *w = calloc((size_t) n, sizeof(Watched));
        size_t max_polls = (size_t) (timeout_s * 1000 / interval_ms) + 16;
        for (int i = 0; i < n; i++) {
                w[i].address = addresses[i];
                w[i].bus = connect_address(addresses[i]);
                w[i].lat = calloc(max_polls, sizeof(double));
                if (!w[i].lat)
                        return 1;
        }
        printf("ready\n");
        fflush(stdout);
        double start = now(), all_since = 0;
        bool all = false;
        struct timespec next;
        clock_gettime(CLOCK_MONOTONIC, &next);
        for (;;) {
                double round = now();
                all = true;
                for (int i = 0; i < n; i++) {
                        double t0 = now();
                        bool h = watch_poll(&w[i], want, n_want);
                        double t1 = now();
                        if (w[i].polls < max_polls)
                                w[i].lat[w[i].polls] = t1 - t0;
                        w[i].polls++;
                        if (h && !w[i].holds) {
                                w[i].stable_since = t1;
                                if (w[i].first_true == 0)
                                        w[i].first_true = t1;
                        } else if (!h) {
                                if (w[i].first_true == 0)
                                        w[i].last_false = t1;
                                w[i].stable_since = 0;
                        }
                        w[i].holds = h;
                        all = all && h;
                }
                if (!all)
                        all_since = 0;
                else if (all_since == 0)
                        all_since = round;
                if (all && now() - all_since >= hold_ms / 1e3)
                        break;
                if (now() - start > timeout_s)
                        break;
                next.tv_nsec += (long) interval_ms * 1000000L;
                while (next.tv_nsec >= 1000000000L) {
                        next.tv_nsec -= 1000000000L;
                        next.tv_sec++;
                }
                clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
        }
        printf("{\"interval_ms\": %d, \"started\": %.6f, \"held\": %s, \"nodes\": [", interval_ms, start,
               all ? "true" : "false");
        for (int i = 0; i < n; i++) {
                size_t k = w[i].polls < max_polls ? w[i].polls : max_polls;
                json_safe(w[i].seen);
                printf("%s{\"address\": \"%s\", \"last_false\": %.6f, \"first_true\": %.6f, \"stable_since\": %.6f, "
                       "\"polls\": %zu, \"poll_p50_us\": %.1f, \"poll_max_us\": %.1f, \"last_seen\": \"%s\"}",
                       i ? ", " : "", w[i].address, w[i].last_false, w[i].first_true, w[i].stable_since, w[i].polls,
                       pct(w[i].lat, k, 0.5) * 1e6, pct(w[i].lat, k, 1.0) * 1e6, w[i].seen);
                sd_bus_flush_close_unref(w[i].bus);
        }
        printf("]}\n");
        return all ? 0 : 3;
}

int main(int argc, char **argv) {
        if (argc >= 4 && strcmp(argv[1], "reads") == 0) {
                int n = atoi(argv[2]);
                rounds = atoi(argv[3]);
                mirror_address = argc >= 5 ? argv[4] : NULL;
                if (n < 1 || rounds < 1)
                        return 2;
                Client *c = calloc((size_t) n, sizeof(Client));
                pthread_barrier_init(&barrier, NULL, (unsigned) n + 1);
                for (int i = 0; i < n; i++) {
                        c[i].id = i;
                        for (int m = 0; m < _M_MAX; m++) {
                                c[i].lat[m] = calloc((size_t) rounds + 1, sizeof(double));
                                c[i].mlat[m] = calloc((size_t) rounds + 1, sizeof(double));
                        }
                        pthread_create(&c[i].t, NULL, reads_thread, &c[i]);
                }
                pthread_barrier_wait(&barrier);
                double t0 = now();
                for (int i = 0; i < n; i++)
                        pthread_join(c[i].t, NULL);
                double wall = now() - t0;
                int errors = 0;
                printf("{\"clients\": %d, \"rounds\": %d, \"wall_s\": %.6f, ", n, rounds, wall);
                print_lat(c, n, false, wall);
                if (mirror_address) {
                        printf(", \"mirror\": {");
                        print_lat(c, n, true, wall);
                        printf("}");
                }
                for (int i = 0; i < n; i++)
                        errors += c[i].errors;
                printf(", \"errors\": %d", errors);
                for (int i = 0; i < n; i++)
                        if (c[i].errors) {
                                printf(", \"first_error\": \"%s\"", c[i].first_error);
                                break;
                        }
                printf("}\n");
                return errors ? 1 : 0;
        }
        if (argc >= 6 && strcmp(argv[1], "cycles") == 0) {
                int n = atoi(argv[2]);
                seconds = atoi(argv[3]);
                performance = argv[4];
                if (n < 1 || seconds < 1 || argc < 5 + n)
                        return 2;
                Client *c = calloc((size_t) n, sizeof(Client));
                pthread_barrier_init(&barrier, NULL, (unsigned) n + 1);
                for (int i = 0; i < n; i++) {
                        c[i].id = i;
                        c[i].vm = argv[5 + i];
                        pthread_create(&c[i].t, NULL, cycles_thread, &c[i]);
                }
                pthread_barrier_wait(&barrier);
                double t0 = now();
                for (int i = 0; i < n; i++)
                        pthread_join(c[i].t, NULL);
                double wall = now() - t0;
                size_t total = 0, k = 0;
                int errors = 0;
                for (int i = 0; i < n; i++) {
                        total += c[i].n_cycles;
                        errors += c[i].errors;
                }
                double *all = calloc(total ? total : 1, sizeof(double));
                for (int i = 0; i < n; i++)
                        for (size_t j = 0; j < c[i].n_cycles; j++)
                                all[k++] = c[i].cycle[j];
                printf("{\"clients\": %d, \"cycles\": %zu, \"wall_s\": %.6f, \"cycles_per_s\": %.1f, "
                       "\"cycle_p50_us\": %.1f, \"cycle_p99_us\": %.1f, \"errors\": %d",
                       n, total, wall, (double) total / wall, pct(all, total, 0.5) * 1e6, pct(all, total, 0.99) * 1e6,
                       errors);
                for (int i = 0; i < n; i++)
                        if (c[i].errors) {
                                printf(", \"first_error\": \"%s\"", c[i].first_error);
                                break;
                        }
                printf("}\n");
                return errors ? 1 : 0;
        }
        if (argc >= 2 && strcmp(argv[1], "ping") == 0) {
                /* One Peer.Ping, answered once the daemon's loop has served everything queued
                 * before it (after READY=1: the libvirt connection and reconcile). */
                sd_bus *bus = connect_bus();
                sd_bus_message *m = NULL, *reply = NULL;
                sd_bus_error e = SD_BUS_ERROR_NULL;
                int r = sd_bus_message_new_method_call(bus, &m, DEST, PATH, "org.freedesktop.DBus.Peer", "Ping");
                if (r >= 0)
                        r = sd_bus_call(bus, m, 300ULL * 1000000ULL, &e, &reply);
                if (r < 0)
                        fprintf(stderr, "Ping: %s\n", e.message ? e.message : strerror(-r));
                return r < 0;
        }
        if (argc == 3 && strcmp(argv[1], "mirror") == 0)
                return mirror(argv[2]);
        if (argc == 4 && strcmp(argv[1], "call") == 0) {
                int m = -1, n = atoi(argv[3]);
                for (int k = 0; k < _M_MAX; k++)
                        if (strcmp(argv[2], method_names[k]) == 0)
                                m = k;
                if (m < 0 || n < 1)
                        return 2;
                sd_bus *bus = connect_bus();
                double *lat = calloc((size_t) n, sizeof(double)), t0 = now();
                int errors = 0;
                if (!lat)
                        return 1;
                for (int i = 0; i < n; i++) {
                        double t = now();
                        if (call(bus, m) < 0)
                                errors++;
                        lat[i] = now() - t;
                }
                double wall = now() - t0;
                printf("{\"method\": \"%s\", \"calls\": %d, \"wall_s\": %.6f, \"p50_us\": %.2f, \"errors\": %d}\n",
                       method_names[m], n, wall, pct(lat, (size_t) n, 0.5) * 1e6, errors);
                sd_bus_flush_close_unref(bus);
                return errors ? 1 : 0;
        }
        if (argc >= 5 && strcmp(argv[1], "enable") == 0) {
                int n = atoi(argv[2]);
                const char *slash = strchr(argv[2], '/');
                if (n < 1)
                        return 2;
                return enable_samples(n, slash ? atoi(slash + 1) : 0, argv[3], argv + 4, argc - 4);
        }
        if (argc >= 7 && strcmp(argv[1], "watch") == 0) {
                int interval = atoi(argv[2]), hold = atoi(argv[4]);
                double timeout = atof(argv[3]);
                if (interval < 1 || timeout <= 0 || hold < 0)
                        return 2;
                return watch(interval, timeout, hold, argv[5], argv + 6, argc - 6);
        }
        fprintf(stderr, "usage: dbus-bench ping | reads CLIENTS ROUNDS | cycles CLIENTS SECONDS PERFORMANCE VM... | "
                        "mirror SOURCE_ADDRESS | call METHOD N | enable N[/PAUSE_MS] PERFORMANCE VM... | "
                        "watch INTERVAL_MS TIMEOUT_S HOLD_MS SPEC ADDRESS...\n");
        return 2;
}
