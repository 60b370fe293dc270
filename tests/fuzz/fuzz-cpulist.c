/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* CPU lists ("0-3,8,^2") as the kernel writes them in sys/devices/system/node/nodeN/cpulist
 * and libvirt in a domain's cpuset: cpulist_next (src/shared/strutil.c), and
 * host_facts_cpuset_node, which judges a VM's placement with it. */
#include <errno.h>
#include <string.h>

#include "fuzzlib.h"
#include "shared/hostfacts.h"
#include "shared/strutil.h"

/* 64 CPUs: 0-15 and 32-47 on node 0, 16-31 and 48-63 on node 1 (SMT siblings), CPU 5
 * unknown. */
static int cpu_node[64];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        for (int c = 0; c < 64; c++)
                cpu_node[c] = (c / 16) % 2;
        cpu_node[5] = -1;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = fuzz_strndup(data, size);
        const char *p = text, *end = text + strlen(text);
        HostFacts h = { .cpu_node = cpu_node, .n_cpus = 64 };
        unsigned first, last, items = 0;
        bool exclude;
        int r, node;

        while ((r = cpulist_next(&p, &first, &last, &exclude)) > 0) {
                /* A range is ordered and bounded, and the cursor moves forward. */
                FUZZ_CHECK(first <= last && last <= 65535);
                FUZZ_CHECK(p > text && p <= end);
                FUZZ_CHECK(items++ < size);
        }
        FUZZ_CHECK(r == 0 || r == -EINVAL);
        if (r == 0)
                FUZZ_CHECK(*p == 0);

        node = host_facts_cpuset_node(&h, text);
        FUZZ_CHECK(node >= -1 && node <= 1);
        if (node >= 0)
                FUZZ_CHECK(r == 0);  /* a malformed list never has a node */
        free(text);
        return 0;
}
