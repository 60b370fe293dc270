/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <stdio.h>

#include "pcidump.h"
#include "shared/fileio.h"
#include "shared/macro.h"

PciDump *pci_dump_free(PciDump *d) {
        if (!d)
                return NULL;
        free(d->devices);
        free(d);
        return NULL;
}

/* "BB:DD.F " or "DDDD:BB:DD.F " (4 or 5 hex digits of domain) at the start of a line. */
static bool parse_slot_line(const char *line, PciAddr *ret) {
        char slot[PCI_ADDR_STRLEN + 8];
        size_t n = strcspn(line, " ");
        if (line[n] != ' ' || n >= sizeof slot - 5)
                return false;
        if (n == 7)
                snprintf(slot, sizeof slot, "0000:%.7s", line);
        else if (n == 12 || n == 13)
                snprintf(slot, sizeof slot, "%.*s", (int) n, line);
        else
                return false;
        return pci_addr_parse(slot, ret) >= 0;
}

static int hex2(const char *s) {
        int v = 0;
        for (int i = 0; i < 2; i++) {
                char c = (char) tolower((unsigned char) s[i]);
                if (c >= '0' && c <= '9')
                        v = v * 16 + (c - '0');
                else if (c >= 'a' && c <= 'f')
                        v = v * 16 + (c - 'a' + 10);
                else
                        return -1;
        }
        return v;
}

/* Returns 1 for a data line (bytes stored), 0 for "not a data line", <0 if malformed. */
static int parse_data_line(const char *line, PciDumpDevice *dev) {
        size_t n = 0;
        unsigned long off;
        char *end;

        while (isxdigit((unsigned char) line[n]))
                n++;
        if (n < 2 || n > 8 || line[n] != ':' || line[n + 1] != ' ')
                return 0;
        off = strtoul(line, &end, 16);
        const char *p = line + n + 2;
        while (*p) {
                int v = hex2(p);
                if (v < 0 || (p[2] && p[2] != ' '))
                        return -EBADMSG;
                if (off >= PCI_DUMP_MAX_CONFIG)
                        return -EBADMSG;
                dev->data[off++] = (uint8_t) v;
                if (off > dev->len)
                        dev->len = off;
                p += 2;
                if (*p == ' ')
                        p++;
        }
        return 1;
}

int pci_dump_parse(const char *text, PciDump **ret, unsigned *ret_line) {
        _cleanup_(pci_dump_freep) PciDump *d = calloc(1, sizeof(PciDump));
        PciDumpDevice *cur = NULL;
        unsigned lineno = 0;

        if (!d)
                return -ENOMEM;
        while (*text) {
                size_t len = strcspn(text, "\n");
                char line[1024];
                PciAddr a;

                lineno++;
                snprintf(line, sizeof line, "%.*s", (int) (len < sizeof line ? len : sizeof line - 1), text);
                text += len + (text[len] == '\n');
                size_t l = strlen(line);
                while (l > 0 && (line[l - 1] == '\r' || line[l - 1] == ' '))
                        line[--l] = 0;

                if (parse_slot_line(line, &a)) {
                        PciDumpDevice *nd = realloc(d->devices, sizeof(PciDumpDevice) * (d->n + 1));
                        if (!nd)
                                return -ENOMEM;
                        d->devices = nd;
                        cur = &d->devices[d->n++];
                        memset(cur, 0xff, sizeof *cur);
                        cur->addr = a;
                        cur->len = 0;
                        continue;
                }
                if (l == 0) {
                        cur = NULL;
                        continue;
                }
                if (!cur)
                        continue;
                int r = parse_data_line(line, cur);
                if (r < 0) {
                        if (ret_line)
                                *ret_line = lineno;
                        return r;
                }
        }
        *ret = TAKE_PTR(d);
        return 0;
}

int pci_dump_parse_file(const char *path, PciDump **ret, unsigned *ret_line) {
        _cleanup_free_ char *text = NULL;
        int r = read_full_file(path, 16 * 1024 * 1024, &text, NULL);
        if (r < 0)
                return r;
        return pci_dump_parse(text, ret, ret_line);
}

const PciDumpDevice *pci_dump_find(const PciDump *d, const char *slot) {
        char full[PCI_ADDR_STRLEN + 8];
        PciAddr a;

        if (strlen(slot) == 7)
                snprintf(full, sizeof full, "0000:%s", slot);
        else
                snprintf(full, sizeof full, "%s", slot);
        if (pci_addr_parse(full, &a) < 0)
                return NULL;
        for (size_t i = 0; i < d->n; i++)
                if (pci_addr_equal(&d->devices[i].addr, &a))
                        return &d->devices[i];
        return NULL;
}
