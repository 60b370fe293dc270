/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `lspci -x/-xxx/-xxxx` text dumps → binary config space (src/sim/pcidump.c), as the unit
 * tests and `accelnetd --simulate` read the real dumps of tests/fixtures/real. */
#include <errno.h>
#include <string.h>

#include "fuzzlib.h"
#include "shared/macro.h"
#include "sim/pcidump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = fuzz_strndup(data, size);
        PciDump *d = NULL;
        unsigned line = 0;
        int r;

        r = pci_dump_parse(text, &d, &line);
        FUZZ_CHECK(r == 0 || r == -EBADMSG);
        if (r == -EBADMSG)
                FUZZ_CHECK(line >= 1 && !d);
        if (r == 0) {
                FUZZ_CHECK(d);
                for (size_t i = 0; i < d->n; i++) {
                        const PciDumpDevice *dev = &d->devices[i], *found;
                        char slot[PCI_ADDR_STRLEN];

                        FUZZ_CHECK(dev->len <= PCI_DUMP_MAX_CONFIG);
                        /* Every device is found again by its address (the first one of a
                         * slot given twice). */
                        pci_addr_format(&dev->addr, slot);
                        found = pci_dump_find(d, slot);
                        FUZZ_CHECK(found && pci_addr_equal(&found->addr, &dev->addr));
                }
                pci_dump_free(d);
        }
        free(text);
        return 0;
}
