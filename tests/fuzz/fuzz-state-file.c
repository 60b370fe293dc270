/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* STATE_DIR/state.json (src/policy/state-file.c): state_parse is what state_load runs on
 * the file's text. Whatever it accepts must be written back by state_format and read
 * again to the same text (the daemon rewrites the file after every change). */
#include <errno.h>
#include <string.h>

#include "fuzzlib.h"
#include "policy/state.h"
#include "shared/macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(state_freep) State *s = NULL, *t = NULL;
        _cleanup_free_ char *reason = NULL, *text = NULL, *again = NULL;
        size_t len = 0, len2 = 0;
        int64_t version = 0;
        int r;

        r = state_parse((const char *) data, size, &s, &version, &reason);
        FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -EPROTONOSUPPORT);
        if (r < 0) {
                FUZZ_CHECK(!s && reason && !strpbrk(reason, "\n\r\t"));
                if (r == -EPROTONOSUPPORT)
                        FUZZ_CHECK(version > STATE_SCHEMA_VERSION);
                return 0;
        }
        FUZZ_CHECK(s && s->version >= 1 && s->version <= STATE_SCHEMA_VERSION && s->node_reserve <= 99);
        for (size_t i = 0; i < s->n_vms; i++) {
                FUZZ_CHECK(s->vms[i].vm && state_find_vm(s, s->vms[i].vm) == &s->vms[i]);
                FUZZ_CHECK(state_find_vf(s, s->vms[i].vf) == &s->vms[i]);
        }
        for (size_t i = 0; i < s->n_pfs; i++)
                FUZZ_CHECK(state_find_pf(s, s->pfs[i].pf) == &s->pfs[i]);
        for (size_t i = 0; i < s->n_waiting; i++)
                FUZZ_CHECK(s->waiting[i].since > 0 && state_find_waiting(s, s->waiting[i].vm) == &s->waiting[i]);
        for (size_t i = 0; i < s->n_drained; i++)
                FUZZ_CHECK(s->drained[i].since > 0 && state_find_drained(s, s->drained[i].pf) == &s->drained[i]);
        for (size_t i = 0; i < s->n_services; i++) {
                const StateVmService *v = &s->services[i];
                FUZZ_CHECK(state_find_service(s, v->vm) == v && (v->revoked_since || v->without_since || v->without_total));
        }
        for (size_t i = 0; i < s->n_vms; i++)
                FUZZ_CHECK(s->vms[i].saved.link_state <= STATE_LINK_STATE_MAX);

        r = state_format(s, &text, &len);
        FUZZ_CHECK(r == 0 && strlen(text) == len);
        reason = mfree(reason);
        r = state_parse(text, len, &t, NULL, &reason);
        if (r != 0)
                fprintf(stderr, "state_format wrote what state_parse refuses: %s\n%s", reason, text);
        FUZZ_CHECK(r == 0);
        r = state_format(t, &again, &len2);
        FUZZ_CHECK(r == 0 && len == len2 && memcmp(text, again, len) == 0);
        return 0;
}
