/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The one seam between a real kernel and a simulated host (DESIGN §1): what differs between
 * the two is behind an operations table, everything else (argument checks, the order of the
 * requests, going through 0 before changing a VF count, sysfs reads) is shared code in
 * src/sriov that calls it.
 *
 * A backend is a constant table chosen once at start (accelnetd's main) and handed around
 * as a `const SriovBackend *`: the kernel's is sriov_backend_kernel() (libnl, sysfs writes);
 * the simulation's is sim_backend() in src/sim. src/sriov never refers to src/sim.
 *
 * Handles: vf_open gives one handle per caller (per thread); a handle is used by one thread
 * at a time, and several handles may be used at once from any number of threads and
 * processes without a lock in the caller. Each backend keeps what it needs of `root`. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vfpolicy.h"

typedef struct PfMonitor PfMonitor;

/* Everything that can be set on a VF, one attribute per request. */
typedef enum VfSetKind {
        VF_SET_MAC,
        VF_SET_VLAN,
        VF_SET_SPOOFCHK,
        VF_SET_TRUST,
        VF_SET_RATE,
        VF_SET_LINK_STATE,
        _VF_SET_KIND_MAX,
} VfSetKind;

/* A validated request: vfpolicy.c checks the values before a backend sees them (MAC is a
 * parsed unicast-or-not address, VLAN ≤ 4095, QoS ≤ 7, link state a VfLinkState, vf below
 * INT32_MAX). */
typedef struct VfSetRequest {
        VfSetKind kind;
        uint32_t vf;
        uint8_t mac[6];                /* VF_SET_MAC */
        uint32_t vlan, qos;            /* VF_SET_VLAN */
        bool on;                       /* VF_SET_SPOOFCHK, VF_SET_TRUST */
        uint32_t min_tx_rate, max_tx_rate; /* VF_SET_RATE */
        VfLinkState link_state;        /* VF_SET_LINK_STATE */
} VfSetRequest;

typedef enum VfListFlags {
        VF_LIST_STATS = 1 << 0,        /* the VFs' traffic counters (IFLA_VF_STATS) too */
} VfListFlags;

typedef struct SriovBackend {
        const char *name;              /* "kernel", "simulated" */
        bool simulated;

        /* VF policy (what `ip link set PF vf N ...` does). Every function returns a plain
         * negative errno on failure, with the values documented in vfpolicy.h. */
        int (*vf_open)(const char *root, void **ret_handle);
        void (*vf_close)(void *handle);
        /* All VFs of the PF netdev, ordered by index; *ret malloc'ed (NULL when none). With
         * VF_LIST_STATS in `flags`, each VF's counters too (VfInfo.has_stats). */
        int (*vf_list)(void *handle, const char *pf_ifname, unsigned flags, VfInfo **ret, size_t *ret_n);
        /* The requests in order, each one judged on its own as the driver would (a refused
         * one changes nothing and the next is still tried); results[i] gets each outcome.
         * Returns < 0 when none took effect (results[] are then ignored), else 0. */
        int (*vf_set)(void *handle, const char *pf_ifname, const VfSetRequest *reqs, size_t n, int *results);

        /* Writes `n` to sriov_numvfs of the PF at PCI address `pf` under `root`. The caller
         * (pf_set_num_vfs) has checked the range and gone through 0 already. Returns the
         * kernel's errno (numvfs.h). Safe in any thread. */
        int (*write_num_vfs)(const char *root, const char *pf, unsigned n);

        /* PF health events (monitor.h, monitor-source.h): opens the backend's event sources on
         * the monitor's sd-event loop, feeding it; a source the host lacks is noted and left
         * out. *ret_handle is closed with monitor_close. Loop thread only. */
        int (*monitor_open)(PfMonitor *mon, void **ret_handle);
        void (*monitor_close)(void *handle);
} SriovBackend;

/* The kernel: NETLINK_ROUTE through libnl for VF policy (the running kernel, whatever the
 * root), and plain writes of ROOT/sys/bus/pci/devices/PF/sriov_numvfs. */
const SriovBackend *sriov_backend_kernel(void);

bool sriov_backend_is_simulated(const SriovBackend *b);
