/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Where accelnetctl's errors go. Always a line "accelnetctl: MESSAGE" on stderr, wrapped at
 * its width (the terminal's, 80 when it is no terminal; a word longer than the line is cut).
 * With --json also one JSON object on stdout, so that a script reading stdout (jq) gets a
 * document for a failure too:
 *
 *     {"error": NAME, "message": MESSAGE}
 *
 * NAME is the D-Bus error's short name ("VmNotEnoughVcpus", "AccessDenied"), or one of the
 * names below for failures that have no D-Bus error. */

#include <stdio.h>
#include <systemd/sd-bus.h>

#include "args.h"

#define CLI_ERROR_USAGE "UsageError"          /* bad command line (exit 2) */
#define CLI_ERROR_NOT_RUNNING "NotRunning"    /* nobody owns org.accelnet1 */
#define CLI_ERROR_NO_BUS "BusUnavailable"     /* the system bus cannot be reached */
#define CLI_ERROR_BAD_REPLY "BadReply"        /* a reply of an unexpected shape */
#define CLI_ERROR_FAILED "Failed"             /* anything else (out of memory, output) */
#define CLI_ERROR_HOST_FILE "HostFileInvalid" /* prereq --host: the file cannot be used */

/* The error's name for JSON: CLI_ERROR_NOT_RUNNING when the daemon is not on the bus, the
 * part after the last '.' of e's name, else CLI_ERROR_FAILED. Borrowed from e. */
const char *cli_error_name(const sd_bus_error *e);

/* message wrapped after the prefix "accelnetctl: " at width columns (0: 80), every line
 * ended with '\n'; a word wider than a line is cut. Owned; NULL on OOM. */
char *cli_error_wrap(const char *message, size_t width);

/* Prints the error as said above (json: JSON_MODE_OFF for none) and returns status. */
int cli_report(FILE *out, FILE *err, JsonMode json, int status, const char *name, const char *message);

/* A failed call: "MESSAGE (ERROR NAME)" on stderr, {"error": SHORT NAME, "message": MESSAGE}
 * with --json. Returns CLI_EXIT_FAILURE. */
int cli_report_bus_error(FILE *out, FILE *err, JsonMode json, const sd_bus_error *e, int r);
