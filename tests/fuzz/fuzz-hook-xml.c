/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer: the libvirt hook's hook_xml_managed() on the domain XML libvirtd gives it on
 * stdin, checked against virt_xml_accel_parse() (the daemon's reading of the same XML):
 * UNKNOWN exactly when the XML is not a domain document, YES only when the daemon finds a VF
 * (or refuses a value of one), NO only when it finds none. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hook/hook.h"
#include "virt/virt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        VirtXmlAccel a = {};
        char *buf = malloc(size + 1);

        if (!buf)
                return 0;
        memcpy(buf, data, size);
        buf[size] = '\0';

        HookManaged m = hook_xml_managed(buf);
        int r = virt_xml_accel_parse(buf, &a);
        if (r != -ENOMEM) {
                switch (m) {
                case HOOK_MANAGED_UNKNOWN:
                        if (r != -EBADMSG)
                                abort();
                        break;
                case HOOK_MANAGED_YES:
                        if (!(r == -EINVAL || (r == 0 && a.n_vfs > 0)))
                                abort();
                        break;
                case HOOK_MANAGED_NO:
                        if (!(r == -EINVAL || (r == 0 && a.n_vfs == 0)))
                                abort();
                        break;
                default:
                        abort();
                }
        }
        virt_xml_accel_done(&a);
        free(buf);
        return 0;
}
