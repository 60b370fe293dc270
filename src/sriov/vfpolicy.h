/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* VF policy of SR-IOV physical functions: the requests of `ip link set PF vf N ...`
 * (RTM_GETLINK / RTM_SETLINK with IFLA_VFINFO_LIST on a kernel), one attribute per request.
 *
 * A VfNetlink is a handle on one backend (backend.h): the kernel's (a NETLINK_ROUTE socket)
 * or the simulated host's (src/sim). What is here checks the arguments, then hands the
 * request to the backend; nothing here knows which backend it is.
 *
 * Every function returns 0 (or a documented positive value) on success and a plain negative
 * errno on failure; libnl's error codes never come out of here. Notable values:
 *   -ENODEV      the PF netdev does not exist
 *   -EINVAL      a VF index past the PF's VF count (what igb and most drivers say), a bad
 *                argument (MAC string, VLAN > 4095, QoS > 7, interface name)
 *   -EOPNOTSUPP  the driver does not support this attribute (or the netdev has no VFs at all)
 *   -EPERM       no CAP_NET_ADMIN
 * Nothing here logs above debug. A VfNetlink is used by one thread at a time; open one per
 * thread (several handles, in any threads and processes, need no lock in the caller). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/macro.h"

#define VF_MAC_STRLEN 18 /* "aa:bb:cc:dd:ee:ff" + NUL */
#define VF_NETLINK_MAX_VFS 4096u /* more VFs than any PF has; larger counts are refused */

/* Same values as the kernel's IFLA_VF_LINK_STATE_*. */
typedef enum VfLinkState {
        VF_LINK_STATE_AUTO,
        VF_LINK_STATE_ENABLE,
        VF_LINK_STATE_DISABLE,
        _VF_LINK_STATE_MAX,
        _VF_LINK_STATE_INVALID = -22,
} VfLinkState;

const char *vf_link_state_to_string(VfLinkState s); /* "auto", "enable", "disable" */
VfLinkState vf_link_state_from_string(const char *s);

/* A VF's traffic counters as the PF driver reports them (IFLA_VF_STATS: the kernel sends
 * zeros for a driver without ndo_get_vf_stats, igb among them). Counted since the VF was
 * created. */
typedef struct VfStats {
        uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
        uint64_t broadcast, multicast;  /* received */
        uint64_t rx_dropped, tx_dropped; /* 0 on kernels before 5.6 (no attribute) */
} VfStats;

/* What the PF reports about one VF. */
typedef struct VfInfo {
        uint32_t index;
        char mac[VF_MAC_STRLEN];        /* lower case; "00:00:00:00:00:00" when unset */
        uint32_t vlan, qos;
        int spoofchk, trust;            /* 1/0, -1 when the driver does not report it */
        uint32_t min_tx_rate, max_tx_rate; /* Mb/s, 0 = no limit */
        int link_state;                 /* VfLinkState, -1 unknown */
        bool has_stats;                 /* `stats` read (vf_netlink_list_stats only) */
        VfStats stats;
} VfInfo;

typedef struct VfNetlink VfNetlink;
typedef struct SriovBackend SriovBackend;

/* A handle on backend `b` for the host under `root` (the kernel backend talks to the running
 * kernel whatever the root; the simulation keeps a copy of it). Owned by the caller. */
int vf_netlink_open(const SriovBackend *b, const char *root, VfNetlink **ret);
VfNetlink *vf_netlink_free(VfNetlink *nl);
DEFINE_TRIVIAL_CLEANUP_FUNC(VfNetlink *, vf_netlink_free);
/* The backend the handle was opened on (borrowed). */
const SriovBackend *vf_netlink_backend(const VfNetlink *nl);

/* All VFs of a PF, ordered by index. *ret is a malloc'ed array owned by the caller (free());
 * NULL with *ret_n == 0 when the PF has no VFs (not an error: lo, veth, a PF with
 * sriov_numvfs 0 all list 0 VFs). */
