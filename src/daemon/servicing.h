/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Planned servicing, like Azure's servicing events: the VF is revoked, the VM keeps its
 * traffic on virtio, the VF comes back afterwards.
 *
 *   DrainAdapter / RestoreAdapter  an adapter out of service and back (manager_pf_revoke with
 *                                  PF_REVOKE_ADMIN_DRAIN, pf.h: the seam the health monitor
 *                                  shares with PF_REVOKE_HEALTH_FAILED);
 *   RevokeVM / RestoreVM           one VM: it keeps its setting (accelerated, its tier) but
 *                                  holds no VF and gets none until RestoreVM (Azure's answer
 *                                  for testing an application against a revoke is IovWeight 0).
 *
 * Declarative, like management: what is revoked (admin drains, admin revokes) is kept in
 * state.json ("servicing"), and the post handler brings the VFs to it: a record on an adapter
 * out of service, or of a revoked VM, is revoked (VM_JOB_REVOKE: link down, unplug live and
 * from the persistent config, settings restored), whatever interrupted it before (kill -9,
 * libvirt away). Each VM's time without a VF while accelerated is recorded (since when, the
 * total) and shown in ListVMs' note. */

#include "manager.h"

Servicing *servicing_new(void);
/* Tells whoever still waits (accelnetd is stopping) and frees. */
Servicing *servicing_free(Servicing *s);

/* The post handler's two steps: before the save, the revokes are started (or finished: a VF
 * out of the XML is restored and released) and each VM's time without a VF is kept; after a
 * successful save, DrainProgress is told and the callers waiting on a drain, a revoke or a
 * restore are answered. */
void manager_servicing_step(Manager *m);
void manager_servicing_report(Manager *m);

/* A record servicing takes away (the VM holds it): of a VM the admin revoked, on an adapter
 * out of service, or whose revoke began. Reconcile leaves such records to servicing. */
bool servicing_owns_record(const Manager *m, const Vm *vm);

/* The bus methods (each completes `c` exactly once; _is_noop: nothing would change, answer at
 * once). An adapter is named by its PCI address or netdev name: unknown → AdapterNotFound, not
 * of the intent in force → InvalidArgs (RestoreAdapter accepts any adapter it drained). */
int manager_check_adapter_arg(const char *pf, AnStatus *st);
bool manager_drain_adapter_is_noop(Manager *m, const char *pf);
void manager_drain_adapter(Manager *m, const char *pf, Completion c);
bool manager_restore_adapter_is_noop(Manager *m, const char *pf);
void manager_restore_adapter(Manager *m, const char *pf, Completion c);
bool vm_revoke_is_noop(Manager *m, const char *vm);
void vm_revoke(Manager *m, const char *vm, Completion c);
bool vm_unrevoke_is_noop(Manager *m, const char *vm);
void vm_unrevoke(Manager *m, const char *vm, Completion c);

/* GetPrerequisites' rows of check "servicing": each adapter out of service, why, since when,
 * how far its drain is. */
void manager_servicing_foreach_note(Manager *m, NoteVisitor f, void *userdata);
/* "; out of service: ens1 (drained by the admin)" for the reason a VM waits, "" when every
 * adapter of the plan is in service. */
void manager_servicing_out_of_service(const Manager *m, char *buf, size_t size);

/* state.json: the drained adapters and the VMs' services, borrowed from the model into s
 * (free(s->drained), free(s->services) after use); and back at start. */
int manager_servicing_state(Manager *m, Vm **sorted, size_t n, State *s);
int manager_servicing_load(Manager *m, const State *s);

/* The next refresh: failed revokes are tried again. */
void manager_servicing_refresh(Manager *m);
