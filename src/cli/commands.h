/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One function per accelnetctl verb: call org.accelnet1.Manager, read the reply into
 * records, print it (table or JSON) on out; errors go to err as "accelnetctl: ...".
 * Each returns the exit status (CLI_EXIT_*). The bus is any connected sd_bus: the
 * system bus in accelnetctl, a peer connection in the unit tests. */

#include <stdio.h>
#include <systemd/sd-bus.h>

#include "args.h"
#include "records.h"
#include "reply.h"

typedef struct CliContext {
        sd_bus *bus;
        const CliArgs *args;
        FILE *out, *err;
        size_t width; /* wrap width for details */
} CliContext;

/* Dispatches on ctx->args->verb. */
int cli_run(const CliContext *ctx);

int verb_status(const CliContext *ctx);
int verb_prereq(const CliContext *ctx);
int verb_enable(const CliContext *ctx);
int verb_set(const CliContext *ctx);
int verb_disable(const CliContext *ctx);
int verb_adapters(const CliContext *ctx);
int verb_intents(const CliContext *ctx);
int verb_vm_enable(const CliContext *ctx);
int verb_vm_set(const CliContext *ctx);
int verb_vm_disable(const CliContext *ctx);
int verb_vm_list(const CliContext *ctx);
int verb_cluster_status(const CliContext *ctx);
int verb_cluster_nodes(const CliContext *ctx);
/* DrainAdapter with its progress (DrainProgress) on a terminal, until it answers. */
int verb_adapter_drain(const CliContext *ctx);
int verb_adapter_restore(const CliContext *ctx);
int verb_vm_revoke(const CliContext *ctx);
int verb_vm_restore(const CliContext *ctx);
/* select.c: vm set with several VMs (SetVM each, the result table), vm enable --all-eligible */
int verb_vm_set_many(const CliContext *ctx);
int verb_vm_enable_all_eligible(const CliContext *ctx);
/* monitor.c: the daemon's signals, one line each, until SIGINT/SIGTERM. */
int verb_monitor(const CliContext *ctx);
