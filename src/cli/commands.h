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

/* Reply readers: the rows borrow the message's strings; arrays are owned (free(), or
 * intent_rows_free). 0 or a negative errno (-EBADMSG and friends for a wrong signature). */
int prereq_rows_read(sd_bus_message *m, PrereqRow **ret, size_t *ret_n);
int adapter_rows_read(sd_bus_message *m, AdapterRow **ret, size_t *ret_n);
int vm_rows_read(sd_bus_message *m, VmRow **ret, size_t *ret_n);
int intent_rows_read(sd_bus_message *m, IntentRow **ret, size_t *ret_n);
int vm_results_read(sd_bus_message *m, VmResult **ret, size_t *ret_n);
int properties_read(sd_bus_message *m, Property **ret, size_t *ret_n);
