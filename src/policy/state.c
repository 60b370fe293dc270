/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>

#include "policy/state.h"
#include "shared/macro.h"
#include "shared/string-table.h"

static const char *const assign_phase_table[_ASSIGN_PHASE_MAX] = {
        [ASSIGN_PHASE_ASSIGNING] = "assigning",
        [ASSIGN_PHASE_ASSIGNED] = "assigned",
        [ASSIGN_PHASE_RELEASING] = "releasing",
        [ASSIGN_PHASE_INCOMING] = "incoming",
        [ASSIGN_PHASE_REVOKING] = "revoking",
};

DEFINE_STRING_TABLE_LOOKUP(assign_phase, AssignPhase);

static const char *const provision_status_table[_PROVISION_STATUS_MAX] = {
        [PROVISION_PENDING] = "pending",
        [PROVISION_DONE] = "done",
        [PROVISION_FAILED] = "failed",
};

DEFINE_STRING_TABLE_LOOKUP(provision_status, ProvisionStatus);

State *state_new(void) {
        State *s = calloc(1, sizeof(State));
        if (!s)
                return NULL;
        s->version = STATE_SCHEMA_VERSION;
        s->node_reserve = 50;
        return s;
}

void assignment_done(Assignment *a) {
        if (!a)
                return;
        free(a->vm);
        free(a->vm_uuid);
        free(a->alias);
        *a = (Assignment){};
}

State *state_free(State *s) {
        if (!s)
                return NULL;
        free(s->intent);
        free(s->pfs);
        for (size_t i = 0; i < s->n_vms; i++)
                assignment_done(&s->vms[i]);
        free(s->vms);
        state_waiting_clear(s);
        state_servicing_clear(s);
        return mfree(s);
}

Assignment *state_find_vm(State *s, const char *vm) {
        if (!s || !vm)
                return NULL;
        for (size_t i = 0; i < s->n_vms; i++)
                if (streq_ptr(s->vms[i].vm, vm))
                        return &s->vms[i];
        return NULL;
}

Assignment *state_find_vf(State *s, const char *vf) {
        if (!s || !vf)
                return NULL;
        for (size_t i = 0; i < s->n_vms; i++)
                if (streq(s->vms[i].vf, vf))
                        return &s->vms[i];
        return NULL;
}

ProvisionedPf *state_find_pf(State *s, const char *pf) {
        if (!s || !pf)
                return NULL;
        for (size_t i = 0; i < s->n_pfs; i++)
                if (streq(s->pfs[i].pf, pf))
                        return &s->pfs[i];
        return NULL;
}

