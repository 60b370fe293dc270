/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The VF policy rules, in one place, for every caller (EnableVM, SetVM, DisableVM, the hook,
 * reconcile): which attribute failures fail the assignment and which are warnings. Called
 * from worker threads and the loop thread alike: only the VfNetlink handle given is used. */

#include <stdbool.h>
#include <stddef.h>

#include "manager.h"
#include "policy/state.h"
#include "sriov/vfpolicy.h"

/* Applies `p` to VF `index` of `pf_ifname`, one attribute per request. Fatal: the MAC, a
 * VLAN other than 0, a rate when `rates_required`, and any failure other than "not
 * supported"/"refused by the driver" (EOPNOTSUPP/EINVAL) of the other attributes. Returns 0
 * (warnings, if any, in `warnings`) or an AnStatus-ready code with `st` filled:
 * -AN_ERROR_CANNOT_PROVISION_PERFORMANCE for a required rate, -AN_ERROR_ENABLE_ACCELNET_FAILED
 * otherwise. */
int vf_apply_policy(VfNetlink *nl, const char *pf_ifname, unsigned index, const VfPolicy *p, bool rates_required,
                    AnStatus *st, char *warnings, size_t warnings_size);

/* Restores the settings saved before the VF was handed out (nothing when none were saved). */
int vf_restore(VfNetlink *nl, const char *pf_ifname, unsigned index, const VfSettings *saved);
/* Reads the VF's current settings (its restore point). */
int vf_read_settings(VfNetlink *nl, const char *pf_ifname, unsigned index, VfSettings *ret);
/* True when what the PF reports matches the policy (attributes the driver does not report
 * are taken as matching). */
bool vf_matches_policy(const VfInfo *i, const VfPolicy *p);
