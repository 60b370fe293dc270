/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* accelnet-hook's decisions, without a bus: which libvirt hook call needs what from
 * accelnetd, whether a domain XML carries one of accelnet's VFs, and what the hook prints
 * and returns for every outcome of the call. The bus client is in hook-bus.c, main() in
 * accelnet-hook.c. The hook never calls libvirt: libvirtd is waiting for it. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/names.h"

#define HOOK_PROGRAM "accelnet-hook"

#define HOOK_EXIT_SUCCESS 0
#define HOOK_EXIT_FAILURE 1 /* libvirt stops the operation (the VM does not start/arrive) */
#define HOOK_EXIT_USAGE 2

/* The domain XML on stdin is read up to this size; more is an error. */
#define HOOK_XML_MAX (UINT64_C(16) * 1024 * 1024)

#define HOOK_USEC_PER_MSEC UINT64_C(1000)
#define HOOK_TIMEOUT_DEFAULT_MSEC UINT64_C(5000)
/* An accelerated VM at prepare/migrate may wait this long for accelnetd to be bus-activated. */
#define HOOK_ACTIVATION_TIMEOUT_USEC (UINT64_C(30) * UINT64_C(1000000))
#define HOOK_TIMEOUT_MAX_MSEC UINT64_C(600000)
#define HOOK_TIMEOUT_ENV "ACCELNET_HOOK_TIMEOUT_MS"

/* The operations of the qemu hook (libvirt's hooks page), second argument. */
typedef enum HookOp {
        HOOK_OP_PREPARE,
        HOOK_OP_START,
        HOOK_OP_STARTED,
        HOOK_OP_STOPPED,
        HOOK_OP_RELEASE,
        HOOK_OP_MIGRATE,
        HOOK_OP_RESTORE,
        HOOK_OP_RECONNECT,
        HOOK_OP_ATTACH,
        _HOOK_OP_MAX,
        _HOOK_OP_INVALID = -22, /* -EINVAL */
} HookOp;

const char *hook_op_to_string(HookOp op);
/* Case-sensitive, as libvirt spells them; -EINVAL for others (and NULL). */
HookOp hook_op_from_string(const char *s);

/* What the hook asks of accelnetd for one call. */
typedef enum HookAction {
        HOOK_ACTION_NONE,    /* every other operation: exit 0, touch nothing */
        HOOK_ACTION_PREPARE, /* "prepare begin": org.accelnet1.Hook.Prepare */
        HOOK_ACTION_RELEASE, /* "release end": org.accelnet1.Hook.Release */
        HOOK_ACTION_MIGRATE, /* "migrate begin": org.accelnet1.Hook.Migrate, XML out */
        HOOK_ACTION_RESTORE, /* "restore begin": org.accelnet1.Hook.Restore, XML out */
        _HOOK_ACTION_MAX,
        _HOOK_ACTION_INVALID = -22,
} HookAction;

const char *hook_action_to_string(HookAction a);
HookAction hook_action_from_string(const char *s);
/* The D-Bus method of the action ("Prepare", ...); NULL for NONE. */
const char *hook_action_method(HookAction a);
/* MIGRATE and RESTORE: libvirt takes the hook's standard output as the domain XML. */
bool hook_action_filters_xml(HookAction a);
/* NONE for unknown operations and sub-operations: they must never fail. */
HookAction hook_action_for(const char *op, const char *sub_op);

/* ---- the command line ---------------------------------------------------------------- */

typedef enum HookMode {
        HOOK_MODE_RUN,
        HOOK_MODE_HELP,
        HOOK_MODE_VERSION,
} HookMode;

typedef struct HookArgs {
        HookMode mode;
        const char *vm;     /* borrowed from argv */
        const char *op;
        const char *sub_op;
        const char *extra;  /* "-" or libvirt's extra argument; NULL if not given */
} HookArgs;

/* `accelnet-hook DOMAIN OPERATION SUB-OPERATION [EXTRA...]`, or `--help`/`--version` alone.
 * -EINVAL with *ret_error (owned) for a usage error: too few arguments, an empty domain
 * name, an unknown option. Operations are not checked here (unknown ones are no-ops). */
