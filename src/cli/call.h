/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The plumbing every verb shares (commands.c, views.c, select.c): calls to the Manager,
 * errors through report.c (wrapped; also as JSON on stdout with --json) and output. Each
 * returns a CLI_EXIT_* status; a failure is printed before it returns. */

#include <jansson.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "commands.h"
#include "shared/macro.h"

/* "accelnetctl: MESSAGE" on stderr and, with --json, {"error": name, "message": ...} on
 * stdout (name NULL: CLI_ERROR_FAILED). CLI_EXIT_FAILURE. */
int cli_error(const CliContext *ctx, const char *name, const char *fmt, ...) _printf_(3, 4);
/* On stderr only: for a failure after the JSON document was written (some VMs failed). */
int cli_error_text(const CliContext *ctx, const char *fmt, ...) _printf_(2, 3);
int cli_bus_error(const CliContext *ctx, const sd_bus_error *e, int r);
/* "Failed to parse the reply of METHOD" (BadReply). */
int cli_parse_error(const CliContext *ctx, const char *method, int r);

/* A Manager method call without arguments yet. */
int cli_new_call(const CliContext *ctx, const char *member, sd_bus_message **ret);
/* Sends m; the reply in *ret. */
int cli_call(const CliContext *ctx, sd_bus_message *m, uint64_t timeout, sd_bus_message **ret);
/* A call whose method an older daemon lacks: *ret NULL and CLI_EXIT_SUCCESS when it answers
 * UnknownMethod (nothing printed); otherwise as cli_call. */
int cli_call_optional(const CliContext *ctx, sd_bus_message *m, uint64_t timeout, sd_bus_message **ret);

/* j (borrowed; NULL: out of memory) printed as --json asks. */
int cli_emit_json(const CliContext *ctx, json_t *j);
/* text printed; r < 0 (or text NULL) is a formatting failure. */
int cli_emit_text(const CliContext *ctx, int r, const char *text);
/* The per-VM results of a batch (a table with each failed VM's message, or JSON); exit
 * status 1 with "N of M VMs failed." on stderr if any failed. */
int cli_emit_vm_results(const CliContext *ctx, const VmResult *results, size_t n);