int vf_netlink_list(VfNetlink *nl, const char *pf_ifname, VfInfo **ret, size_t *ret_n);
/* The same, with each VF's traffic counters (has_stats set where the PF reported them). A
 * separate call because some drivers ask their firmware for every VF's counters (mlx5):
 * the daemon's own listings skip them. Needs no privilege on a kernel (RTM_GETLINK is open
 * to every user; only requests that change something need CAP_NET_ADMIN). */
int vf_netlink_list_stats(VfNetlink *nl, const char *pf_ifname, VfInfo **ret, size_t *ret_n);
/* One VF; -EINVAL if the PF has no VF with that index. */
int vf_netlink_get(VfNetlink *nl, const char *pf_ifname, uint32_t vf, VfInfo *ret);

/* One attribute per request (RTM_SETLINK + ACK). mac is "aa:bb:cc:dd:ee:ff" (any case);
 * the all-zero MAC clears the administrative MAC, as with igb. */
int vf_netlink_set_mac(VfNetlink *nl, const char *pf, uint32_t vf, const char *mac);
/* vlan 0..4095 (0 = untagged), qos 0..7, 802.1Q. */
int vf_netlink_set_vlan(VfNetlink *nl, const char *pf, uint32_t vf, uint32_t vlan, uint32_t qos);
int vf_netlink_set_spoofchk(VfNetlink *nl, const char *pf, uint32_t vf, bool on);
int vf_netlink_set_trust(VfNetlink *nl, const char *pf, uint32_t vf, bool on);
/* IFLA_VF_RATE, Mb/s, 0 = no limit. */
int vf_netlink_set_rate(VfNetlink *nl, const char *pf, uint32_t vf, uint32_t min_mbps, uint32_t max_mbps);
int vf_netlink_set_link_state(VfNetlink *nl, const char *pf, uint32_t vf, VfLinkState state);

/* The policy accelnet applies to a VF handed to a VM. An empty mac ("") leaves the MAC
 * alone (its result is 0); every other attribute is always sent. */
typedef struct VfPolicy {
        char mac[VF_MAC_STRLEN];
        uint32_t vlan, qos;
        bool spoofchk, trust;
        uint32_t min_tx_rate, max_tx_rate;
} VfPolicy;

/* The order in which vf_policy_apply sends the attributes. */
typedef enum VfAttr {
        VF_ATTR_MAC,
        VF_ATTR_VLAN,
        VF_ATTR_SPOOFCHK,
        VF_ATTR_TRUST,
        VF_ATTR_RATE,
        _VF_ATTR_MAX,
        _VF_ATTR_INVALID = -22,
} VfAttr;

const char *vf_attr_to_string(VfAttr a); /* "mac", "vlan", "spoofchk", "trust", "rate" */
VfAttr vf_attr_from_string(const char *s);

typedef struct VfApplyResult {
        int result[_VF_ATTR_MAX]; /* 0, -EOPNOTSUPP (driver cannot), or another -errno */
} VfApplyResult;

/* Sends every attribute of `p` as its own request, in VfAttr order, and carries on past a
 * failing one. *ret is always filled (when the arguments are valid), also on failure: that is
 * the point. Returns 0 when every attribute was applied, otherwise the first failure that is
 * not -EOPNOTSUPP, or -EOPNOTSUPP when only unsupported attributes failed. Returns -EINVAL
 * without sending anything if `p` itself is invalid (MAC string, VLAN, QoS). */
int vf_policy_apply(VfNetlink *nl, const char *pf, uint32_t vf, const VfPolicy *p, VfApplyResult *ret);

/* The policy that restores what `i` describes (save it before applying a new policy).
 * Attributes the driver did not report get the kernel's defaults (spoof check on, trust
 * off); returns 1 in that case, 0 when the copy is exact. */
int vf_policy_from_info(const VfInfo *i, VfPolicy *ret);

/* "aa:bb:cc:dd:ee:ff" (either case) ↔ 6 bytes. Parsing returns -EINVAL on anything else. */
int vf_mac_parse(const char *s, uint8_t ret[6]);
char *vf_mac_format(const uint8_t mac[6], char buf[static VF_MAC_STRLEN]);
/* Interface names as the kernel accepts them: 1-15 bytes, no '/', no whitespace, not . or .. */
bool vf_ifname_valid(const char *s);
