/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdarg.h>
#include <syslog.h>
#include "macro.h"

/* The only global: the maximum level that is written. Messages go to the journal when
 * the process runs under systemd (JOURNAL_STREAM set), to stderr otherwise. */
extern int log_max_level;

typedef enum LogTarget {
        LOG_TARGET_AUTO,
        LOG_TARGET_CONSOLE,
        LOG_TARGET_JOURNAL,
        _LOG_TARGET_MAX,
} LogTarget;

void log_set_target(LogTarget t);
void log_set_ident(const char *ident);
int log_level_from_string(const char *s);
/* --log-level=LEVEL: sets log_max_level, or logs "Invalid --log-level 'x'." and returns -EINVAL. */
int log_set_max_level_from_option(const char *s);

/* Returns -abs(error) so that callers can write `return log_error_errno(r, ...)`. */
int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *fmt, ...) _printf_(6, 7);

/* Structured entry: MESSAGE_ID, PF, VF and VM are optional journal fields (NULL omits). */
int log_struct_internal(int level, int error, const char *message_id, const char *pf,
                        const char *vf, const char *vm, const char *fmt, ...) _printf_(7, 8);

#define log_full_errno(level, error, ...)                                                 \
        ({                                                                                \
                int _l = (level), _e = (error);                                           \
                _l <= log_max_level ? log_internal(_l, _e, __FILE__, __LINE__, __func__,  \
                                                   __VA_ARGS__)                           \
                                    : (_e < 0 ? _e : -_e);                                           \
        })
#define log_full(level, ...) (void) log_full_errno(level, 0, __VA_ARGS__)

#define log_debug(...) log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_full(LOG_ERR, __VA_ARGS__)
#define log_debug_errno(e, ...) log_full_errno(LOG_DEBUG, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_ERR, e, __VA_ARGS__)
#define log_oom() log_error_errno(ENOMEM, "Out of memory.")

#define log_struct(level, mid, pf, vf, vm, ...) \
        (void) log_struct_internal(level, 0, mid, pf, vf, vm, __VA_ARGS__)

/* MESSAGE_IDs of state changes (128-bit, as journalctl MESSAGE_ID= expects). */
#define MESSAGE_ID_MANAGEMENT_ENABLED "3b7e0e3d1c6f4a2f9b4f6a1e2c8d9a01"
#define MESSAGE_ID_MANAGEMENT_DISABLED "3b7e0e3d1c6f4a2f9b4f6a1e2c8d9a02"
#define MESSAGE_ID_VF_ASSIGNED "3b7e0e3d1c6f4a2f9b4f6a1e2c8d9a03"
#define MESSAGE_ID_VF_RELEASED "3b7e0e3d1c6f4a2f9b4f6a1e2c8d9a04"
#define MESSAGE_ID_POLICY_DENIED "3b7e0e3d1c6f4a2f9b4f6a1e2c8d9a05"
#define MESSAGE_ID_DRIFT "3b7e0e3d1c6f4a2f9b4f6a1e2c8d9a06"
#define MESSAGE_ID_VM_WAITING "3b7e0e3d1c6f4a2f9b4f6a1e2c8d9a07"
/* servicing (DrainAdapter, RestoreAdapter, RevokeVM, RestoreVM, and the health monitor's revokes) */
#define MESSAGE_ID_ADAPTER_OUT_OF_SERVICE "3b7e0e3d1c6f4a2f9b4f6a1e2c8d9b01"
#define MESSAGE_ID_ADAPTER_IN_SERVICE "3b7e0e3d1c6f4a2f9b4f6a1e2c8d9b02"
#define MESSAGE_ID_VF_REVOKED "3b7e0e3d1c6f4a2f9b4f6a1e2c8d9b03"
#define MESSAGE_ID_VM_REVOKED "3b7e0e3d1c6f4a2f9b4f6a1e2c8d9b04"
#define MESSAGE_ID_VM_RESTORED "3b7e0e3d1c6f4a2f9b4f6a1e2c8d9b05"
/* PF health (daemon/pf-health.c) */
#define MESSAGE_ID_PF_HEALTH "3b7e0e3d1c6f4a2f9b4f6a1e2c8d9a10"
#define MESSAGE_ID_PF_QUARANTINED "3b7e0e3d1c6f4a2f9b4f6a1e2c8d9a11"
#define MESSAGE_ID_PF_QUARANTINE_LIFTED "3b7e0e3d1c6f4a2f9b4f6a1e2c8d9a12"
