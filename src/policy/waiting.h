/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* VMs waiting for a VF: accelerated (their XML says so) but holding none on this host,
 * because none was free when they came (failover, migration, a VF lost). Pure decisions:
 * the order in which they get the VFs that free, and how ListVMs shows a wait. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/tier.h"

/* The latest time a wait may have begun (9999-12-31 23:59:59 UTC): what state.json accepts. */
#define WAITING_SINCE_MAX UINT64_C(253402300799)

typedef struct WaitingVm {
        const char *name;      /* borrowed */
        Tier tier;
        uint64_t since;        /* seconds since the epoch (UTC) it has waited since; 0: not known */
        void *userdata;        /* the caller's, carried along */
} WaitingVm;

/* The order in which waiting VMs get VFs: the higher tier first (High, Medium, Low), then the
 * one that has waited longer (an unknown start counts as now), then by name (strcmp), so
 * that the same waiting VMs are always served in the same order. */
int waiting_vm_compare(const WaitingVm *a, const WaitingVm *b);
void waiting_vms_sort(WaitingVm *v, size_t n);

/* A waited time, `seconds` long: "12 s", "4 min", "3 h 7 min", "2 d 5 h". */
void waiting_duration(uint64_t seconds, char *buf, size_t size);
/* ListVMs' note of a waiting VM at `now`: "waiting for a VF since 2026-12-06 21:30:05 UTC
 * (4 min): REASON" (without ": REASON" when the reason is empty; "waiting for a VF: REASON"
 * when the start is not known). A start after `now` (the clock was set back) has waited
 * 0 s. `now` 0: without the waited time ("waiting for a VF since ... UTC: REASON"), for a
 * text read later (the facts other nodes show). Truncated to `size`. */
void waiting_note(uint64_t since, uint64_t now, const char *reason, char *buf, size_t size);
/* The same with the VM's whole time without a VF at `now` (`total` seconds, servicing):
 * "(4 min; 10 min without a VF in total)" when it is longer than this wait and `now` is not 0. */
void waiting_note_total(uint64_t since, uint64_t now, uint64_t total, const char *reason, char *buf, size_t size);
