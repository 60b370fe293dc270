/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* accelnet-hook's decisions (see hook.h): pure functions, unit-tested without a bus. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-bus-protocol.h>

#include "config.h"
#include "hook.h"
#include "shared/anerror.h"
#include "shared/fileio.h"
#include "shared/macro.h"
#include "shared/string-table.h"
#include "virt/domxml.h"

static const char *const hook_op_table[_HOOK_OP_MAX] = {
        [HOOK_OP_PREPARE] = "prepare",   [HOOK_OP_START] = "start",         [HOOK_OP_STARTED] = "started",
        [HOOK_OP_STOPPED] = "stopped",   [HOOK_OP_RELEASE] = "release",     [HOOK_OP_MIGRATE] = "migrate",
        [HOOK_OP_RESTORE] = "restore",   [HOOK_OP_RECONNECT] = "reconnect", [HOOK_OP_ATTACH] = "attach",
};

const char *hook_op_to_string(HookOp op) {
        if ((int) op < 0 || (size_t) op >= ELEMENTSOF(hook_op_table))
                return NULL;
        return hook_op_table[op];
}

HookOp hook_op_from_string(const char *s) {
        if (!s)
                return _HOOK_OP_INVALID;
        for (size_t i = 0; i < ELEMENTSOF(hook_op_table); i++)
                if (streq(hook_op_table[i], s))
                        return (HookOp) i;
        return _HOOK_OP_INVALID;
}

static const char *const hook_action_table[_HOOK_ACTION_MAX] = {
        [HOOK_ACTION_NONE] = "none",
        [HOOK_ACTION_PREPARE] = "prepare",
        [HOOK_ACTION_RELEASE] = "release",
        [HOOK_ACTION_MIGRATE] = "migrate",
        [HOOK_ACTION_RESTORE] = "restore",
};
DEFINE_STRING_TABLE_LOOKUP(hook_action, HookAction)

static const char *const hook_call_status_table[_HOOK_CALL_STATUS_MAX] = {
        [HOOK_CALL_OK] = "ok",
        [HOOK_CALL_FAILED] = "failed",
        [HOOK_CALL_NOT_RUNNING] = "not-running",
        [HOOK_CALL_DENIED] = "denied",
        [HOOK_CALL_UNREACHABLE] = "unreachable",
};
DEFINE_STRING_TABLE_LOOKUP(hook_call_status, HookCallStatus)

const char *hook_action_method(HookAction a) {
        switch (a) {
        case HOOK_ACTION_PREPARE:
                return "Prepare";
        case HOOK_ACTION_RELEASE:
                return "Release";
        case HOOK_ACTION_MIGRATE:
                return "Migrate";
        case HOOK_ACTION_RESTORE:
                return "Restore";
        default:
                return NULL;
        }
}

bool hook_action_filters_xml(HookAction a) {
        return a == HOOK_ACTION_MIGRATE || a == HOOK_ACTION_RESTORE;
}

HookAction hook_action_for(const char *op, const char *sub_op) {
        if (!sub_op)
                return HOOK_ACTION_NONE;
        switch (hook_op_from_string(op)) {
        case HOOK_OP_PREPARE:
                return streq(sub_op, "begin") ? HOOK_ACTION_PREPARE : HOOK_ACTION_NONE;
        case HOOK_OP_RELEASE:
                return streq(sub_op, "end") ? HOOK_ACTION_RELEASE : HOOK_ACTION_NONE;
        case HOOK_OP_MIGRATE:
                return streq(sub_op, "begin") ? HOOK_ACTION_MIGRATE : HOOK_ACTION_NONE;
        case HOOK_OP_RESTORE:
                return streq(sub_op, "begin") ? HOOK_ACTION_RESTORE : HOOK_ACTION_NONE;
        default:
                return HOOK_ACTION_NONE;
        }
}

/* ---- the command line ---------------------------------------------------------------- */

const char *hook_help_text(void) {
        return "Usage: " HOOK_PROGRAM " DOMAIN OPERATION SUB-OPERATION [EXTRA]\n"
               "       " HOOK_PROGRAM " --help | --version\n"
               "\n"
               "The libvirt qemu hook of accelnet, installed as " ACCELNET_LIBVIRT_HOOK ".\n"
               "libvirtd runs it with the domain XML on standard input; it asks accelnetd (never\n"
               "libvirt) to act on the domain's accelnet VF:\n"
               "\n"
               "  prepare begin   apply the VF policy (MAC, VLAN, spoof check, trust, rates);\n"
               "                  fails if it cannot be applied, or if the XML names a VF that is\n"
               "                  not free here for this VM, so no VF is ever held twice\n"
               "  release end     give the VF its own settings back (never fails)\n"
               "  migrate begin   point an incoming VM's VF at a free local VF: the new XML is\n"
               "                  printed on standard output\n"
               "  restore begin   the same for a VM restored from a save image\n"
               "  anything else   nothing (exit 0); reconnect never fails\n"
               "\n"
               "Environment: DBUS_SYSTEM_BUS_ADDRESS, " HOOK_TIMEOUT_ENV " (default 5000).\n"
               "Exit status: 0 success, 1 failure (libvirt stops the operation), 2 usage error.\n"
               "See accelnet-hook(8).\n";
}

