/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* accelnetctl monitor: accelnetd's signals as they come, one line each (or one JSON object
 * a line), until SIGINT or SIGTERM. */
#include <jansson.h>
#include <signal.h>
#include <string.h>
#include <systemd/sd-event.h>
#include <time.h>

#include "bus.h"
#include "commands.h"
#include "output.h"
#include "render.h"
#include "report.h"
#include "shared/strutil.h"

typedef struct Monitor {
        const CliContext *ctx;
        int r; /* the exit status */
} Monitor;

/* "2026-12-07T02:40:01.123Z": the time of the event (UTC, milliseconds). */
static void format_now(char buf[static 32]) {
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        size_t k = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + k, 32 - k, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* Writes one event: text (human) or j (--json, one line), flushed at once. Takes j. */
static void emit(Monitor *mon, const char *text, json_t *j) {
        char now[32];
        format_now(now);
        FILE *out = mon->ctx->out;
        if (mon->ctx->args->json) {
                if (j && json_object_set_new(j, "time", json_string(now)) >= 0)
                        (void) json_print(j, out, JSON_MODE_SHORT);
        } else
                fprintf(out, "%s %s\n", now, strempty(text));
        json_decref(j);
        if (fflush(out) == EOF || ferror(out))
                (void) sd_event_exit(sd_bus_get_event(mon->ctx->bus), CLI_EXIT_FAILURE);
}

static int on_vm_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *vm, *state;
        if (sd_bus_message_read(m, "ss", &vm, &state) < 0)
                return 0;
        _cleanup_free_ char *text = NULL;
        if (asprintf(&text, "VM %s: %s", vm, state) < 0)
                text = NULL;
        emit(userdata, text, json_pack("{s:s, s:s, s:s}", "event", "VMChanged", "vm", vm, "state", state));
        return 0;
}

static int on_health_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *pf, *state;
        int quarantined;
        if (sd_bus_message_read(m, "ssb", &pf, &state, &quarantined) < 0)
                return 0;
        _cleanup_free_ char *text = NULL;
        if (asprintf(&text, "Adapter %s: %s%s", pf, state, quarantined ? ", quarantined" : "") < 0)
                text = NULL;
        emit(userdata, text, json_pack("{s:s, s:s, s:s, s:b}", "event", "HealthChanged", "adapter", pf, "state", state,
                                       "quarantined", quarantined));
        return 0;
}

/* DrainProgress and ProvisionProgress (s adapter, u done, u total). */
static int on_progress(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *pf, *member = sd_bus_message_get_member(m);
        uint32_t done, total;
        if (sd_bus_message_read(m, "suu", &pf, &done, &total) < 0)
                return 0;
        bool drain = streq_ptr(member, "DrainProgress");
        _cleanup_free_ char *text = NULL;
        if ((drain ? drain_progress_render(pf, "", done, total, false, &text)
                   : provision_progress_render(pf, "", done, total, false, &text)) < 0)
                text = NULL;
        emit(userdata, text, json_pack("{s:s, s:s, s:I, s:I}", "event", strempty(member), "adapter", pf, "done",
                                       (json_int_t) done, "total", (json_int_t) total));
        return 0;
}

