/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The simulated host's health events (src/sim/simevent.c): a datagram to
 * ROOT/run/accelnet-sim/events.sock is external input to accelnetd --simulate. What the
 * parser accepts must be within the protocol's bounds; what it refuses gets one printable
 * line naming the field. */
#include <errno.h>
#include <string.h>

#include "fuzzlib.h"
#include "shared/macro.h"
#include "shared/pciaddr.h"
#include "sim/simevent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *err = NULL;
        SimEvent e;
        uint32_t mts;

        memset(&e, 0xa5, sizeof e);
        int r = sim_event_parse((const char *) data, size, &e, &err);
        FUZZ_CHECK(r == 0 || r == -EBADMSG);
        if (r < 0) {
                FUZZ_CHECK(err);
                for (const char *p = err; *p; p++)
                        FUZZ_CHECK((unsigned char) *p >= 0x20 && *p != 0x7f);
                return 0;
        }
        FUZZ_CHECK(e.type >= 0 && e.type < _SIM_EVENT_TYPE_MAX);
        FUZZ_CHECK(memchr(e.pf, 0, sizeof e.pf) && e.pf[0] && !strchr(e.pf, '/'));
        FUZZ_CHECK(memchr(e.driver, 0, sizeof e.driver) && !strchr(e.driver, '/'));
        switch (e.type) {
        case SIM_EVENT_LINK:
                FUZZ_CHECK(e.admin_up >= -1 && e.admin_up <= 1);
                break;
        case SIM_EVENT_FLAP:
                FUZZ_CHECK(e.count >= 1 && e.count <= SIM_FLAP_MAX);
                break;
        case SIM_EVENT_RECOVERY:
                FUZZ_CHECK(e.recovery == PF_EVENT_RECOVERY_BEGIN || e.recovery == PF_EVENT_RECOVERY_SUCCESS ||
                           e.recovery == PF_EVENT_RECOVERY_FAILED);
                for (int i = 0; i < 3; i++)
                        FUZZ_CHECK(e.aer_add[i] <= SIM_AER_ADD_MAX);
                break;
        case SIM_EVENT_PCIE_LINK:
                FUZZ_CHECK(pcie_speed_parse(e.speed, &mts) == 0);
                FUZZ_CHECK(!e.max_speed[0] || pcie_speed_parse(e.max_speed, &mts) == 0);
                FUZZ_CHECK(e.width >= 1 && e.width <= 32 && e.max_width <= 32);
                break;
        case SIM_EVENT_DEVLINK:
                FUZZ_CHECK(memchr(e.reporter.name, 0, sizeof e.reporter.name) && e.reporter.name[0] &&
                           !strchr(e.reporter.name, '/'));
                break;
        default:
                break;
        }
        return 0;
}