static int strdup_opt(const char *s, char **ret) {
        if (!s) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

int assignment_copy(Assignment *dst, const Assignment *src) {
        Assignment copy = *src;

        copy.vm = copy.vm_uuid = copy.alias = NULL;
        if (strdup_opt(src->vm, &copy.vm) < 0 || strdup_opt(src->vm_uuid, &copy.vm_uuid) < 0 ||
            strdup_opt(src->alias, &copy.alias) < 0) {
                assignment_done(&copy);
                return -ENOMEM;
        }
        *dst = copy;
        return 0;
}

Assignment *state_add_vm(State *s, const Assignment *a) {
        Assignment copy = *a, *n;

        assert_return(s && a && a->vm, NULL);

        copy.vm = copy.vm_uuid = copy.alias = NULL;
        if (strdup_opt(a->vm, &copy.vm) < 0 || strdup_opt(a->vm_uuid, &copy.vm_uuid) < 0 ||
            strdup_opt(a->alias, &copy.alias) < 0)
                goto fail;
        n = realloc(s->vms, sizeof(Assignment) * (s->n_vms + 1));
        if (!n)
                goto fail;
        s->vms = n;
        s->vms[s->n_vms] = copy;
        return &s->vms[s->n_vms++];
fail:
        assignment_done(&copy);
        return NULL;
}

void state_remove_vm(State *s, const char *vm) {
        Assignment *a = state_find_vm(s, vm);
        size_t i;

        if (!a)
                return;
        i = (size_t) (a - s->vms);
        assignment_done(a);
        memmove(&s->vms[i], &s->vms[i + 1], sizeof(Assignment) * (s->n_vms - i - 1));
        s->n_vms--;
        if (s->n_vms == 0)
                s->vms = mfree(s->vms);
}

ProvisionedPf *state_add_pf(State *s, const ProvisionedPf *p) {
        ProvisionedPf *n;

        assert_return(s && p, NULL);
        n = realloc(s->pfs, sizeof(ProvisionedPf) * (s->n_pfs + 1));
        if (!n)
                return NULL;
        s->pfs = n;
        s->pfs[s->n_pfs] = *p;
        return &s->pfs[s->n_pfs++];
}

StateWaiting *state_add_waiting(State *s, const char *vm, uint64_t since) {
        assert_return(s && vm, NULL);
        char *name = strdup(vm);
        StateWaiting *n = name ? realloc(s->waiting, sizeof(StateWaiting) * (s->n_waiting + 1)) : NULL;
        if (!n) {
                free(name);
                return NULL;
        }
        s->waiting = n;
        s->waiting[s->n_waiting] = (StateWaiting){ .vm = name, .since = since };
        return &s->waiting[s->n_waiting++];
}

StateWaiting *state_find_waiting(State *s, const char *vm) {
        if (!s || !vm)
                return NULL;
        for (size_t i = 0; i < s->n_waiting; i++)
                if (streq(s->waiting[i].vm, vm))
                        return &s->waiting[i];
        return NULL;
}

void state_waiting_clear(State *s) {
        if (!s)
                return;
        for (size_t i = 0; i < s->n_waiting; i++)
                free(s->waiting[i].vm);
        s->waiting = mfree(s->waiting);
        s->n_waiting = 0;
}

StateDrained *state_add_drained(State *s, const char *pf, uint64_t since) {
        assert_return(s && pf, NULL);
        StateDrained *n = realloc(s->drained, sizeof(StateDrained) * (s->n_drained + 1));
        if (!n)
                return NULL;
        s->drained = n;
        n = &s->drained[s->n_drained++];
        *n = (StateDrained){ .since = since };
        snprintf(n->pf, sizeof n->pf, "%s", pf);
        return n;
}

StateDrained *state_find_drained(State *s, const char *pf) {
        if (!s || !pf)
                return NULL;
        for (size_t i = 0; i < s->n_drained; i++)
                if (streq(s->drained[i].pf, pf))
                        return &s->drained[i];
        return NULL;
}

StateVmService *state_add_service(State *s, const StateVmService *v) {
        assert_return(s && v && v->vm, NULL);
        char *name = strdup(v->vm);
        StateVmService *n = name ? realloc(s->services, sizeof(StateVmService) * (s->n_services + 1)) : NULL;
        if (!n) {
                free(name);
                return NULL;
        }
        s->services = n;
        n = &s->services[s->n_services++];
        *n = *v;
        n->vm = name;
        return n;
}

StateVmService *state_find_service(State *s, const char *vm) {
        if (!s || !vm)
                return NULL;
        for (size_t i = 0; i < s->n_services; i++)
                if (streq(s->services[i].vm, vm))
                        return &s->services[i];
        return NULL;
}

void state_servicing_clear(State *s) {
        if (!s)
                return;
        for (size_t i = 0; i < s->n_services; i++)
                free(s->services[i].vm);
        s->services = mfree(s->services);
        s->n_services = 0;
        s->drained = mfree(s->drained);
        s->n_drained = 0;
}

void state_clear_pfs(State *s) {
        if (!s)
                return;
        s->pfs = mfree(s->pfs);
        s->n_pfs = 0;
}

/* FNV-1a over the fields one by one (never the padding, never past a string's end). */
static uint64_t h_bytes(uint64_t h, const void *p, size_t n) {
        const unsigned char *b = p;
        for (size_t i = 0; i < n; i++) {
                h ^= b[i];
                h *= 1099511628211ULL;
        }
        return h;
}

static uint64_t h_str(uint64_t h, const char *s) {
        /* NULL and "" differ: the marker byte after the text tells them apart */
        if (s)
                h = h_bytes(h, s, strlen(s) + 1);
        return h_bytes(h, s ? "\1" : "\2", 1);
}

static uint64_t h_u64(uint64_t h, uint64_t v) {
        return h_bytes(h, &v, sizeof v);
}

uint64_t assignment_hash(const Assignment *a) {
        uint64_t h = 1469598103934665603ULL;
        h = h_str(h, a->vm);
        h = h_str(h, a->vm_uuid);
        h = h_str(h, a->alias);
        h = h_str(h, a->vf);
        h = h_str(h, a->pf);
        h = h_str(h, a->mac);
        h = h_u64(h, (uint64_t) a->tier);
        h = h_u64(h, a->vf_index);
        h = h_u64(h, (uint64_t) a->phase);
        h = h_u64(h, a->next_start);
        h = h_u64(h, a->vlan);
        h = h_u64(h, a->saved.valid);
        h = h_str(h, a->saved.mac);
        h = h_u64(h, a->saved.vlan);
        h = h_u64(h, a->saved.qos);
        h = h_u64(h, a->saved.spoofchk);
        h = h_u64(h, a->saved.trust);
        h = h_u64(h, a->saved.min_tx_rate);
        h = h_u64(h, a->saved.max_tx_rate);
        h = h_u64(h, a->saved.link_state);
        return h ? h : 1;
}

uint64_t state_plan_hash(const State *s) {
        uint64_t h = 1469598103934665603ULL;
        h = h_u64(h, s->enabled);
        h = h_str(h, s->intent);
        h = h_u64(h, s->node_reserve);
        for (size_t i = 0; i < s->n_pfs; i++) {
                h = h_str(h, s->pfs[i].pf);
                h = h_u64(h, s->pfs[i].numvfs_before);
                h = h_u64(h, s->pfs[i].numvfs);
                h = h_u64(h, (uint64_t) s->pfs[i].status);
        }
        return h ? h : 1;
}

uint64_t state_waiting_hash(const State *s) {
        uint64_t h = 1469598103934665603ULL;
        h = h_u64(h, s->n_waiting);
        for (size_t i = 0; i < s->n_waiting; i++) {
                h = h_str(h, s->waiting[i].vm);
                h = h_u64(h, s->waiting[i].since);
        }
        return h ? h : 1;
}

uint64_t state_servicing_hash(const State *s) {
        uint64_t h = 1469598103934665603ULL;
        h = h_u64(h, s->n_drained);
        for (size_t i = 0; i < s->n_drained; i++) {
                h = h_str(h, s->drained[i].pf);
                h = h_u64(h, s->drained[i].since);
        }
        h = h_u64(h, s->n_services);
        for (size_t i = 0; i < s->n_services; i++) {
                h = h_str(h, s->services[i].vm);
                h = h_u64(h, s->services[i].revoked_since);
                h = h_u64(h, s->services[i].without_since);
                h = h_u64(h, s->services[i].without_total);
        }
        return h ? h : 1;
}