/* One property's value from its variant: into text ("Name=value") and into j. */
static int read_property(sd_bus_message *m, StrBuf *text, json_t *j) {
        const char *name, *contents;
        char type;
        int r = sd_bus_message_enter_container(m, 'e', "sv");
        if (r <= 0)
                return r;
        r = sd_bus_message_read(m, "s", &name);
        if (r >= 0)
                r = sd_bus_message_peek_type(m, &type, &contents);
        if (r < 0)
                return r;
        _cleanup_free_ char *key = property_name_to_snake(name);
        json_t *v = NULL;
        if (streq(contents, "b")) {
                int b;
                r = sd_bus_message_read(m, "v", "b", &b);
                strbuf_appendf(text, " %s=%s", name, b ? "yes" : "no");
                v = json_boolean(b);
        } else if (streq(contents, "u")) {
                uint32_t u;
                r = sd_bus_message_read(m, "v", "u", &u);
                strbuf_appendf(text, " %s=%u", name, u);
                v = json_integer(u);
        } else if (streq(contents, "s")) {
                const char *s;
                r = sd_bus_message_read(m, "v", "s", &s);
                strbuf_appendf(text, " %s=%s", name, isempty(s) ? "\"\"" : s);
                v = json_string(s);
        } else {
                r = sd_bus_message_skip(m, "v");
                strbuf_appendf(text, " %s changed", name);
                v = json_null();
        }
        if (r >= 0 && key && v)
                (void) json_object_set(j, key, v);
        json_decref(v);
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        return r < 0 ? r : 1;
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *iface;
        StrBuf text = {};
        _cleanup_json_ json_t *changed = json_object();
        int r = sd_bus_message_read(m, "s", &iface);
        if (r < 0 || !streq(iface, ACCELNET_BUS_MANAGER_INTERFACE) || !changed)
                return 0;
        strbuf_appendf(&text, "Manager:");
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        while (r > 0)
                r = read_property(m, &text, changed);
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        /* properties that changed without their value */
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "s");
        while (r > 0) {
                const char *name;
                r = sd_bus_message_read(m, "s", &name);
                if (r > 0) {
                        _cleanup_free_ char *key = property_name_to_snake(name);
                        strbuf_appendf(&text, " %s changed", name);
                        if (key)
                                (void) json_object_set_new(changed, key, json_null());
                }
        }
        _cleanup_free_ char *line = strbuf_steal(&text);
        if (r < 0)
                return 0;
        emit(userdata, line, json_pack("{s:s, s:O}", "event", "PropertiesChanged", "changed", changed));
        return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), CLI_EXIT_SUCCESS);
}

int verb_monitor(const CliContext *ctx) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        Monitor mon = { .ctx = ctx };
        static const char *const signals[] = { "VMChanged", "HealthChanged", "DrainProgress", "ProvisionProgress" };
        static const sd_bus_message_handler_t handlers[] = { on_vm_changed, on_health_changed, on_progress,
                                                             on_progress };
        JsonMode json = ctx->args->json;
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        r = sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ? -errno : 0;
        if (r >= 0)
                r = sd_event_new(&event);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGINT, on_signal, NULL);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGTERM, on_signal, NULL);
        if (r >= 0)
                r = sd_bus_attach_event(ctx->bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0) {
                _cleanup_free_ char *msg = NULL;
                if (asprintf(&msg, "Failed to set up the event loop: %s", strerror(-r)) < 0)
                        msg = NULL;
                return cli_report(ctx->out, ctx->err, json, CLI_EXIT_FAILURE, CLI_ERROR_FAILED, msg);
        }

        /* Is the daemon there? (an error now rather than a silent wait). The matches name it as
         * the sender: the bus follows the name to its owner, also after a restart. */
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *owner = NULL;
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        r = sd_bus_call_method(ctx->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "GetNameOwner", &error, &reply, "s", ACCELNET_BUS_NAME);
        if (r >= 0)
                r = sd_bus_message_read(reply, "s", &owner);
        if (r < 0)
                return cli_report_bus_error(ctx->out, ctx->err, json, &error, r);

        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(signals); i++)
                r = sd_bus_match_signal(ctx->bus, NULL, ACCELNET_BUS_NAME, ACCELNET_BUS_PATH,
                                        ACCELNET_BUS_MANAGER_INTERFACE, signals[i], handlers[i], &mon);
        if (r >= 0)
                r = sd_bus_match_signal(ctx->bus, NULL, ACCELNET_BUS_NAME, ACCELNET_BUS_PATH,
                                        "org.freedesktop.DBus.Properties", "PropertiesChanged", on_properties_changed,
                                        &mon);
        if (r < 0) {
                _cleanup_free_ char *msg = NULL;
                if (asprintf(&msg, "Failed to watch accelnetd's signals: %s", strerror(-r)) < 0)
                        msg = NULL;
                return cli_report(ctx->out, ctx->err, json, CLI_EXIT_FAILURE, CLI_ERROR_FAILED, msg);
        }

        r = sd_event_loop(event);
        (void) sd_bus_detach_event(ctx->bus);
        if (r < 0) {
                _cleanup_free_ char *msg = NULL;
                if (asprintf(&msg, "Lost the bus: %s", strerror(-r)) < 0)
                        msg = NULL;
                return cli_report(ctx->out, ctx->err, json, CLI_EXIT_FAILURE, CLI_ERROR_FAILED, msg);
        }
        return r;
}
