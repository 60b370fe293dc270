/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* accelnet-hook: the libvirt qemu hook, installed as /etc/libvirt/hooks/qemu.d/accelnet
 * (DESIGN §4). libvirtd runs it as `accelnet-hook DOMAIN OPERATION SUB-OPERATION EXTRA` with
 * the domain XML on stdin and waits for it, so it talks only to accelnetd, never to libvirt.
 * The decisions are in hook.c, the bus call in hook-bus.c. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "hook/hook-bus.h"
#include "hook/hook.h"
#include "shared/macro.h"

static int write_all(FILE *f, const char *s) {
        size_t n = strlen(s);
        if (fwrite(s, 1, n, f) != n || fflush(f) != 0)
                return -EIO;
        return 0;
}

int main(int argc, char *argv[]) {
        _cleanup_free_ char *error = NULL, *xml = NULL;
        _cleanup_(hook_call_result_done) HookCallResult res = {};
        _cleanup_(hook_outcome_done) HookOutcome out = {};
        HookArgs args;
        uint64_t timeout;
        int r;

        /* A closed stdout or stderr must turn into an error we handle, not a signal death
         * (libvirt would take it as a failure, even at release or reconnect). */
        (void) signal(SIGPIPE, SIG_IGN);

        r = hook_args_parse(argc, argv, &args, &error);
        if (r < 0) {
                fprintf(stderr, HOOK_PROGRAM ": %s\n%s", error ? error : "Out of memory.", hook_help_text());
                return HOOK_EXIT_USAGE;
        }
        switch (args.mode) {
        case HOOK_MODE_HELP:
                return write_all(stdout, hook_help_text()) < 0 ? HOOK_EXIT_FAILURE : HOOK_EXIT_SUCCESS;
        case HOOK_MODE_VERSION:
                return write_all(stdout, PACKAGE_VERSION "\n") < 0 ? HOOK_EXIT_FAILURE : HOOK_EXIT_SUCCESS;
        case HOOK_MODE_RUN:
                break;
        }

        HookAction action = hook_action_for(args.op, args.sub_op);
        if (action == HOOK_ACTION_NONE)
                return HOOK_EXIT_SUCCESS; /* start, started, stopped, reconnect, attach, … */

        if (hook_timeout_usec(getenv(HOOK_TIMEOUT_ENV), &timeout) < 0)
                fprintf(stderr, HOOK_PROGRAM ": warning: ignoring %s='%s' (want 1..%llu milliseconds).\n",
                        HOOK_TIMEOUT_ENV, getenv(HOOK_TIMEOUT_ENV), (unsigned long long) HOOK_TIMEOUT_MAX_MSEC);

        /* The domain XML: libvirtd always sends it. Nothing on a terminal (a person trying the
         * hook by hand), nothing readable, or nothing at all: unknown whether it is ours. */
        if (!isatty(STDIN_FILENO)) {
                size_t n = 0;
                r = hook_read_all(STDIN_FILENO, HOOK_XML_MAX, &xml, &n);
                if (r < 0)
                        fprintf(stderr, HOOK_PROGRAM ": warning: cannot read the domain XML of %s from standard input: %s\n",
                                args.vm,
                                r == -EFBIG     ? "larger than 16 MiB"
                                : r == -EBADMSG ? "it contains a NUL byte"
                                                : strerror(-r));
                if (r < 0 || n == 0)
                        xml = mfree(xml);
        }
        if (hook_action_filters_xml(action) && !xml) {
                fprintf(stderr, HOOK_PROGRAM ": %s begin needs the domain XML of %s on standard input.\n", args.op,
                        args.vm);
                return HOOK_EXIT_FAILURE;
        }
        HookManaged managed = hook_xml_managed(xml);

        /* An accelerated VM at prepare or migrate may wait for accelnetd to be activated. */
        bool activate = managed == HOOK_MANAGED_YES && (action == HOOK_ACTION_PREPARE || hook_action_filters_xml(action));
        if (activate && !getenv(HOOK_TIMEOUT_ENV) && timeout < HOOK_ACTIVATION_TIMEOUT_USEC)
                timeout = HOOK_ACTIVATION_TIMEOUT_USEC;
        r = hook_bus_call(action, args.vm, xml, timeout, activate, &res);
        if (r < 0) { /* not reached: the action and the XML were checked above */
                fprintf(stderr, HOOK_PROGRAM ": %s\n", strerror(-r));
                return action == HOOK_ACTION_RELEASE ? HOOK_EXIT_SUCCESS : HOOK_EXIT_FAILURE;
        }

        r = hook_decide(action, managed, res.status, args.vm, res.detail, &out);
        if (r < 0) {
                fprintf(stderr, HOOK_PROGRAM ": %s\n", strerror(-r));
                return action == HOOK_ACTION_RELEASE ? HOOK_EXIT_SUCCESS : HOOK_EXIT_FAILURE;
        }
        if (out.message)
                fprintf(stderr, "%s\n", out.message);

        /* migrate and restore begin: libvirt takes our standard output as the domain XML. */
        const char *new_xml = res.status == HOOK_CALL_OK && hook_action_filters_xml(action) ? res.xml
                              : out.echo_input                                          ? xml
                                                                                        : NULL;
        if (new_xml && write_all(stdout, new_xml) < 0) {
                fprintf(stderr, HOOK_PROGRAM ": cannot write the domain XML of %s to standard output: %m\n", args.vm);
                return HOOK_EXIT_FAILURE;
        }
        return out.exit_code;
}
