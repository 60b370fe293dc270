/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* ExplainVM: why a VM has, or would get, no VF — every rule of admission judged on the same
 * input EnableVM gives it (policy/admission.c's admission_explain over vm_admission_input),
 * and what the daemon knows beyond it (its setting, the running NIC's teaming, NUMA, the
 * adapters' health, its wait). Reads only: nothing changes, nothing is asked of libvirt. */

#include "manager.h"

/* performance: "" = the VM's tier (Low for a VM that is not accelerated, said in a row), else
 * a tier name (InvalidArgs otherwise). Rows in *ret (check, result, detail; subject and code
 * unused), in the order: management, setting, domain, vcpus, virtio-nic, teaming, numa,
 * capacity, vf, adapter-health, waiting. Errors: InvalidArgs (a bad name or tier), NoSuchVM,
 * Busy (libvirt not answering and the VM unknown). */
int manager_explain_vm(Manager *m, const char *name, const char *performance, NoteList *ret, AnStatus *st);
