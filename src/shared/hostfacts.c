/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>

#include "hostfacts.h"
#include "macro.h"
#include "strutil.h"

void pci_port_done(PciPort *p) {
        free(p->sysfs_rel);
        free(p->name);
        free(p->problem);
        *p = (PciPort){};
}

void strv_free_n(char **v, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

void pf_facts_done(PfFacts *f) {
        free(f->sysfs_rel);
        free(f->ifname);
        free(f->driver);
        free(f->vendor_name);
        free(f->device_name);
        for (size_t i = 0; i < f->n_path; i++)
                pci_port_done(&f->path[i]);
        free(f->path);
        strv_free_n(f->problems, f->n_problems);
        *f = (PfFacts){};
}

HostFacts *host_facts_free(HostFacts *h) {
        if (!h)
                return NULL;
        free(h->root);
        free(h->iommu_units);
        free(h->kernel_release);
        free(h->cmdline);
        free(h->smt_problem);
        free(h->cpu_node);
        for (size_t i = 0; i < h->n_adapters; i++)
                pf_facts_done(&h->adapters[i]);
        free(h->adapters);
        strv_free_n(h->ignored, h->n_ignored);
        strv_free_n(h->problems, h->n_problems);
        free(h);
        return NULL;
}

int strv_appendf(char ***v, size_t *n, const char *fmt, ...) {
        char *s, **nv;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        nv = realloc(*v, sizeof(char *) * (*n + 1));
        if (!nv) {
                free(s);
                return -ENOMEM;
        }
        nv[(*n)++] = s;
        *v = nv;
        return 0;
}

const PfFacts *host_facts_find_adapter(const HostFacts *h, const char *name) {
        for (size_t i = 0; i < h->n_adapters; i++) {
                const PfFacts *f = &h->adapters[i];
                if (streq(f->address, name) || streq_ptr(f->ifname, name))
                        return f;
        }
        return NULL;
}

int host_facts_cpuset_node(const HostFacts *h, const char *cpuset) {
        const char *p = cpuset;
        unsigned a, b;
        bool exclude;
        int node = -1, r;

        if (!cpuset || h->n_cpus == 0)
                return -1;
        while ((r = cpulist_next(&p, &a, &b, &exclude)) > 0) {
                if (exclude) /* exclusions do not change which node the rest is on */
                        continue;
                for (unsigned c = a; c <= b; c++) {
                        if (c >= h->n_cpus || h->cpu_node[c] < 0 || (node >= 0 && h->cpu_node[c] != node))
                                return -1;
                        node = h->cpu_node[c];
                }
        }
        return r < 0 ? -1 : node;
}
