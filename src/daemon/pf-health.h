/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Each adapter's health in the daemon: the PF monitor (sriov/monitor.h) delivers events on
 * the loop, each Pf's PfHealth (policy/health.h) judges them, and one timer wakes the loop
 * at the earliest deadline any PF has (a link-down debounce, a quarantine's stable period,
 * AER errors ageing out); nothing else wakes it. A PF that is Failed or quarantined takes no
 * new VF (it leaves the VF candidates and the capacity); its VMs keep theirs. Every change
 * of a PF's state or quarantine goes through manager_pf_health_changed(). */

#include <stdbool.h>

#include "manager.h"
#include "policy/health.h"

typedef struct Pf Pf;

/* After the first discovery: the monitor is made, every adapter watched and read, the
 * event sources opened. A host without any source still starts (health stays as read). */
int manager_health_start(Manager *m);
void manager_health_stop(Manager *m);
/* After every discovery (manager.c install): adapters that appeared are watched and read,
 * renamed netdevs followed. */
void manager_health_sync_pfs(Manager *m);
/* After a configuration reload: the "health" settings in force for every PF. */
void manager_health_settings_changed(Manager *m);

/* accelnet writes the Pf's sriov_numvfs (provisioning), which resets some PFs (igb drops its
 * link for about half a second, measured in the e2e guest): from begin until health.reset_grace_s
 * after end its link changes are neither a failure nor flapping. */
void manager_health_reset_begin(Manager *m, Pf *pf);
void manager_health_reset_end(Manager *m, Pf *pf);

/* Whether new VFs may be handed out on the Pf as far as its health goes (not Failed, not
 * quarantined; true while its health is not known). */
bool pf_accepts_new_vfs(const Pf *pf);

/* THE place where a PF's health change takes effect, called once for every change of its
 * state or of its quarantine (before: what they were). Today it logs (MESSAGE_ID), tells
 * the bus (HealthChanged) and marks the capacity and the hand-out of VFs to waiting VMs
 * dirty (a PF back in service gives VFs to the VMs that wait). The revocation of a Failed
 * PF's VFs and their restoration when it recovers are to be wired here. */
void manager_pf_health_changed(Manager *m, Pf *pf, HealthState before, bool was_quarantined);

/* The "health" rows of GetPrerequisites, one per watched adapter. */
void manager_health_foreach_note(Manager *m, NoteVisitor f, void *userdata);

/* now on both clocks */
HealthNow health_now(void);

/* The worst state over the watched adapters of the intent in force (all watched adapters
 * when management is off) and a one-line summary ("Healthy", "Degraded: ens1f0
 * (PcieLinkDegraded)", "Failed: ens2f0 (LinkDown); quarantined: ens1f1"), for the cluster's
 * node facts. Owned. */
char *manager_health_summary(Manager *m, HealthState *ret_state);
