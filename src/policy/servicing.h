/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Planned servicing, the pure part (src/daemon/servicing.c acts on it): why an adapter is out
 * of service, and how ListVMs words a VM's revoke and its time without a VF. */

#include <stddef.h>
#include <stdint.h>

/* Why an adapter (PF) is out of service. It is out while any reason holds; each reason is
 * taken back on its own (manager_pf_unrevoke), so a health recovery never ends an admin
 * drain. */
typedef enum PfRevokeWhy {
        PF_REVOKE_ADMIN_DRAIN,   /* DrainAdapter, until RestoreAdapter; kept in state.json */
        PF_REVOKE_HEALTH_FAILED, /* the health monitor found the PF Failed, until it recovers */
        _PF_REVOKE_WHY_MAX,
        _PF_REVOKE_WHY_INVALID = -22,
} PfRevokeWhy;

const char *pf_revoke_why_to_string(PfRevokeWhy w); /* "admin-drain", "health-failed" */
PfRevokeWhy pf_revoke_why_from_string(const char *s);

/* The seconds a VM has been without a VF at `now`: the episodes that ended (`total`) and the
 * one since `since` (0: none running; a start after `now` counts 0). */
uint64_t servicing_without_total(uint64_t since, uint64_t total, uint64_t now);

/* ListVMs' note of a VM whose VF the admin revoked (RevokeVM), at `now`: "VF revoked by the
 * admin since 2026-12-06 21:30:05 UTC (4 min)", with "; 10 min without a VF in total" inside
 * the parentheses when `total` (its whole time without a VF at `now`, servicing_without_total)
 * is longer than the revoke. `now` 0: without the durations (a text that must not change by
 * itself: the facts other nodes show). */
void servicing_revoked_note(uint64_t since, uint64_t now, uint64_t total, char *buf, size_t size);

/* The note of a VM that holds a VF and was without one before: "42 s without a VF in total"
 * ("" for 0). */
void servicing_total_note(uint64_t total, char *buf, size_t size);
