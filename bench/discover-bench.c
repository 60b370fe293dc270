/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Discovery benchmark: host_discover() + prereq_evaluate() (what accelnetd runs at start and
 * on every refresh) against a raw walk that does exactly the filesystem work discovery
 * needs: the same files read in full, the same directories listed, the same links read and
 * the same existence checks, each once (the list comes from strace of `discover-bench once`,
 * see bench/bench.py), with no parsing.
 *
 *   discover-bench once ROOT              one discovery (to be traced)
 *   discover-bench run ROOT REPS OPS.txt  alternate discovery / raw walk REPS times; JSON out
 *
 * OPS.txt: one operation a line, "F path" (read), "D path" (list), "L path" (readlink),
 * "E path" (access F_OK). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "policy/prereq.h"
#include "sriov/discover.h"
#include "sriov/pci.h"

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int discover_once(PciAccess *pacc, const char *root, size_t *ret_adapters) {
        HostFacts *h = NULL;
        PrereqReport *rep = NULL;
        PrereqConfig cfg = { .kernel_min = PREREQ_DEFAULT_KERNEL_MIN, .libvirt_min = PREREQ_DEFAULT_LIBVIRT_MIN,
                             .libvirt_version = "9.0.0" };
        int r = host_discover(pacc, root, &h);
        if (r < 0)
                return r;
        r = prereq_evaluate(h, &cfg, &rep);
        if (ret_adapters)
                *ret_adapters = h->n_adapters;
        prereq_report_free(rep);
        host_facts_free(h);
        return r;
}

typedef struct Op {
        char kind;
        char *path;
} Op;

static unsigned long raw_walk(const Op *ops, size_t n) {
        static char buf[65536];
        unsigned long bytes = 0;
        for (size_t i = 0; i < n; i++) {
                const char *p = ops[i].path;
                switch (ops[i].kind) {
                case 'F': {
                        int fd = open(p, O_RDONLY | O_CLOEXEC);
                        ssize_t k;
                        if (fd < 0)
                                break;
                        while ((k = read(fd, buf, sizeof buf)) > 0)
                                bytes += (unsigned long) k;
                        close(fd);
                        break;
                }
                case 'D': {
                        DIR *d = opendir(p);
                        struct dirent *de;
                        if (!d)
                                break;
                        while ((de = readdir(d)))
                                bytes += de->d_name[0] != 0;
                        closedir(d);
                        break;
                }
                case 'L': {
                        ssize_t k = readlink(p, buf, sizeof buf);
                        if (k > 0)
                                bytes += (unsigned long) k;
                        break;
                }
                case 'E':
                        bytes += access(p, F_OK) == 0;
                        break;
                }
        }
        return bytes;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
        PciAccess *pacc = NULL;
        int r;

        if (argc < 3) {
                fprintf(stderr, "usage: discover-bench once ROOT | run ROOT REPS OPS.txt\n");
                return 2;
        }
        const char *root = argv[2];
        r = pci_access_new(root, &pacc);
        if (r < 0) {
                fprintf(stderr, "pci_access_new: %s\n", strerror(-r));
                return 1;
        }
        if (strcmp(argv[1], "once") == 0) {
                size_t n = 0;
                r = discover_once(pacc, root, &n);
                printf("%zu adapters\n", n);
                pci_access_free(pacc);
                return r < 0;
        }
        if (argc < 5)
                return 2;
        int reps = atoi(argv[3]);
        FILE *f = fopen(argv[4], "re");
        if (!f || reps < 1)
                return 1;
        Op *ops = NULL;
        size_t n_ops = 0, cap = 0;
        char *line = NULL;
        size_t len = 0;
        while (getline(&line, &len, f) > 0) {
                line[strcspn(line, "\n")] = 0;
                if (strlen(line) < 3)
                        continue;
                if (n_ops == cap) {
                        cap = cap ? cap * 2 : 1024;
                        ops = realloc(ops, cap * sizeof(Op));
                        if (!ops)
                                return 1;
                }
                ops[n_ops++] = (Op){ line[0], strdup(line + 2) };
        }
        free(line);
        fclose(f);

        double *td = calloc((size_t) reps, sizeof(double)), *tr = calloc((size_t) reps, sizeof(double));
        size_t adapters = 0;
        unsigned long bytes = 0;
        /* warm-up: dentry and page caches, libpci's ID database */
        (void) discover_once(pacc, root, &adapters);
        (void) raw_walk(ops, n_ops);
        for (int i = 0; i < reps; i++) {
                double t0 = now();
                r = discover_once(pacc, root, &adapters);
                double t1 = now();
                bytes = raw_walk(ops, n_ops);
                double t2 = now();
                if (r < 0) {
                        fprintf(stderr, "discovery failed: %s\n", strerror(-r));
                        return 1;
                }
                td[i] = t1 - t0;
                tr[i] = t2 - t1;
        }
        qsort(td, (size_t) reps, sizeof(double), cmp_double);
        qsort(tr, (size_t) reps, sizeof(double), cmp_double);
        printf("{\"adapters\": %zu, \"ops\": %zu, \"raw_units\": %lu, \"reps\": %d, "
               "\"discover_p50_s\": %.9f, \"discover_min_s\": %.9f, \"raw_p50_s\": %.9f, \"raw_min_s\": %.9f}\n",
               adapters, n_ops, bytes, reps, td[reps / 2], td[0], tr[reps / 2], tr[0]);
        pci_access_free(pacc);
        return 0;
}
