/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The simulated host's health event protocol (simevent.h): strict parsing. */
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>

#include "shared/macro.h"
#include "shared/pciaddr.h"
#include "shared/string-table.h"
#include "simevent.h"

static const char *const sim_event_type_table[_SIM_EVENT_TYPE_MAX] = {
        [SIM_EVENT_LINK] = "link",
        [SIM_EVENT_FLAP] = "flap",
        [SIM_EVENT_UNBIND] = "unbind",
        [SIM_EVENT_BIND] = "bind",
        [SIM_EVENT_RECOVERY] = "recovery",
        [SIM_EVENT_PCIE_LINK] = "pcie-link",
        [SIM_EVENT_DEVLINK] = "devlink",
};

DEFINE_STRING_TABLE_LOOKUP(sim_event_type, SimEventType);

static int fail(char **ret_error, const char *fmt, ...) _printf_(2, 3);
static int fail(char **ret_error, const char *fmt, ...) {
        va_list ap;
        char *s = NULL;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        if (!s)
                return -ENOMEM;
        /* one printable line */
        for (char *p = s; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        *p = '?';
        if (ret_error)
                *ret_error = s;
        else
                free(s);
        return -EBADMSG;
}

/* The keys each event takes, besides "pf" and "event". */
static const char *const *keys_of(SimEventType t) {
        static const char *const link[] = { "carrier", "admin_up", NULL };
        static const char *const flap[] = { "count", NULL };
        static const char *const none[] = { NULL };
        static const char *const bind[] = { "driver", NULL };
        static const char *const recovery[] = { "result", "aer", NULL };
        static const char *const pcie[] = { "speed", "width", "max_speed", "max_width", NULL };
        static const char *const devlink[] = { "reporter", "state", "errors", "recovers", NULL };
        switch (t) {
        case SIM_EVENT_LINK: return link;
        case SIM_EVENT_FLAP: return flap;
        case SIM_EVENT_BIND: return bind;
        case SIM_EVENT_RECOVERY: return recovery;
        case SIM_EVENT_PCIE_LINK: return pcie;
        case SIM_EVENT_DEVLINK: return devlink;
        default: return none;
        }
}

static bool key_known(const char *const *keys, const char *k) {
        if (streq(k, "pf") || streq(k, "event"))
                return true;
        for (; *keys; keys++)
                if (streq(*keys, k))
                        return true;
        return false;
}

/* A netdev name by the kernel's rules, or a driver / reporter name: printable, no '/',
 * no whitespace, not "." or "..", shorter than max. */
static bool name_valid(const char *s, size_t max, bool colon_ok) {
        size_t n = strlen(s);
        if (n == 0 || n >= max || streq(s, ".") || streq(s, ".."))
                return false;
        for (const char *p = s; *p; p++)
                if (*p == '/' || (!colon_ok && *p == ':') || (unsigned char) *p <= ' ' || (unsigned char) *p >= 0x7f)
                        return false;
        return true;
}

static int get_string(json_t *o, const char *key, bool required, char **ret_error, const char **ret) {
        json_t *v = json_object_get(o, key);
        if (!v) {
                if (required)
                        return fail(ret_error, "\"%s\" is required", key);
                *ret = NULL;
                return 0;
        }
        if (!json_is_string(v))
                return fail(ret_error, "\"%s\" must be a string", key);
        *ret = json_string_value(v);
        return 0;
}

static int get_uint(json_t *o, const char *key, uint64_t min, uint64_t max, bool required, uint64_t def,
                    char **ret_error, uint64_t *ret) {
        json_t *v = json_object_get(o, key);
        if (!v) {
                if (required)
                        return fail(ret_error, "\"%s\" is required", key);
                *ret = def;
                return 0;
        }
        if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t) json_integer_value(v) < min ||
            (uint64_t) json_integer_value(v) > max)
                return fail(ret_error, "\"%s\" must be an integer %" PRIu64 "-%" PRIu64, key, min, max);
        *ret = (uint64_t) json_integer_value(v);
        return 0;
}

static int get_bool(json_t *o, const char *key, bool required, char **ret_error, int *ret) {
        json_t *v = json_object_get(o, key);
        if (!v) {
                if (required)
                        return fail(ret_error, "\"%s\" is required", key);
                *ret = -1;
                return 0;
        }
        if (!json_is_boolean(v))
                return fail(ret_error, "\"%s\" must be true or false", key);
        *ret = json_is_true(v);
        return 0;
}

static int get_speed(json_t *o, const char *key, bool required, char **ret_error, char buf[static 32]) {
        const char *s;
        uint32_t mts;
        int r = get_string(o, key, required, ret_error, &s);
        if (r < 0)
                return r;
        buf[0] = 0;
        if (!s)
                return 0;
        if (strlen(s) >= 32 || pcie_speed_parse(s, &mts) < 0)
                return fail(ret_error, "\"%s\": '%.40s' is not a PCIe speed like \"8.0 GT/s PCIe\"", key, s);
        snprintf(buf, 32, "%s", s);
        return 0;
}

static int parse_aer(json_t *v, SimEvent *e, char **ret_error) {
        static const char *const names[3] = { "correctable", "nonfatal", "fatal" };
        const char *key;
        json_t *x;

        if (!json_is_object(v))
                return fail(ret_error, "\"aer\" must be an object");
        json_object_foreach(v, key, x) {
                bool ok = false;
                for (int i = 0; i < 3; i++)
                        ok = ok || streq(key, names[i]);
                if (!ok)
                        return fail(ret_error, "\"aer\": unknown key \"%.40s\" (correctable, nonfatal, fatal)", key);
        }
        for (int i = 0; i < 3; i++) {
                char f[32];
                uint64_t u;
                snprintf(f, sizeof f, "%s", names[i]);
                int r = get_uint(v, f, 0, SIM_AER_ADD_MAX, false, 0, ret_error, &u);
                if (r < 0)
                        return r;
                e->aer_add[i] = u;
        }
        return 0;
}

