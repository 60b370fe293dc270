/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared between vfpolicy.c (validation, dispatch), vfnetlink.c (kernel backend) and
 * vfsim.c (simulated backend), and the seams the unit tests inspect. Not for other layers. */

#include "vfpolicy.h"

struct nl_sock;

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

/* A validated request: vfpolicy.c checks the values before a backend sees them. */
typedef struct VfSetRequest {
        VfSetKind kind;
        uint32_t vf;
        uint8_t mac[6];                /* VF_SET_MAC */
        uint32_t vlan, qos;            /* VF_SET_VLAN */
        bool on;                       /* VF_SET_SPOOFCHK, VF_SET_TRUST */
        uint32_t min_tx_rate, max_tx_rate; /* VF_SET_RATE */
        VfLinkState link_state;        /* VF_SET_LINK_STATE */
} VfSetRequest;

struct VfNetlink {
        bool simulated;
        struct nl_sock *sk;            /* kernel backend, owned */
        char *root;                    /* simulated backend, owned */
};

/* Kernel backend (vfnetlink.c). */
int vf_kernel_open(VfNetlink *nl);
void vf_kernel_close(VfNetlink *nl);
int vf_kernel_list(VfNetlink *nl, const char *pf, VfInfo **ret, size_t *ret_n);
int vf_kernel_set(VfNetlink *nl, const char *pf, const VfSetRequest *req);

/* Simulated backend (vfsim.c). */
int vf_sim_list(VfNetlink *nl, const char *pf, VfInfo **ret, size_t *ret_n);
int vf_sim_set(VfNetlink *nl, const char *pf, const VfSetRequest *req);
/* The same requests one after the other, with one read and one write of the PF's file;
 * results[i] gets each request's outcome. Returns <0 only when the PF cannot be read or
 * the file cannot be written. */
int vf_sim_set_many(VfNetlink *nl, const char *pf, const VfSetRequest *reqs, size_t n, int *results);

/* Test seams of the kernel backend, free of libnl types.
 *
 * The complete RTM_SETLINK message (struct nlmsghdr first, sequence and port 0) that
 * vf_kernel_set sends for `req`; *ret is malloc'ed and owned by the caller. */
int vf_netlink_build_setlink(const char *pf, const VfSetRequest *req, void **ret, size_t *ret_size);
/* The RTM_GETLINK request vf_kernel_list sends. */
int vf_netlink_build_getlink(const char *pf, void **ret, size_t *ret_size);
/* Parses one RTM_NEWLINK message (struct nlmsghdr first, `size` bytes) as vf_kernel_list
 * does; *ret malloc'ed (NULL when there are no VFs). */
int vf_netlink_parse_newlink(const void *msg, size_t size, VfInfo **ret, size_t *ret_n);
/* libnl's -NLE_* → -errno. */
int vf_netlink_nle_to_errno(int nle);
