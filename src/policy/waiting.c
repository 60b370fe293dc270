/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/waiting.h"
#include "shared/macro.h"
#include "shared/names.h"

int waiting_vm_compare(const WaitingVm *a, const WaitingVm *b) {
        if (a->tier != b->tier)
                return a->tier > b->tier ? -1 : 1;
        /* 0 (not known) sorts as the latest start: after every known one */
        uint64_t sa = a->since ? a->since : UINT64_MAX, sb = b->since ? b->since : UINT64_MAX;
        if (sa != sb)
                return sa < sb ? -1 : 1;
        return strcmp(strempty(a->name), strempty(b->name));
}

static int compare(const void *a, const void *b) {
        return waiting_vm_compare(a, b);
}

void waiting_vms_sort(WaitingVm *v, size_t n) {
        if (n > 1)
                qsort(v, n, sizeof(WaitingVm), compare);
}

void waiting_duration(uint64_t s, char *buf, size_t size) {
        if (s < 60)
                snprintf(buf, size, "%" PRIu64 " s", s);
        else if (s < 3600)
                snprintf(buf, size, "%" PRIu64 " min", s / 60);
        else if (s < 86400)
                snprintf(buf, size, "%" PRIu64 " h %" PRIu64 " min", s / 3600, s % 3600 / 60);
        else
                snprintf(buf, size, "%" PRIu64 " d %" PRIu64 " h", s / 86400, s % 86400 / 3600);
}

void waiting_note(uint64_t since, uint64_t now, const char *reason, char *buf, size_t size) {
        waiting_note_total(since, now, 0, reason, buf, size);
}

void waiting_note_total(uint64_t since, uint64_t now, uint64_t total, const char *reason, char *buf, size_t size) {
        const char *sep = isempty(reason) ? "" : ": ";
        char when[32], waited[112];
        time_t t = (time_t) (since > WAITING_SINCE_MAX ? WAITING_SINCE_MAX : since);
        struct tm tm;

        if (since == 0 || !gmtime_r(&t, &tm) || strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm) == 0) {
                snprintf(buf, size, ACCELNET_NOTE_WAITING "%s%s", sep, strempty(reason));
                return;
        }
        if (now == 0) {
                snprintf(buf, size, ACCELNET_NOTE_WAITING " since %s UTC%s%s", when, sep, strempty(reason));
                return;
        }
        uint64_t w = now > since ? now - since : 0;
        waiting_duration(w, waited, sizeof waited);
        if (total > w) {
                char all[48];
                size_t n = strlen(waited);
                waiting_duration(total, all, sizeof all);
                snprintf(waited + n, sizeof waited - n, "; %s without a VF in total", all);
        }
        snprintf(buf, size, ACCELNET_NOTE_WAITING " since %s UTC (%s)%s%s", when, waited, sep, strempty(reason));
}
