/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared between vfpolicy.c (validation, dispatch) and vfnetlink.c (kernel backend), and the
 * seams the unit tests inspect. Not for other layers. */

#include "backend.h"
#include "vfpolicy.h"

struct VfNetlink {
        const SriovBackend *backend;   /* borrowed: a static table */
        void *handle;                  /* the backend's, closed with backend->vf_close */
};

/* Test seams of the kernel backend, free of libnl types.
 *
 * The complete RTM_SETLINK message (struct nlmsghdr first, sequence and port 0) that the
 * kernel backend sends for `req`; *ret is malloc'ed and owned by the caller. */
int vf_netlink_build_setlink(const char *pf, const VfSetRequest *req, void **ret, size_t *ret_size);
/* The RTM_GETLINK request the kernel backend's vf_list sends (flags: VfListFlags). */
int vf_netlink_build_getlink(const char *pf, unsigned flags, void **ret, size_t *ret_size);
/* Parses one RTM_NEWLINK message (struct nlmsghdr first, `size` bytes) as the kernel
 * backend's vf_list does; *ret malloc'ed (NULL when there are no VFs). */
int vf_netlink_parse_newlink(const void *msg, size_t size, VfInfo **ret, size_t *ret_n);
/* libnl's -NLE_* → -errno. */
int vf_netlink_nle_to_errno(int nle);
