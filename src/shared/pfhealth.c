/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "shared/pfhealth.h"
#include "shared/string-table.h"

static const char *const pf_oper_state_table[_PF_OPER_MAX] = {
        [PF_OPER_UNKNOWN] = "unknown",
        [PF_OPER_NOTPRESENT] = "notpresent",
        [PF_OPER_DOWN] = "down",
        [PF_OPER_LOWERLAYERDOWN] = "lowerlayerdown",
        [PF_OPER_TESTING] = "testing",
        [PF_OPER_DORMANT] = "dormant",
        [PF_OPER_UP] = "up",
};

DEFINE_STRING_TABLE_LOOKUP(pf_oper_state, PfOperState);

static const char *const pf_event_kind_table[_PF_EVENT_KIND_MAX] = {
        [PF_EVENT_LINK] = "link",
        [PF_EVENT_DRIVER_BOUND] = "driver-bound",
        [PF_EVENT_DRIVER_UNBOUND] = "driver-unbound",
        [PF_EVENT_RECOVERY_BEGIN] = "recovery-begin",
        [PF_EVENT_RECOVERY_SUCCESS] = "recovery-success",
        [PF_EVENT_RECOVERY_FAILED] = "recovery-failed",
        [PF_EVENT_PCIE_LINK] = "pcie-link",
        [PF_EVENT_DEVLINK_REPORTER] = "devlink-reporter",
};

DEFINE_STRING_TABLE_LOOKUP(pf_event_kind, PfEventKind);

void pf_health_facts_init(PfHealthFacts *f) {
        *f = (PfHealthFacts){ .bound = -1, .link = PF_LINK_FACTS_UNKNOWN, .aer = PF_AER_FACTS_UNKNOWN };
}

int pcie_speed_parse(const char *s, uint32_t *ret) {
        uint64_t whole = 0, frac = 0, scale = 1;
        const char *p = s;

        if (!s || *p < '0' || *p > '9')
                return -EINVAL;
        for (; *p >= '0' && *p <= '9'; p++) {
                whole = whole * 10 + (uint64_t) (*p - '0');
                if (whole > 1000)
                        return -EINVAL;
        }
        if (*p == '.') {
                p++;
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                for (; *p >= '0' && *p <= '9'; p++)
                        if (scale < 1000) { /* MT/s resolution: three decimals at most count */
                                frac = frac * 10 + (uint64_t) (*p - '0');
                                scale *= 10;
                        }
        }
        while (*p == ' ')
                p++;
        if (strncmp(p, "GT/s", 4) != 0)
                return -EINVAL;
        p += 4;
        /* what may follow: " PCIe" (since Linux 5.x), a newline */
        while (*p == ' ')
                p++;
        if (strncmp(p, "PCIe", 4) == 0)
                p += 4;
        while (*p == '\n' || *p == ' ')
                p++;
        if (*p)
                return -EINVAL;
        uint64_t mts = whole * 1000 + frac * 1000 / scale;
        if (mts == 0)
                return -EINVAL;
        *ret = (uint32_t) mts;
        return 0;
}

uint64_t pcie_link_mbps(uint32_t speed_mts, uint32_t width) {
        if (speed_mts == 0 || width == 0)
                return 0;
        uint64_t raw = (uint64_t) speed_mts * width; /* Mb/s on the wire: 1 transfer = 1 bit per lane */
        if (speed_mts < 8000)
                return raw * 8 / 10;    /* 2.5 and 5 GT/s: 8b/10b */
        if (speed_mts < 64000)
                return raw * 128 / 130; /* 8, 16, 32 GT/s: 128b/130b */
        return raw * 242 / 256;         /* 64 GT/s: FLIT mode, 242 of 256 bytes carry data */
}
