/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* "0000:3b:00.1": domain (4 to 8 hex digits), bus, device (0-1f), function (0-7). */
#define PCI_ADDR_STRLEN 20

typedef struct PciAddr {
        uint32_t domain;
        uint8_t bus, dev, func;
} PciAddr;

int pci_addr_parse(const char *s, PciAddr *ret);
/* Returns buf. */
char *pci_addr_format(const PciAddr *a, char buf[static PCI_ADDR_STRLEN]);
static inline uint16_t pci_addr_rid(const PciAddr *a) {
        return (uint16_t) (a->bus << 8 | a->dev << 3 | a->func);
}
static inline bool pci_addr_equal(const PciAddr *a, const PciAddr *b) {
        return a->domain == b->domain && a->bus == b->bus && a->dev == b->dev && a->func == b->func;
}
