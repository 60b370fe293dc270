/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Reads `lspci -x/-xxx/-xxxx` text (the format libpci's dump backend reads, as in
 * ../shared/fixtures/real) into binary config space, the bytes a sysfs `config` file
 * holds. Verbose text between the hex lines is ignored, as lspci -F does. */

#include <stddef.h>
#include <stdint.h>

#include "shared/pciaddr.h"

#define PCI_DUMP_MAX_CONFIG 4096

typedef struct PciDumpDevice {
        PciAddr addr;
        uint8_t data[PCI_DUMP_MAX_CONFIG];
        size_t len;  /* highest byte given + 1 (64, 256 or 4096 for real dumps) */
} PciDumpDevice;

typedef struct PciDump {
        PciDumpDevice *devices;
        size_t n;
} PciDump;

/* -EBADMSG with *ret_line set when a hex line is malformed or past 4096 bytes. */
int pci_dump_parse(const char *text, PciDump **ret, unsigned *ret_line);
int pci_dump_parse_file(const char *path, PciDump **ret, unsigned *ret_line);
/* slot: "01:00.0" (domain 0) or "0002:01:00.0". Borrowed pointer. */
const PciDumpDevice *pci_dump_find(const PciDump *d, const char *slot);
PciDump *pci_dump_free(PciDump *d);
static inline void pci_dump_freep(PciDump **d) {
        if (*d)
                *d = pci_dump_free(*d);
}
