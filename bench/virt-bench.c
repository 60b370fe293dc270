/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The libvirt part of EnableVM + DisableVM, made directly through src/virt: the calls
 * accelnetd's VM worker makes (src/daemon/vm-work.c), in its order. EnableVM:
 * virt_domain_set_accel (the tier into <metadata>), virt_domain_attach_vf (the teamed
 * hostdev); DisableVM: virt_domain_detach_vf, virt_domain_set_accel(NULL). The facts
 * admission needs (virt_domain_get) are read once per VM before the clock starts: the
 * daemon keeps them from libvirt's events, it does not read them per call.
 *
 *   virt-bench URI SECONDS PERFORMANCE VM:VF...   (one thread per VM, as dbus-bench cycles)
 * Prints JSON: cycles, cycles/s, p50 of one cycle. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shared/names.h"
#include "shared/pciaddr.h"
#include "virt/virt.h"

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static VirtConn *vc;
static int seconds;
static const char *performance;
static pthread_barrier_t barrier;

typedef struct W {
        pthread_t t;
        char vm[256], vf[32], mac[18], alias[64];
        double *cycle;
        size_t n, cap;
        int errors;
        char err[256];
} W;

static void *work(void *p) {
        W *w = p;
        pthread_barrier_wait(&barrier);
        double end = now() + seconds;
        while (now() < end) {
                double t0 = now();
                VirtAttachResult ar;
                VirtDetachResult dr;
                /* EnableVM */
                int r = virt_domain_set_accel(vc, w->vm, performance);
                if (r >= 0) {
                        VirtAttachArgs a = { .domain = w->vm, .vf_pci = w->vf, .mac = w->mac, .alias = w->alias,
                                             .virtio_mac = w->mac };
                        r = virt_domain_attach_vf(vc, &a, &ar);
                }
                /* DisableVM */
                if (r >= 0)
                        r = virt_domain_detach_vf(vc, w->vm, w->vf, 10ULL * 1000000ULL, &dr);
                if (r >= 0)
                        r = virt_domain_set_accel(vc, w->vm, NULL);
                if (r < 0 && r != -EOPNOTSUPP) {
                        if (w->errors++ == 0)
                                snprintf(w->err, sizeof w->err, "%s", virt_last_error());
                        break;
                }
                if (w->n == w->cap) {
                        w->cap = w->cap ? 2 * w->cap : 4096;
                        w->cycle = realloc(w->cycle, w->cap * sizeof(double));
                        if (!w->cycle)
                                exit(1);
                }
                w->cycle[w->n++] = now() - t0;
        }
        return NULL;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
        sd_event *e = NULL;
        int r;
        if (argc < 5) {
                fprintf(stderr, "usage: virt-bench URI SECONDS PERFORMANCE VM:VF...\n");
                return 2;
        }
        seconds = atoi(argv[2]);
        performance = argv[3];
        int n = argc - 4;
        sd_event_default(&e);
        r = virt_conn_new(e, argv[1], &vc);
        if (r < 0) {
                fprintf(stderr, "virt_conn_new: %s\n", virt_last_error());
                return 1;
        }
        W *w = calloc((size_t) n, sizeof(W));
        for (int i = 0; i < n; i++) {
                const char *arg = argv[4 + i];
                /* VF addresses contain ':' too: the VM name ends at the first one */
                const char *sep = strchr(arg, ':');
                if (!sep)
                        return 2;
                snprintf(w[i].vm, sizeof w[i].vm, "%.*s", (int) (sep - arg), arg);
                snprintf(w[i].vf, sizeof w[i].vf, "%s", sep + 1);
                PciAddr a;
                if (pci_addr_parse(w[i].vf, &a) < 0)
                        return 2;
                snprintf(w[i].alias, sizeof w[i].alias, "%s", ACCELNET_VF_ALIAS);
                VirtDomain *d = NULL;
                r = virt_domain_get(vc, w[i].vm, &d);
                if (r < 0) {
                        fprintf(stderr, "%s: %s\n", w[i].vm, virt_last_error());
                        return 1;
                }
                for (size_t k = 0; k < d->n_ifaces; k++)
                        if (d->ifaces[k].type != VIRT_IFACE_HOSTDEV && d->ifaces[k].mac) {
                                snprintf(w[i].mac, sizeof w[i].mac, "%s", d->ifaces[k].mac);
                                break;
                        }
                virt_domain_free(d);
        }
        pthread_barrier_init(&barrier, NULL, (unsigned) n + 1);
        for (int i = 0; i < n; i++)
                pthread_create(&w[i].t, NULL, work, &w[i]);
        pthread_barrier_wait(&barrier);
        double t0 = now();
        for (int i = 0; i < n; i++)
                pthread_join(w[i].t, NULL);
        double wall = now() - t0;
        size_t total = 0, k = 0;
        int errors = 0;
        for (int i = 0; i < n; i++) {
                total += w[i].n;
                errors += w[i].errors;
        }
        double *all = calloc(total ? total : 1, sizeof(double));
        for (int i = 0; i < n; i++)
                for (size_t j = 0; j < w[i].n; j++)
                        all[k++] = w[i].cycle[j];
        qsort(all, total, sizeof(double), cmp_double);
        printf("{\"clients\": %d, \"cycles\": %zu, \"wall_s\": %.6f, \"cycles_per_s\": %.1f, \"cycle_p50_us\": %.1f, "
               "\"errors\": %d",
               n, total, wall, (double) total / wall, total ? all[total / 2] * 1e6 : 0.0, errors);
        for (int i = 0; i < n; i++)
                if (w[i].errors) {
                        printf(", \"first_error\": \"%s\"", w[i].err);
                        break;
                }
        printf("}\n");
        virt_conn_free(vc);
        sd_event_unref(e);
        return errors ? 1 : 0;
}
