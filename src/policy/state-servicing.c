/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* state.json's "servicing" (schema 3): the adapters the admin drained and the VMs whose VF the
 * admin revoked, with each VM's time without a VF (src/daemon/servicing.c keeps them). Read
 * strictly like the rest of the file; a file of version 1 or 2 has none of it. */
#include <stdio.h>

#include "policy/jsonutil.h"
#include "policy/state-internal.h"
#include "policy/waiting.h"
#include "shared/macro.h"
#include "shared/pciaddr.h"
#include "shared/string-table.h"

#define SERVICING_ITEMS_MAX 65536u
#define SERVICING_NAME_MAX 1024u

static const char *const link_state_table[STATE_LINK_STATE_MAX + 1] = { "auto", "enable", "disable" };

const char *state_link_state_to_string(uint32_t v) {
        return v <= STATE_LINK_STATE_MAX ? link_state_table[v] : NULL;
}

int state_link_state_from_string(const char *s) {
        for (uint32_t i = 0; s && i <= STATE_LINK_STATE_MAX; i++)
                if (streq(link_state_table[i], s))
                        return (int) i;
        return -EINVAL;
}

static int parse_drained(json_t *o, const char *field, StateDrained *d, char **reason) {
        static const char *const keys[] = { "pf", "since", NULL };
        char f[JCHECK_FIELD_MAX];
        const char *s;
        uint64_t u;
        PciAddr a;
        int r;

        if ((r = jcheck_known_keys(o, field, keys, reason)) < 0 || (r = jcheck_required_keys(o, field, keys, reason)) < 0)
                return r;
        jcheck_field(f, field, "pf");
        if ((r = jcheck_string(json_object_get(o, "pf"), f, false, false, PCI_ADDR_STRLEN, &s, reason)) < 0)
                return r;
        if (pci_addr_parse(s, &a) < 0)
                return jcheck_problem(reason, f, "\"%s\" is not a PCI address like 0000:3b:00.1", s);
        pci_addr_format(&a, d->pf);
        r = jcheck_uint(json_object_get(o, "since"), jcheck_field(f, field, "since"), 1, WAITING_SINCE_MAX, &u, reason);
        if (r < 0)
                return r;
        d->since = u;
        return 0;
}

static int parse_service(json_t *o, const char *field, StateVmService *v, char **reason) {
        static const char *const keys[] = { "vm", "revoked_since", "without_vf_since", "without_vf_s", NULL };
        char f[JCHECK_FIELD_MAX];
        const char *s;
        uint64_t u;
        int r;

        if ((r = jcheck_known_keys(o, field, keys, reason)) < 0 || (r = jcheck_required_keys(o, field, keys, reason)) < 0)
                return r;
        jcheck_field(f, field, "vm");
        if ((r = jcheck_string(json_object_get(o, "vm"), f, false, false, SERVICING_NAME_MAX, &s, reason)) < 0)
                return r;
        if (!(v->vm = strdup(s)))
                return -ENOMEM;
        if ((r = jcheck_uint(json_object_get(o, "revoked_since"), jcheck_field(f, field, "revoked_since"), 0,
                             WAITING_SINCE_MAX, &u, reason)) < 0)
                return r;
        v->revoked_since = u;
        if ((r = jcheck_uint(json_object_get(o, "without_vf_since"), jcheck_field(f, field, "without_vf_since"), 0,
                             WAITING_SINCE_MAX, &u, reason)) < 0)
                return r;
        v->without_since = u;
        /* at most the time since the epoch: a total that large is not one this host measured */
        if ((r = jcheck_uint(json_object_get(o, "without_vf_s"), jcheck_field(f, field, "without_vf_s"), 0,
                             WAITING_SINCE_MAX, &u, reason)) < 0)
                return r;
        v->without_total = u;
        if (!v->revoked_since && !v->without_since && !v->without_total)
                return jcheck_problem(reason, field, "an entry with nothing in it (all zero)");
        return 0;
}

int state_parse_servicing(json_t *o, const char *field, State *s, char **reason) {
        static const char *const keys[] = { "drained", "vms", NULL };
        State t = { .intent = NULL }; /* parsed aside: s keeps its lists unless these are whole */
        char f[JCHECK_FIELD_MAX];
        json_t *a, *e;
        size_t k;
        int r;

        if (!json_is_object(o))
                return jcheck_problem(reason, field, "must be an object");
        if ((r = jcheck_known_keys(o, field, keys, reason)) < 0 || (r = jcheck_required_keys(o, field, keys, reason)) < 0)
                return r;

        a = json_object_get(o, "drained");
        jcheck_field(f, field, "drained");
        if (!json_is_array(a))
                return jcheck_problem(reason, f, "must be an array");
        if (json_array_size(a) > SERVICING_ITEMS_MAX)
                return jcheck_problem(reason, f, "more than %u entries", SERVICING_ITEMS_MAX);
        if (json_array_size(a) > 0 && !(t.drained = calloc(json_array_size(a), sizeof(StateDrained))))
                return -ENOMEM;
        json_array_foreach(a, k, e) {
                char g[JCHECK_FIELD_MAX + 24];
                snprintf(g, sizeof g, "%s[%zu]", f, k);
                r = parse_drained(e, g, &t.drained[k], reason);
                if (r < 0)
                        goto fail;
                t.n_drained++;
        }

        a = json_object_get(o, "vms");
        jcheck_field(f, field, "vms");
        if (!json_is_array(a)) {
                r = jcheck_problem(reason, f, "must be an array");
                goto fail;
        }
        if (json_array_size(a) > SERVICING_ITEMS_MAX) {
                r = jcheck_problem(reason, f, "more than %u entries", SERVICING_ITEMS_MAX);
                goto fail;
        }
        if (json_array_size(a) > 0 && !(t.services = calloc(json_array_size(a), sizeof(StateVmService)))) {
                r = -ENOMEM;
                goto fail;
        }
        json_array_foreach(a, k, e) {
                char g[JCHECK_FIELD_MAX + 24];
                snprintf(g, sizeof g, "%s[%zu]", f, k);
                t.n_services++; /* counted first so that a half-parsed entry is freed */
                r = parse_service(e, g, &t.services[k], reason);
                if (r < 0)
                        goto fail;
        }
        state_servicing_clear(s);
        s->drained = t.drained;
        s->n_drained = t.n_drained;
        s->services = t.services;
        s->n_services = t.n_services;
        return 0;
fail:
        state_servicing_clear(&t);
        return r;
}

int state_servicing_check_unique(const State *s, char **reason) {
        size_t most = s->n_drained > s->n_services ? s->n_drained : s->n_services;
        _cleanup_free_ const char **names = calloc(most + 1, sizeof(char *));
        int r;

        if (!names)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_drained; i++)
                names[i] = s->drained[i].pf;
        if ((r = state_check_unique_keys("servicing.drained", "pf", names, s->n_drained, reason)) < 0)
                return r;
        for (size_t i = 0; i < s->n_services; i++)
                names[i] = s->services[i].vm;
        return state_check_unique_keys("servicing.vms", "vm", names, s->n_services, reason);
}
