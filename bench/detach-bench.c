/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt's own share of a drain: the call accelnetd's revoke makes to libvirt for each VF
 * (src/daemon/vm-work.c, VM_JOB_REVOKE: virt_domain_detach_vf, which reads the live and the
 * persistent definition and takes the VF out of both), made directly through src/virt for
 * every VM, THREADS at a time (accelnetd runs max_concurrent_operations, default 8).
 *
 *   detach-bench URI THREADS VM:VF...
 * Prints JSON: n, errors, wall_s (from the first call to the last answer). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "virt/virt.h"

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static VirtConn *vc;
static char **items;
static int n_items, next_item, errors;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *work(void *p) {
        for (;;) {
                pthread_mutex_lock(&lock);
                int i = next_item < n_items ? next_item++ : -1;
                pthread_mutex_unlock(&lock);
                if (i < 0)
                        return NULL;
                char vm[256];
                snprintf(vm, sizeof vm, "%s", items[i]);
                /* VM:VF where the VF itself holds colons: the VM ends at the first one */
                char *colon = strchr(vm, ':');
                if (!colon)
                        continue;
                *colon = 0;
                VirtDetachResult dr;
                int r = virt_domain_detach_vf(vc, vm, colon + 1, 10ULL * 1000000ULL, &dr);
                if (r < 0 || !dr.changed_config) {
                        pthread_mutex_lock(&lock);
                        if (errors++ == 0)
                                fprintf(stderr, "%s: %s\n", vm, r < 0 ? virt_last_error() : "nothing to detach");
                        pthread_mutex_unlock(&lock);
                }
        }
}

int main(int argc, char **argv) {
        sd_event *e = NULL;
        if (argc < 4) {
                fprintf(stderr, "usage: detach-bench URI THREADS VM:VF...\n");
                return 2;
        }
        int threads = atoi(argv[2]);
        if (threads < 1)
                threads = 1;
        items = argv + 3;
        n_items = argc - 3;
        if (sd_event_default(&e) < 0 || virt_conn_new(e, argv[1], &vc) < 0) {
                fprintf(stderr, "cannot connect to %s: %s\n", argv[1], virt_last_error());
                return 1;
        }
        pthread_t *t = calloc((size_t) threads, sizeof(pthread_t));
        double t0 = now();
        for (int i = 0; i < threads; i++)
                pthread_create(&t[i], NULL, work, NULL);
        for (int i = 0; i < threads; i++)
                pthread_join(t[i], NULL);
        double wall = now() - t0;
        printf("{\"n\": %d, \"errors\": %d, \"threads\": %d, \"wall_s\": %.6f}\n", n_items, errors, threads, wall);
        virt_conn_free(vc);
        sd_event_unref(e);
        free(t);
        return errors ? 1 : 0;
}
