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
        default:
                return NULL;
        }
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
               "                  fails if it cannot be applied, so the VM does not start without it\n"
               "  release end     give the VF its own settings back (never fails)\n"
               "  migrate begin   point an incoming VM's VF at a free local VF: the new XML is\n"
               "                  printed on standard output\n"
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

static bool xml_is_space(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool xml_name_end(char c) {
        return c == 0 || xml_is_space(c) || c == '/' || c == '>' || c == '=';
}

/* The element name at p (after '<'): true if it is exactly `name`. */
static bool tag_is(const char *p, const char *name) {
        size_t n = strlen(name);
        return strncmp(p, name, n) == 0 && xml_name_end(p[n]);
}

/* Finds attribute `name` in the start tag at p (just after the element name) and copies
 * its value (truncated) into buf. *ret_end points at the '>' that ends the tag.
 * Returns 1 found, 0 not found, -EBADMSG when the tag does not end. */
static int tag_attr(const char *p, const char *name, char *buf, size_t size, const char **ret_end) {
        int found = 0;

        for (;;) {
                while (xml_is_space(*p))
                        p++;
                if (*p == 0)
                        return -EBADMSG;
                if (*p == '>' || (p[0] == '/' && p[1] == '>')) {
                        *ret_end = *p == '>' ? p : p + 1;
                        return found;
                }
                const char *an = p;
                while (!xml_name_end(*p))
                        p++;
                size_t alen = (size_t) (p - an);
                if (alen == 0)
                        return -EBADMSG;
                while (xml_is_space(*p))
                        p++;
                if (*p != '=')
                        return -EBADMSG;
                p++;
                while (xml_is_space(*p))
                        p++;
                char q = *p;
                if (q != '\'' && q != '"')
                        return -EBADMSG;
                const char *v = ++p;
                const char *e = strchr(v, q);
                if (!e)
                        return -EBADMSG;
                if (!found && alen == strlen(name) && strncmp(an, name, alen) == 0) {
                        size_t vlen = (size_t) (e - v);
                        if (vlen >= size)
                                vlen = size - 1;
                        memcpy(buf, v, vlen);
                        buf[vlen] = 0;
                        found = 1;
                }
                p = e + 1;
                /* Attributes are separated by whitespace. */
                if (!xml_is_space(*p) && *p != '>' && *p != '/')
                        return -EBADMSG;
        }
}

/* Skips the construct at p ('<' already matched) that ends with `end`; NULL if it does not. */
static const char *skip_past(const char *p, const char *end) {
        const char *e = strstr(p, end);
        return e ? e + strlen(end) : NULL;
}

/* Skips the rest of a tag: past its '>', with '>' inside quoted attribute values allowed. */
static const char *skip_tag(const char *p) {
        for (char q = 0; *p; p++) {
                if (q) {
                        if (*p == q)
                                q = 0;
                } else if (*p == '\'' || *p == '"')
                        q = *p;
                else if (*p == '>')
                        return p + 1;
        }
        return NULL;
}

HookManaged hook_xml_managed(const char *xml) {
        bool seen_domain = false, in_hostdev_iface = false;
        char val[64];
        const char *p = xml;

        if (!xml)
                return HOOK_MANAGED_UNKNOWN;

        while ((p = strchr(p, '<'))) {
                const char *end = NULL;
                p++;
                if (strncmp(p, "!--", 3) == 0)
                        p = skip_past(p + 3, "-->");
                else if (strncmp(p, "![CDATA[", 8) == 0)
                        p = skip_past(p + 8, "]]>");
                else if (*p == '?')
                        p = skip_past(p + 1, "?>");
                else if (*p == '!') /* <!DOCTYPE …>, no internal subset in domain XML */
                        p = skip_past(p + 1, ">");
                else if (*p == '/') {
                        if (tag_is(p + 1, "interface"))
                                in_hostdev_iface = false;
                        p = skip_tag(p + 1);
                } else if (tag_is(p, "domain")) {
                        seen_domain = true;
                        p = skip_tag(p);
                } else if (tag_is(p, "interface")) {
                        int r = tag_attr(p + strlen("interface"), "type", val, sizeof val, &end);
                        if (r < 0)
                                return HOOK_MANAGED_UNKNOWN;
                        /* <interface …/> has no children */
                        in_hostdev_iface = r > 0 && streq(val, "hostdev") && end[-1] != '/';
                        p = end + 1;
                } else if (tag_is(p, "alias")) {
                        int r = tag_attr(p + strlen("alias"), "name", val, sizeof val, &end);
                        if (r < 0)
                                return HOOK_MANAGED_UNKNOWN;
                        if (r > 0 && in_hostdev_iface && seen_domain &&
                            strncmp(val, ACCELNET_ALIAS_PREFIX, strlen(ACCELNET_ALIAS_PREFIX)) == 0)
                                return HOOK_MANAGED_YES;
                        p = end + 1;
                } else
                        p = skip_tag(p);
                if (!p)
                        return HOOK_MANAGED_UNKNOWN; /* cut short */
        }
        return seen_domain ? HOOK_MANAGED_NO : HOOK_MANAGED_UNKNOWN;
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

        bool migrate = action == HOOK_ACTION_MIGRATE;
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
