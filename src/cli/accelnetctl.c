/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* accelnetctl: the command line client of accelnetd (DESIGN §4). Parsing is in args.c,
 * the verbs in commands.c; this file only wires them to the process. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/bus.h"
#include "cli/commands.h"
#include "cli/table.h"
#include "config.h"

int main(int argc, char *argv[]) {
        _cleanup_(cli_args_done) CliArgs args = {};
        _cleanup_free_ char *error = NULL;
        _cleanup_bus_ sd_bus *bus = NULL;

        int r = cli_args_parse(argc, argv, &args, &error);
        if (r < 0) {
                fprintf(stderr, "accelnetctl: %s\n", error ? error : "Out of memory.");
                if (r == -ENOMEM)
                        return CLI_EXIT_FAILURE;
                fprintf(stderr, "See 'accelnetctl --help'.\n");
                return CLI_EXIT_USAGE;
        }

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

        r = cli_bus_open(&bus, &error);
        if (r < 0) {
                fprintf(stderr, "accelnetctl: %s\n", error ? error : "Failed to connect to the system bus.");
                return CLI_EXIT_FAILURE;
        }

        CliContext ctx = {
                .bus = bus,
                .args = &args,
                .out = stdout,
                .err = stderr,
                .width = output_width(STDOUT_FILENO),
        };
        return cli_run(&ctx);
}
