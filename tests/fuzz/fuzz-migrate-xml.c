/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer: the domain XML of an incoming migration (untrusted, from another host):
 * virt_xml_accel_parse(), then retargeting its first VF, and dropping it. Checks what the
 * daemon relies on: every value returned is valid, the retargeted XML reads back the same with
 * only the first VF's address changed, and the XML without it reads back the same without it. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "virt/virt.h"

#define NEW_VF "0000:af:1f.7"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_vf(const VirtXmlVf *vf) {
        size_t ml = strlen(vf->mac);
        if (vf->vlan > 4094 || (ml != 0 && ml != 17) || strlen(vf->pci) < 12 || strlen(vf->pci) > 16)
                abort();
        for (size_t i = 0; i < ml; i++)
                if (i % 3 == 2 ? vf->mac[i] != ':' : !(isdigit((unsigned char) vf->mac[i]) || (vf->mac[i] >= 'a' && vf->mac[i] <= 'f')))
                        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        VirtXmlAccel a = {}, b = {};
        char *buf = malloc(size + 1), *out = NULL;
        int r;

        if (!buf)
                return 0;
        memcpy(buf, data, size);
        buf[size] = '\0';

        r = virt_xml_accel_parse(buf, &a);
        if (r != 0 && r != -EBADMSG && r != -EINVAL && r != -ENOMEM)
                abort();
        if (r != 0 && (a.vfs || a.n_vfs || a.performance))
                abort(); /* written only on success */
        if (r == 0) {
                for (size_t i = 0; i < a.n_vfs; i++)
                        check_vf(&a.vfs[i]);
                if (a.performance && !a.accel)
                        abort();
        }
        if (r == 0 && a.n_vfs > 0) {
                r = virt_xml_retarget_vf(buf, a.vfs[0].pci, NEW_VF, &out);
                if (r != 0 && r != -ENOMEM)
                        abort();
                if (r == 0) {
                        /* the result is read back: same VFs, the first one(s) moved */
                        if (virt_xml_accel_parse(out, &b) != 0 || b.n_vfs != a.n_vfs || b.accel != a.accel ||
                            (a.performance == NULL) != (b.performance == NULL) ||
                            (a.performance && strcmp(a.performance, b.performance) != 0))
                                abort();
                        for (size_t i = 0; i < a.n_vfs; i++) {
                                bool moved = strcmp(a.vfs[i].pci, a.vfs[0].pci) == 0;
                                if (strcmp(b.vfs[i].pci, moved ? NEW_VF : a.vfs[i].pci) != 0 ||
                                    strcmp(b.vfs[i].mac, a.vfs[i].mac) != 0 || b.vfs[i].vlan != a.vfs[i].vlan)
                                        abort();
                        }
                }
        }
        if (a.n_vfs > 0) {
                VirtXmlAccel c = {};
                char *dropped = NULL;
                r = virt_xml_drop_vf(buf, a.vfs[0].pci, &dropped);
                if (r != 0 && r != -ENOMEM)
                        abort();
                if (r == 0) {
                        size_t gone = 0;
                        for (size_t i = 0; i < a.n_vfs; i++)
                                gone += strcmp(a.vfs[i].pci, a.vfs[0].pci) == 0;
                        if (virt_xml_accel_parse(dropped, &c) != 0 || c.n_vfs != a.n_vfs - gone || c.accel != a.accel)
                                abort();
                        for (size_t i = 0; i < c.n_vfs; i++)
                                if (strcmp(c.vfs[i].pci, a.vfs[0].pci) == 0)
                                        abort();
                }
                virt_xml_accel_done(&c);
                free(dropped);
        }
        virt_xml_accel_done(&a);
        virt_xml_accel_done(&b);
        free(out);
        free(buf);
        return 0;
}