int hook_args_parse(int argc, char *const argv[], HookArgs *ret, char **ret_error) {
        HookArgs a = { .mode = HOOK_MODE_RUN };

        /* Options only stand alone: libvirt always passes four arguments, and a domain
         * could be named "--help". */
        if (argc == 2 && argv[1][0] == '-') {
                if (streq(argv[1], "--help") || streq(argv[1], "-h"))
                        a.mode = HOOK_MODE_HELP;
                else if (streq(argv[1], "--version"))
                        a.mode = HOOK_MODE_VERSION;
                else {
                        if (asprintf(ret_error, "Unknown option '%s'.", argv[1]) < 0)
                                *ret_error = NULL;
                        return -EINVAL;
                }
                *ret = a;
                return 0;
        }
        if (argc < 4) {
                if (asprintf(ret_error, "Expected DOMAIN OPERATION SUB-OPERATION [EXTRA], got %d argument%s.",
                             argc > 0 ? argc - 1 : 0, argc == 2 ? "" : "s") < 0)
                        *ret_error = NULL;
                return -EINVAL;
        }
        if (isempty(argv[1])) {
                *ret_error = strdup("The domain name is empty.");
                return -EINVAL;
        }
        a.vm = argv[1];
        a.op = argv[2];
        a.sub_op = argv[3];
        a.extra = argc > 4 ? argv[4] : NULL; /* further arguments: ignored (future libvirt) */
        *ret = a;
        return 0;
}

int hook_timeout_usec(const char *env_value, uint64_t *ret_usec) {
        uint64_t ms;

        *ret_usec = HOOK_TIMEOUT_DEFAULT_MSEC * HOOK_USEC_PER_MSEC;
        if (isempty(env_value))
                return 0;
        /* Decimal digits only: parse_u64 would take "0x10", " 5" or "-1". */
        for (const char *p = env_value; *p; p++)
                if (!isdigit((unsigned char) *p))
                        return -EINVAL;
        if (parse_u64(env_value, 10, &ms) < 0 || ms == 0 || ms > HOOK_TIMEOUT_MAX_MSEC)
                return -EINVAL;
        *ret_usec = ms * HOOK_USEC_PER_MSEC;
        return 0;
}

/* ---- the domain XML -------------------------------------------------------------------- */

HookManaged hook_xml_managed(const char *xml) {
        _cleanup_(domxml_freep) DomXml *x = NULL;
        const DomNode *root;

        /* libxml2 with the same care as the daemon (src/virt/domxml.h): no entity expanded,
         * nothing loaded, nothing printed. */
        if (!xml || domxml_parse_string(xml, &x) < 0)
                return HOOK_MANAGED_UNKNOWN;
        root = domxml_root(x);
        if (!domxml_is(root, "domain"))
                return HOOK_MANAGED_UNKNOWN;
        /* Only the VF: its virtio partner keeps its ua-accelnet-netN alias after the VM is
         * disabled, and that does not make the VM accelerated. */
        for (DomNode *i = domxml_find(root, "devices/interface"); i; i = domxml_next(i, "interface")) {
                const char *alias = domxml_child_attr(i, "alias", "name");
                if (streq_ptr(domxml_attr(i, "type"), "hostdev") && alias &&
                    strncmp(alias, ACCELNET_ALIAS_PREFIX, strlen(ACCELNET_ALIAS_PREFIX)) == 0)
                        return HOOK_MANAGED_YES;
        }
        return HOOK_MANAGED_NO;
}

int hook_read_all(int fd, size_t max, char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r = read_full_fd(fd, max, &buf, &len);
        if (r < 0)
                return r;
        if (memchr(buf, 0, len))
                return -EBADMSG;
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = len;
        return 0;
}

/* ---- the call's outcome ---------------------------------------------------------------- */

/* sd-bus' name for an errno a handler returned: System.Error.ENOSPC. */
#define SD_BUS_SYSTEM_ERROR_PREFIX "System.Error."

