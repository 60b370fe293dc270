/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer: virt_domain_parse() on untrusted bytes. The input is the persistent definition,
 * optionally followed by a NUL byte and the live one. Every fact read is used, so that a
 * dangling or unterminated value shows under ASan. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "virt/virt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t touch(const char *s) {
        return s ? strlen(s) : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        VirtDomain *d = NULL;
        char *buf = malloc(size + 1);
        const char *live = NULL;
        size_t sum = 0;

        if (!buf)
                return 0;
        memcpy(buf, data, size);
        buf[size] = '\0';
        const char *nul = memchr(buf, '\0', size);
        if (nul && (size_t) (nul - buf) + 1 < size)
                live = nul + 1;

        if (virt_domain_parse(buf, live, &d) == 0) {
                sum += touch(d->name) + touch(d->uuid) + touch(d->vcpu_placement) + touch(d->vcpu_cpuset) +
                       touch(d->numa_mode) + touch(d->numa_nodeset) + touch(d->numa_placement) +
                       touch(d->accel_performance) + d->vcpus + d->vcpus_max + d->accel + d->active;
                if (!d->name || !d->name[0] || d->active != (live != NULL))
                        abort();
                for (size_t i = 0; i < d->n_memnodes; i++)
                        sum += touch(d->memnodes[i].mode) + touch(d->memnodes[i].set) + d->memnodes[i].id;
                for (size_t i = 0; i < d->n_vcpupins; i++)
                        sum += touch(d->vcpupins[i].set) + d->vcpupins[i].id;
                for (int pass = 0; pass < 2; pass++) {
                        const VirtIface *v = pass ? d->live_ifaces : d->ifaces;
                        size_t n = pass ? d->n_live_ifaces : d->n_ifaces;
                        for (size_t i = 0; i < n; i++) {
                                sum += touch(v[i].type_name) + touch(v[i].model) + touch(v[i].mac) +
                                       touch(v[i].alias) + touch(v[i].teaming_persistent) + touch(v[i].pci) +
                                       v[i].vlan + v[i].teaming + v[i].managed;
                                if ((int) v[i].type < 0 || v[i].type >= _VIRT_IFACE_TYPE_MAX || v[i].vlan > 4095)
                                        abort();
                                /* a hostdev's PCI fact is canonical: it finds itself */
                                if (v[i].pci && virt_iface_find_pci(v, n, v[i].pci) == NULL)
                                        abort();
                                if (v[i].mac && !virt_iface_find_mac(v, n, v[i].mac))
                                        abort();
                        }
                }
        }
        virt_domain_free(d);
        free(buf);
        return sum == (size_t) -1; /* keeps `sum` alive */
}