int hook_args_parse(int argc, char *const argv[], HookArgs *ret, char **ret_error);
const char *hook_help_text(void);

/* The call timeout: $ACCELNET_HOOK_TIMEOUT_MS when it is a whole number of milliseconds in
 * 1..600000, otherwise (NULL, empty, invalid) the default of 5 s. -EINVAL (and the default in
 * *ret_usec) when the value was set but invalid, so that the caller can warn. */
int hook_timeout_usec(const char *env_value, uint64_t *ret_usec);

/* ---- the domain XML -------------------------------------------------------------------- */

typedef enum HookManaged {
        HOOK_MANAGED_NO,      /* a domain without accelnet VF hostdevs */
        HOOK_MANAGED_YES,     /* an <interface type='hostdev'> with <alias name='ua-accelnet-…'/> */
        HOOK_MANAGED_UNKNOWN, /* no XML, or not readable as a domain: assume it may be */
} HookManaged;

/* Whether a domain XML carries one of accelnet's VFs: YES when an <interface type='hostdev'>
 * under <domain><devices> has an alias starting with ACCELNET_ALIAS_PREFIX (the virtio
 * partner keeps its ua-accelnet-netN alias after the VM is disabled: that is not managed),
 * NO for any other <domain>, UNKNOWN for NULL, XML that is not well-formed (libxml2, parsed
 * as src/virt/domxml.h describes) or another root element. */
HookManaged hook_xml_managed(const char *xml);

/* Reads all of fd (the domain XML on stdin), at most `max` bytes: -EFBIG beyond,
 * -EBADMSG when it holds a NUL byte (it could not be sent as a D-Bus string).
 * *ret is NUL-terminated and owned. */
int hook_read_all(int fd, size_t max, char **ret, size_t *ret_size);

/* ---- the call's outcome and what the hook does with it -------------------------------- */

typedef enum HookCallStatus {
        HOOK_CALL_OK,
        HOOK_CALL_FAILED,      /* accelnetd answered with an error: it is the authority */
        HOOK_CALL_NOT_RUNNING, /* no system bus, or nobody owns org.accelnet1 */
        HOOK_CALL_DENIED,      /* AccessDenied: the hook does not run as root */
        HOOK_CALL_UNREACHABLE, /* no answer in time, connection lost, no Hook interface, … */
        _HOOK_CALL_STATUS_MAX,
        _HOOK_CALL_STATUS_INVALID = -22,
} HookCallStatus;

const char *hook_call_status_to_string(HookCallStatus s);
HookCallStatus hook_call_status_from_string(const char *s);

/* Classifies a failed call from its D-Bus error name (may be NULL) and errno (negative).
 * Names from the bus driver tell "not running" and "denied"; the daemon's own errors
 * (every name of the error table in shared/anerror.h, and any other name under
 * ACCELNET_BUS_ERROR_PREFIX from a newer daemon) and sd-bus' System.Error.* from its
 * handlers mean that it answered. */
HookCallStatus hook_call_status_classify(const char *error_name, int r);

typedef struct HookOutcome {
        int exit_code;
        char *message;   /* owned: the line for stderr (libvirt shows it), or NULL */
        bool echo_input; /* migrate: print the input XML unchanged on stdout */
} HookOutcome;

void hook_outcome_done(HookOutcome *o);

/* What the hook does after the call. `detail` is the daemon's message (with the error name)
 * or the transport error; the daemon's answer is final, a missing daemon fails only the
 * VMs that may be accelerated, and release never fails:
 *
 *   action   OK   FAILED   NOT_RUNNING/DENIED/UNREACHABLE
 *   NONE     0    0        0
 *   PREPARE  0    1        managed NO: 0; YES/UNKNOWN: 1
 *   MIGRATE  0    1        managed NO: 0 (XML echoed unchanged); YES/UNKNOWN: 1
 *   RESTORE  as MIGRATE
 *   RELEASE  0    0        0 (a warning unless managed NO)
 *
 * A missing daemon with an unmanaged VM is silent; an unanswered call or a refusal is
 * warned about. -ENOMEM only when the message cannot be built. */
int hook_decide(HookAction action, HookManaged managed, HookCallStatus status, const char *vm, const char *detail,
                HookOutcome *ret);
