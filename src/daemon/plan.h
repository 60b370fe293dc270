/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The plan: management's settings (enabled, intent, reserve) and each adapter's place in it
 * (planned, VFs wanted, the count before, provisioning status). Snapshots of it are what
 * the undo and revert of management operations go back to (management.c). */

#include "manager.h"
#include "shared/pciaddr.h"

typedef struct PlanPf {
        char address[PCI_ADDR_STRLEN];
        bool planned;
        unsigned want, numvfs_before;
        ProvisionStatus status;
} PlanPf;

struct PlanSnapshot {
        bool enabled;
        char *intent;
        unsigned reserve;
        PlanPf *pfs;
        size_t n;
};

int plan_snapshot_take(const Manager *m, PlanSnapshot *ret);
void plan_snapshot_restore(Manager *m, const PlanSnapshot *s);
void plan_snapshot_done(PlanSnapshot *s);
