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
 *
 * The bus is DBUS_SYSTEM_BUS_ADDRESS (or the system bus). */
#include <errno.h>
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
        fprintf(stderr, "usage: dbus-bench ping | reads CLIENTS ROUNDS | cycles CLIENTS SECONDS PERFORMANCE VM... | "
                        "mirror SOURCE_ADDRESS | call METHOD N\n");
        return 2;
}