HookCallStatus hook_call_status_classify(const char *name, int r) {
        if (!isempty(name)) {
                if (streq(name, SD_BUS_ERROR_SERVICE_UNKNOWN) || streq(name, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                        return HOOK_CALL_NOT_RUNNING;
                AnError e = an_error_from_bus_name(name);
                if (e == AN_ERROR_ACCESS_DENIED) /* the bus policy's refusal and the daemon's are one name */
                        return HOOK_CALL_DENIED;
                if ((int) e >= AN_ERROR_BASE ||
                    strncmp(name, ACCELNET_BUS_ERROR_PREFIX, strlen(ACCELNET_BUS_ERROR_PREFIX)) == 0 ||
                    strncmp(name, SD_BUS_SYSTEM_ERROR_PREFIX, strlen(SD_BUS_SYSTEM_ERROR_PREFIX)) == 0)
                        return HOOK_CALL_FAILED;
                return HOOK_CALL_UNREACHABLE;
        }
        switch (-r) {
        case 0:
                return HOOK_CALL_OK;
        case ENOENT:       /* no bus socket */
        case ECONNREFUSED: /* a socket nobody listens on */
                return HOOK_CALL_NOT_RUNNING;
        case EACCES:
        case EPERM:
                return HOOK_CALL_DENIED;
        default:
                return HOOK_CALL_UNREACHABLE;
        }
}

void hook_outcome_done(HookOutcome *o) {
        o->message = mfree(o->message);
}

static int outcome(HookOutcome *ret, int exit_code, bool echo, char *message, bool want_message) {
        if (want_message && !message)
                return -ENOMEM;
        *ret = (HookOutcome){ .exit_code = exit_code, .echo_input = echo, .message = message };
        return 0;
}

#define MSG(...) ({ char *_m_ = NULL; asprintf(&_m_, __VA_ARGS__) < 0 ? NULL : _m_; })

int hook_decide(HookAction action, HookManaged managed, HookCallStatus status, const char *vm, const char *detail,
                HookOutcome *ret) {
        const char *what, *d = isempty(detail) ? "no details" : detail;
        bool may_be_ours = managed != HOOK_MANAGED_NO;

        if ((int) status < 0 || status >= _HOOK_CALL_STATUS_MAX || (int) action < 0 || action >= _HOOK_ACTION_MAX ||
            (int) managed < 0 || managed > HOOK_MANAGED_UNKNOWN)
                return -EINVAL;
        if (action == HOOK_ACTION_NONE || status == HOOK_CALL_OK)
                return outcome(ret, HOOK_EXIT_SUCCESS, false, NULL, false);

        switch (action) {
        case HOOK_ACTION_PREPARE:
                what = "VF policy for VM";
                break;
        case HOOK_ACTION_MIGRATE:
                what = "a local VF for incoming VM";
                break;
        case HOOK_ACTION_RESTORE:
                what = "a local VF for restored VM";
                break;
        case HOOK_ACTION_RELEASE: {
                /* Never fails: the VM is gone, and failing would only hide the message. */
                char *m = NULL;
                if (status == HOOK_CALL_FAILED)
                        m = MSG(HOOK_PROGRAM ": warning: the VF of VM %s was not restored: %s", vm, d);
                else if (!may_be_ours)
                        return outcome(ret, HOOK_EXIT_SUCCESS, false, NULL, false);
                else if (status == HOOK_CALL_NOT_RUNNING)
                        m = MSG(HOOK_PROGRAM ": warning: accelnetd is not running: the VF of VM %s keeps the VM's "
                                "settings (MAC, VLAN) for now; start accelnetd (systemctl start accelnetd)", vm);
                else
                        m = MSG(HOOK_PROGRAM ": warning: the VF of VM %s was not restored: %s", vm, d);
                return outcome(ret, HOOK_EXIT_SUCCESS, false, m, true);
        }
        default:
                return -EINVAL;
        }

        bool migrate = hook_action_filters_xml(action);
        const char *verb = migrate ? "found" : "applied";
        char *m;

        switch (status) {
        case HOOK_CALL_FAILED:
                m = MSG(HOOK_PROGRAM ": %s %s cannot be %s: %s", what, vm, verb, d);
                return outcome(ret, HOOK_EXIT_FAILURE, false, m, true);
        case HOOK_CALL_NOT_RUNNING:
                if (!may_be_ours) /* nothing of ours to do: stay out of the way, quietly */
                        return outcome(ret, HOOK_EXIT_SUCCESS, migrate, NULL, false);
                m = MSG(HOOK_PROGRAM ": accelnetd is not running: %s %s cannot be %s; "
                        "start accelnetd (systemctl start accelnetd)%s",
                        what, vm, verb,
                        managed == HOOK_MANAGED_UNKNOWN
                                ? " (no readable domain XML on standard input to tell whether it has an accelnet VF)"
                                : "");
                return outcome(ret, HOOK_EXIT_FAILURE, false, m, true);
        case HOOK_CALL_DENIED:
        case HOOK_CALL_UNREACHABLE: {
                const char *why = status == HOOK_CALL_DENIED
                                          ? "permission denied calling accelnetd (" ACCELNET_BUS_HOOK_INTERFACE " is for root, and "
                                            "libvirtd runs its hooks as root)"
                                          : "accelnetd did not answer";
                if (may_be_ours) {
                        m = MSG(HOOK_PROGRAM ": %s %s cannot be %s: %s: %s", what, vm, verb, why, d);
                        return outcome(ret, HOOK_EXIT_FAILURE, false, m, true);
                }
                /* Not ours: accelnet trouble must not stop other VMs. */
                m = MSG(HOOK_PROGRAM ": warning: %s: %s; VM %s has no accelnet VF: continuing", why, d, vm);
                return outcome(ret, HOOK_EXIT_SUCCESS, migrate, m, true);
        }
        default:
                return -EINVAL;
        }
}
