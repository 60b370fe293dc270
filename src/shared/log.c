/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include "log.h"
#include "strutil.h"
#include "string-table.h"

int log_max_level = LOG_INFO;

static LogTarget log_target = LOG_TARGET_AUTO;
static const char *log_ident = NULL;

void log_set_target(LogTarget t) {
        log_target = t;
}

void log_set_ident(const char *ident) {
        log_ident = ident;
}

static const char *const log_level_table[] = {
        [LOG_EMERG] = "emerg",   [LOG_ALERT] = "alert",   [LOG_CRIT] = "crit",
        [LOG_ERR] = "err",       [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
        [LOG_INFO] = "info",     [LOG_DEBUG] = "debug",
};


static bool use_journal(void) {
        if (log_target == LOG_TARGET_JOURNAL)
                return true;
        if (log_target == LOG_TARGET_CONSOLE)
                return false;
        return getenv("JOURNAL_STREAM") != NULL;
}

/* The journal and terminals want text: bytes that are not UTF-8 (an interface name may hold
 * any, a message may be cut mid-character) are written as \xNN. */
static const char *text(const char *s, char **buf) {
        if (!s || utf8_valid(s))
                return s;
        *buf = utf8_escape_invalid(s);
        return *buf ? *buf : "?";
}

static int log_dispatch(int level, int error, const char *message_id, const char *pf,
                        const char *vf, const char *vm, const char *msg) {
        _cleanup_free_ char *b_msg = NULL, *b_pf = NULL, *b_vf = NULL, *b_vm = NULL;
        msg = text(msg, &b_msg);
        pf = text(pf, &b_pf);
        vf = text(vf, &b_vf);
        vm = text(vm, &b_vm);
        if (use_journal()) {
                char prio[16], errbuf[32];
                _cleanup_free_ char *m = NULL, *f_mid = NULL, *f_pf = NULL, *f_vf = NULL,
                                    *f_vm = NULL;
                struct iovec iov[8];
                size_t n = 0;

                if (asprintf(&m, "MESSAGE=%s", msg) < 0)
                        return -ENOMEM;
                iov[n++] = (struct iovec){ m, strlen(m) };
                snprintf(prio, sizeof prio, "PRIORITY=%i", level);
                iov[n++] = (struct iovec){ prio, strlen(prio) };
                if (error != 0) {
                        snprintf(errbuf, sizeof errbuf, "ERRNO=%i", abs(error));
                        iov[n++] = (struct iovec){ errbuf, strlen(errbuf) };
                }
#define ADD_FIELD(var, key, value)                                                     \
                if (value) {                                                           \
                        if (asprintf(&var, key "=%s", value) < 0)                      \
                                return -ENOMEM;                                        \
                        iov[n++] = (struct iovec){ var, strlen(var) };                 \
                }
                ADD_FIELD(f_mid, "MESSAGE_ID", message_id);
                ADD_FIELD(f_pf, "PF", pf);
                ADD_FIELD(f_vf, "VF", vf);
                ADD_FIELD(f_vm, "VM", vm);
#undef ADD_FIELD
                return sd_journal_sendv(iov, (int) n);
        }

        fprintf(stderr, "%s%s%s", log_ident ? log_ident : "", log_ident ? ": " : "", msg);
        if (pf || vf || vm) {
                fputs(" [", stderr);
                const char *sep = "";
                if (pf) { fprintf(stderr, "PF=%s", pf); sep = " "; }
                if (vf) { fprintf(stderr, "%sVF=%s", sep, vf); sep = " "; }
                if (vm) fprintf(stderr, "%sVM=%s", sep, vm);
                fputc(']', stderr);
        }
        fputc('\n', stderr);
        return 0;
}

int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *fmt, ...) {
        char buf[2048];
        va_list ap;
        int saved = errno;

        if (error != 0)
                errno = abs(error); /* so that %m works */
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        (void) log_dispatch(level, error, NULL, NULL, NULL, NULL, buf);
        errno = saved;
        return -abs(error);
}

int log_struct_internal(int level, int error, const char *message_id, const char *pf,
                        const char *vf, const char *vm, const char *fmt, ...) {
        char buf[2048];
        va_list ap;
        int saved = errno;

        if (level > log_max_level)
                return -abs(error);
        if (error != 0)
                errno = abs(error);
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        (void) log_dispatch(level, error, message_id, pf, vf, vm, buf);
        errno = saved;
        return -abs(error);
}

int log_level_from_string(const char *s) {
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(log_level_table); i++)
                if (strcasecmp(log_level_table[i], s) == 0)
                        return (int) i;
        return -EINVAL;
}

int log_set_max_level_from_option(const char *s) {
        int r = log_level_from_string(s);
        if (r < 0) {
                log_error("Invalid --log-level '%s'.", s ? s : "");
                return -EINVAL;
        }
        log_max_level = r;
        return 0;
}
