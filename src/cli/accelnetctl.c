/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* accelnetctl: the command line client of accelnetd (DESIGN §4). Parsing is in args.c,
 * the verbs in commands.c; this file only wires them to the process. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/bus.h"
#include "cli/commands.h"
#include "cli/report.h"
#include "cli/table.h"
#include "config.h"

/* A usage error: the message and where to read more, on stderr; with --json also
 * {"error": "UsageError", ...} on stdout. */
static int usage_error(int argc, char *argv[], const char *message) {
        JsonMode json = cli_args_json_mode(argc, argv);
        _cleanup_free_ char *hint = cli_usage_hint(argc, argv);
        (void) cli_report(stdout, stderr, json, CLI_EXIT_USAGE, CLI_ERROR_USAGE, message);
        fprintf(stderr, "See '%s'.\n", hint ? hint : "accelnetctl --help");
        return CLI_EXIT_USAGE;
}

int main(int argc, char *argv[]) {
        _cleanup_(cli_args_done) CliArgs args = {};
        _cleanup_free_ char *error = NULL;
        _cleanup_bus_ sd_bus *bus = NULL;

        int r = cli_args_parse(argc, argv, &args, &error);
        if (r == -ENOMEM || (r < 0 && !error))
                return cli_report(stdout, stderr, cli_args_json_mode(argc, argv), CLI_EXIT_FAILURE, CLI_ERROR_FAILED,
                                  "Out of memory.");
        if (r < 0)
                return usage_error(argc, argv, error);

        switch (args.action) {
        case CLI_ACTION_VERSION:
                puts(PACKAGE_VERSION);
                return fflush(stdout) == 0 ? CLI_EXIT_SUCCESS : CLI_EXIT_FAILURE;
        case CLI_ACTION_HELP: {
                _cleanup_free_ char *text = cli_help_text(args.verb, args.group);
                if (!text) {
                        fprintf(stderr, "accelnetctl: Out of memory.\n");
                        return CLI_EXIT_FAILURE;
                }
                fputs(text, stdout);
                return fflush(stdout) == 0 ? CLI_EXIT_SUCCESS : CLI_EXIT_FAILURE;
        }
        case CLI_ACTION_RUN:
                break;
        }

        /* "-" among the VM names: the names from stdin (a usage error when they are bad) */
        r = cli_args_read_names(&args, stdin, &error);
        if (r == -EINVAL && error)
                return usage_error(argc, argv, error);
        if (r < 0)
                return cli_report(stdout, stderr, args.json, CLI_EXIT_FAILURE, CLI_ERROR_FAILED,
                                  error ? error : "Out of memory.");

        r = cli_bus_open(&bus, &error);
        if (r < 0)
                return cli_report(stdout, stderr, args.json, CLI_EXIT_FAILURE, CLI_ERROR_NO_BUS,
                                  error ? error : "Failed to connect to the system bus.");

        CliContext ctx = {
                .bus = bus,
                .args = &args,
                .out = stdout,
                .err = stderr,
                .width = output_width(STDOUT_FILENO),
        };
        return cli_run(&ctx);
}