int sim_event_parse(const char *text, size_t size, SimEvent *ret, char **ret_error) {
        json_error_t jerr;
        json_t *o;
        SimEvent e = { .admin_up = -1 };
        const char *s, *key;
        json_t *v;
        uint64_t u = 0;
        int b, r;

        if (size > SIM_EVENT_MAX_SIZE)
                return fail(ret_error, "an event is at most %u bytes", SIM_EVENT_MAX_SIZE);
        o = json_loadb(text, size, JSON_REJECT_DUPLICATES, &jerr);
        if (!o)
                return fail(ret_error, "not JSON: %.80s", jerr.text);
        if (!json_is_object(o)) {
                json_decref(o);
                return fail(ret_error, "an event is a JSON object");
        }

        r = get_string(o, "event", true, ret_error, &s);
        if (r < 0)
                goto out;
        e.type = sim_event_type_from_string(s);
        if (e.type < 0 || !streq(s, sim_event_type_to_string(e.type))) {
                r = fail(ret_error, "\"event\": unknown event '%.40s' (link, flap, unbind, bind, recovery, pcie-link, "
                         "devlink)", s);
                goto out;
        }
        json_object_foreach(o, key, v)
                if (!key_known(keys_of(e.type), key)) {
                        r = fail(ret_error, "unknown key \"%.40s\" for event \"%s\"", key, s);
                        goto out;
                }

        r = get_string(o, "pf", true, ret_error, &s);
        if (r < 0)
                goto out;
        PciAddr a;
        if (pci_addr_parse(s, &a) < 0 && !name_valid(s, 16, false)) {
                r = fail(ret_error, "\"pf\": '%.40s' is neither a PCI address nor a netdev name", s);
                goto out;
        }
        snprintf(e.pf, sizeof e.pf, "%s", s);

        switch (e.type) {
        case SIM_EVENT_LINK:
                r = get_bool(o, "carrier", true, ret_error, &b);
                if (r < 0)
                        goto out;
                e.carrier = b;
                r = get_bool(o, "admin_up", false, ret_error, &e.admin_up);
                break;
        case SIM_EVENT_FLAP:
                r = get_uint(o, "count", 1, SIM_FLAP_MAX, true, 0, ret_error, &u);
                e.count = (unsigned) u;
                break;
        case SIM_EVENT_BIND:
                r = get_string(o, "driver", false, ret_error, &s);
                if (r >= 0 && s && !name_valid(s, PF_DRIVER_NAME_MAX, true))
                        r = fail(ret_error, "\"driver\": '%.40s' is not a driver name", s);
                if (r >= 0 && s)
                        snprintf(e.driver, sizeof e.driver, "%s", s);
                break;
        case SIM_EVENT_RECOVERY:
                r = get_string(o, "result", true, ret_error, &s);
                if (r < 0)
                        goto out;
                e.recovery = streq(s, "begin")     ? PF_EVENT_RECOVERY_BEGIN
                             : streq(s, "success") ? PF_EVENT_RECOVERY_SUCCESS
                             : streq(s, "failed")  ? PF_EVENT_RECOVERY_FAILED
                                                   : _PF_EVENT_KIND_INVALID;
                if (e.recovery < 0) {
                        r = fail(ret_error, "\"result\": '%.40s' is not begin, success or failed", s);
                        goto out;
                }
                if ((v = json_object_get(o, "aer")))
                        r = parse_aer(v, &e, ret_error);
                break;
        case SIM_EVENT_PCIE_LINK:
                r = get_speed(o, "speed", true, ret_error, e.speed);
                if (r >= 0)
                        r = get_uint(o, "width", 1, 32, true, 0, ret_error, &u);
                e.width = (uint32_t) u;
                if (r >= 0)
                        r = get_speed(o, "max_speed", false, ret_error, e.max_speed);
                if (r >= 0)
                        r = get_uint(o, "max_width", 1, 32, false, 0, ret_error, &u);
                e.max_width = (uint32_t) u;
                break;
        case SIM_EVENT_DEVLINK:
                r = get_string(o, "reporter", true, ret_error, &s);
                if (r >= 0 && !name_valid(s, PF_REPORTER_NAME_MAX, true))
                        r = fail(ret_error, "\"reporter\": '%.40s' is not a reporter name", s);
                if (r < 0)
                        goto out;
                snprintf(e.reporter.name, sizeof e.reporter.name, "%s", s);
                r = get_string(o, "state", true, ret_error, &s);
                if (r >= 0 && !streq(s, "error") && !streq(s, "healthy"))
                        r = fail(ret_error, "\"state\": '%.40s' is not error or healthy", s);
                if (r < 0)
                        goto out;
                e.reporter.error = streq(s, "error");
                r = get_uint(o, "errors", 0, UINT32_MAX, false, 0, ret_error, &e.reporter.error_count);
                if (r >= 0)
                        r = get_uint(o, "recovers", 0, UINT32_MAX, false, 0, ret_error, &e.reporter.recover_count);
                break;
        default:
                r = 0;
        }
out:
        json_decref(o);
        if (r < 0)
                return r;
        *ret = e;
        return 0;
}
