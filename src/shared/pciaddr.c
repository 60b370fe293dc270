/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pciaddr.h"

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        c = (char) tolower((unsigned char) c);
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

/* Parses exactly n_min..n_max hex digits up to `stop`. */
static int parse_hex(const char **p, int n_min, int n_max, char stop, uint32_t *ret) {
        uint32_t v = 0;
        int n = 0;
        while (**p && **p != stop) {
                int h = hexval(**p);
                if (h < 0 || n == n_max)
                        return -EINVAL;
                v = v << 4 | (uint32_t) h;
                n++;
                (*p)++;
        }
        if (n < n_min || **p != stop)
                return -EINVAL;
        if (stop)
                (*p)++;
        *ret = v;
        return 0;
}

int pci_addr_parse(const char *s, PciAddr *ret) {
        uint32_t dom, bus, dev, fn;

        if (!s || strlen(s) >= PCI_ADDR_STRLEN)
                return -EINVAL;
        if (parse_hex(&s, 4, 8, ':', &dom) < 0 || parse_hex(&s, 2, 2, ':', &bus) < 0 ||
            parse_hex(&s, 2, 2, '.', &dev) < 0 || parse_hex(&s, 1, 1, 0, &fn) < 0)
                return -EINVAL;
        if (dev > 0x1f || fn > 7)
                return -EINVAL;
        *ret = (PciAddr){ .domain = dom, .bus = (uint8_t) bus, .dev = (uint8_t) dev, .func = (uint8_t) fn };
        return 0;
}

char *pci_addr_format(const PciAddr *a, char buf[static PCI_ADDR_STRLEN]) {
        snprintf(buf, PCI_ADDR_STRLEN, "%04x:%02x:%02x.%u", a->domain, a->bus, a->dev, a->func);
        return buf;
}
