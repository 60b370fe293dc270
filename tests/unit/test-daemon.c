/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's objects without a bus and without libvirt: a Manager on a simulated host
 * (fake root + simulated VF netlink), its Pf objects and their provisioning, Vm records and
 * their release, the Operation life cycle (write-ahead, undo, commit, revert, the cap), the
 * VF policy rules, and reconcile leaving alone a VM whose operation is in flight. */
#include <jansson.h>
#include <stdio.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "daemon/manager.h"
#include "daemon/operation.h"
#include "daemon/pf.h"
#include "daemon/servicing.h"
#include "daemon/vf.h"
#include "daemon/vm-work.h"
#include "daemon/vm.h"
#include "shared/fileio.h"
#include "sim/fakeroot.h"
#include "sim/sim.h"
#include "testlib.h"
#include "virt/virt.h"

static const char HOST[] =
        "{\"name\": \"unit\", \"kernel\": \"6.1.0-18-amd64\", \"iommu\": true, \"smt\": 0,"
        " \"numa\": {\"0\": \"0-3\"},"
        " \"devices\": [{\"address\": \"0000:00:01.0\", \"bus\": [1, 2],"
        "   \"config\": {\"synth\": {\"vendor\": \"8086\", \"device\": \"2f02\", \"type\": \"rootport\", \"acs\": true}},"
        "   \"children\": ["
        "     {\"address\": \"0000:01:00.0\", \"driver\": \"igb\", \"ifname\": \"ens1\", \"numa_node\": 0, \"link_speed\": 1000,"
        "      \"config\": {\"synth\": {\"vendor\": \"8086\", \"device\": \"10c9\", \"class\": \"020000\","
        "        \"sriov\": {\"total\": 4, \"offset\": 128, \"stride\": 2, \"vf_device\": \"10ca\"}}}},"
        "     {\"address\": \"0000:01:00.1\", \"driver\": \"igb\", \"ifname\": \"ens2\", \"numa_node\": 0, \"link_speed\": 1000,"
        "      \"config\": {\"synth\": {\"vendor\": \"8086\", \"device\": \"10c9\", \"class\": \"020000\","
        "        \"sriov\": {\"total\": 4, \"offset\": 128, \"stride\": 2, \"vf_device\": \"10ca\"}}}}]}]}";

typedef struct Fixture {
        char *dir, *root, *config, *state;
        Manager *m;
} Fixture;

typedef struct Outcome {
        bool done;
        int calls;
        AnStatus st;
} Outcome;

static void on_done(void *userdata, const AnStatus *st) {
        Outcome *o = userdata;
        o->done = true;
        o->calls++;
        o->st = *st;
}

static Completion completion(Outcome *o) {
        *o = (Outcome){};
        return (Completion){ on_done, o };
}

static void run_until(Fixture *f, const bool *flag) {
        for (int i = 0; i < 2000 && !*flag; i++)
                (void) sd_event_run(f->m->event, 10000);
        manager_flush(f->m);
}

static int write_file(const char *path, const char *text) {
        _cleanup_fclose_ FILE *fp = fopen(path, "we");
        return fp && fputs(text, fp) >= 0 ? 0 : -1;
}

static int fixture_setup(Fixture *f, unsigned max_ops) {
        json_error_t jerr;
        json_t *desc = json_loads(HOST, 0, &jerr);
        char buf[256];
        *f = (Fixture){ .dir = test_tmpdir() };
        f->root = path_join(f->dir, "root");
        f->config = path_join(f->dir, "config");
        f->state = path_join(f->dir, "state");
        _cleanup_free_ char *err = NULL;
        if (!desc || mkdir_p(f->root, 0755) < 0 || fakeroot_build(f->root, desc, NULL, &err) < 0) {
                fprintf(stderr, "fake root: %s %s\n", desc ? "" : jerr.text, strempty(err));
                json_decref(desc);
                return -1;
        }
        json_decref(desc);
        _cleanup_free_ char *intents = path_join(f->config, "intents.d");
        _cleanup_free_ char *intent = path_join(intents, "c.json");
        _cleanup_free_ char *settings = path_join(f->config, "accelnet.json");
        snprintf(buf, sizeof buf, "{\"max_concurrent_operations\": %u}", max_ops);
        if (mkdir_p(intents, 0755) < 0 ||
            write_file(intent, "{\"name\": \"c\", \"types\": [\"compute\"], \"adapters\": [\"ens1\", \"ens2\"]}") < 0 ||
            write_file(settings, buf) < 0)
                return -1;
        ManagerOptions o = { .root = f->root, .config_dir = f->config, .state_dir = f->state,
                             .libvirt_uri = "test:///default", .backend = sim_backend() };
        int r = manager_new(&o, NULL, &f->m);
        if (r >= 0)
                r = manager_reload_config(f->m);
        if (r >= 0)
                r = manager_refresh(f->m);
        if (r < 0)
                fprintf(stderr, "manager: %s\n", strerror(-r));
        return r;
        return 0;
}

static void fixture_done(Fixture *f) {
        f->m = manager_free(f->m);
        free(f->root);
        free(f->config);
        free(f->state);
        test_tmpdir_cleanup(f->dir);
}

static void enable(Fixture *f) {
        Outcome o;
        manager_enable(f->m, "c", 0, completion(&o));
        run_until(f, &o.done);
        CHECK_INT(o.st.r, 0);
}

/* ---- Pf ---------------------------------------------------------------------------------- */

TEST(pf_provisioning_and_slots) {
        Fixture f;
        Outcome o;
        ASSERT(fixture_setup(&f, 8) == 0);
        Manager *m = f.m;

        Pf *pf = manager_find_pf(m, "ens1");
        ASSERT(pf);
        CHECK(manager_find_pf(m, "0000:01:00.0") == pf);
        CHECK(!pf->planned && pf->n_slots == 0 && !pf_usable(pf));
        CHECK_INT(manager_capacity_vfs(m), 0);

        manager_enable(m, "c", 50, completion(&o));
        CHECK(m->management_op != NULL);       /* provisioning runs in a worker */
        CHECK(pf->operation != NULL);
        CHECK_INT(pf->status, PROVISION_PENDING);
        run_until(&f, &o.done);
        CHECK_INT(o.calls, 1);
        CHECK_INT(o.st.r, 0);
        CHECK(m->management_op == NULL && pf->operation == NULL);
        CHECK(pf->planned && pf_usable(pf));
        CHECK_INT(pf->status, PROVISION_DONE);
        CHECK_INT(pf->n_slots, 4);
        CHECK_INT(manager_capacity_vfs(m), 8);
        CHECK_INT(manager_usable_vfs(m), 4);
        VfSlot *s = &pf->slots[1];
        CHECK(manager_find_slot(m, s->address) == s);
        CHECK(s->pf == pf && s->index == 1 && vf_slot_free(s));

        /* The plan is on disk with the outcome (state.json and the journal after it). */
        _cleanup_(state_freep) State *disk = NULL;
        _cleanup_free_ char *note = NULL;
        ASSERT(state_load(f.state, &disk, &note) >= 0);
        CHECK(note == NULL);
        CHECK(disk->enabled);
        CHECK_STR(disk->intent, "c");
        ASSERT(disk->n_pfs == 2);
        CHECK_INT(disk->pfs[0].status, PROVISION_DONE);
        CHECK_INT(disk->pfs[0].numvfs, 4);

        /* Enable again with the same values: nothing happens; other values: AlreadyEnabled. */
        CHECK(manager_enable_is_noop(m, "c", 50));
        manager_enable(m, "c", 30, completion(&o));
        CHECK(o.done);
        CHECK_INT(o.st.r, -AN_ERROR_ALREADY_ENABLED);
        CHECK_CONTAINS(o.st.message, "node reserve 50%");
        CHECK_CONTAINS(o.st.message, "accelnetctl set");
        CHECK_INT(m->reserve, 50);
        fixture_done(&f);
}

/* The VF count dropped (a reboot): the plan provisions it again. */
TEST(pf_reprovisioned_when_vfs_vanish) {
        Fixture f;
        ASSERT(fixture_setup(&f, 8) == 0);
        enable(&f);
        Pf *pf = manager_find_pf(f.m, "ens2");
        ASSERT(fakeroot_set_vfs(f.root, pf->address, 0, NULL) >= 0);
        ASSERT(manager_refresh(f.m) >= 0);
        CHECK_INT(pf->num_vfs, 0);
        CHECK_INT(pf->n_slots, 0);
        CHECK_INT(manager_capacity_vfs(f.m), 4);
        manager_provision_plan(f.m, "test");
        ASSERT(pf->operation);
        Operation *op = pf->operation;
        bool gone = false;
        for (int i = 0; i < 2000 && !gone; i++) {
                (void) sd_event_run(f.m->event, 10000);
                gone = !pf->operation;
        }
        (void) op;
        CHECK_INT(pf->num_vfs, 4);
        CHECK_INT(pf->n_slots, 4);
        CHECK_INT(manager_capacity_vfs(f.m), 8);
        fixture_done(&f);
}

/* ---- Vm ---------------------------------------------------------------------------------- */

TEST(vm_record_release_and_gc) {
        Fixture f;
        VfInfo info;
        ASSERT(fixture_setup(&f, 8) == 0);
        enable(&f);
        Manager *m = f.m;
        Pf *pf = manager_find_pf(m, "ens1");
        VfSlot *s = &pf->slots[0];

        Vm *vm = manager_add_vm(m, "web1");
        ASSERT(vm);
        CHECK(manager_add_vm(m, "web1") == vm); /* one object per name */
        CHECK(!vm_accelerated(vm));
        CHECK_INT(vm_take_slot(vm, s, TIER_MEDIUM, "52:54:00:00:00:01", 42, ASSIGN_PHASE_ASSIGNED), 0);
        vm->record.saved = (VfSettings){ .valid = true, .mac = "02:00:00:00:00:07", .vlan = 7, .spoofchk = false };
        CHECK(s->owner == vm && vm->slot == s && !vf_slot_free(s));
        CHECK(vm_accelerated(vm));
        CHECK_INT(manager_assigned_vfs(m), 1);
        CHECK_STR(vm->record.alias, "ua-accelnet-vf");
        VfPolicy p;
        vm_policy(vm, TIER_MEDIUM, &p);
        CHECK_STR(p.mac, "52:54:00:00:00:01");
        CHECK_INT(p.vlan, 42);
        CHECK(p.spoofchk && !p.trust);

        /* The one release: the VF's own settings come back, the slot is free again. */
        vm_release(vm, "test");
        CHECK(!vm->has_record && vm->slot == NULL && s->owner == NULL && vf_slot_free(s));
        CHECK_INT(manager_assigned_vfs(m), 0);
        ASSERT(vf_netlink_get(m->nl, "ens1", 0, &info) >= 0);
        CHECK_STR(info.mac, "02:00:00:00:00:07");
        CHECK_INT(info.vlan, 7);
        CHECK_INT(info.spoofchk, 0);

        /* Not gone: it stays. Gone and idle: it leaves. */
        vm_gc(vm);
        CHECK(manager_get_vm(m, "web1") == vm);
        vm_set_domain(vm, NULL);
        CHECK(vm->gone);
        vm_gc(vm);
        CHECK(manager_get_vm(m, "web1") == NULL);
        fixture_done(&f);
}

TEST(vm_snapshot_restores_the_record_and_the_slot) {
        Fixture f;
        VmSnapshot before;
        ASSERT(fixture_setup(&f, 8) == 0);
        enable(&f);
        Manager *m = f.m;
        Pf *pf = manager_find_pf(m, "ens1");
        Vm *vm = manager_add_vm(m, "web1");
        ASSERT(vm);
        ASSERT(vm_take_slot(vm, &pf->slots[0], TIER_LOW, "52:54:00:00:00:01", 0, ASSIGN_PHASE_ASSIGNED) == 0);
        ASSERT(vm_snapshot_take(vm, &before) == 0);
        ASSERT(vm_take_slot(vm, &pf->slots[2], TIER_HIGH, "52:54:00:00:00:01", 0, ASSIGN_PHASE_ASSIGNING) == 0);
        CHECK(pf->slots[0].owner == NULL && pf->slots[2].owner == vm);
        vm_snapshot_restore(vm, &before);
        CHECK(pf->slots[0].owner == vm && pf->slots[2].owner == NULL);
        CHECK_INT(vm->record.tier, TIER_LOW);
        CHECK_INT(vm->record.phase, ASSIGN_PHASE_ASSIGNED);
        vm_snapshot_done(&before);
        fixture_done(&f);
}

/* ---- Operation ----------------------------------------------------------------------------- */

typedef struct TestJob {
        int worked, finished, undone, reverted;
        bool fill_disk;         /* the worker leaves no room for the outcome (RLIMIT_FSIZE) */
} TestJob;

static void tj_work(void *p) {
        TestJob *j = p;
        j->worked++;
        if (j->fill_disk) {
                /* as a full disk: every write past one byte fails (EFBIG instead of ENOSPC) */
                signal(SIGXFSZ, SIG_IGN);
                (void) setrlimit(RLIMIT_FSIZE, &(struct rlimit){ 1, RLIM_INFINITY });
        }
}
static void tj_finish(Operation *o, void *p) {
        ((TestJob *) p)->finished++;
        o->manager->reserve++; /* an outcome to save */
        manager_dirty(o->manager, DIRTY_STATE);
}
static void tj_undo(Operation *o, void *p) {
        ((TestJob *) p)->undone++;
}
static void tj_revert(Operation *o, void *p) {
        ((TestJob *) p)->reverted++;
        o->manager->reserve--;
}

static const OperationType test_type = {
        .name = "test", .work = tj_work, .finish = tj_finish, .undo = tj_undo, .revert = tj_revert,
};

TEST(operation_write_ahead_then_work_then_commit) {
        Fixture f;
        TestJob j = {};
        Outcome o;
        AnStatus st = AN_STATUS_OK;
        Operation *op = NULL;
        ASSERT(fixture_setup(&f, 8) == 0);

        CHECK_INT(operation_new(f.m, &test_type, &j, "t", completion(&o), &op, &st), 0);
        CHECK_INT(op->state, OPERATION_WRITE_AHEAD);
        CHECK_INT(j.worked, 0); /* nothing runs before the write-ahead is saved */
        run_until(&f, &o.done);
        CHECK_INT(o.calls, 1);
        CHECK_INT(o.st.r, 0);
        CHECK(j.worked == 1 && j.finished == 1 && j.undone == 0 && j.reverted == 0);
        CHECK(f.m->ops == NULL);
        fixture_done(&f);
}

TEST(operation_undone_when_the_write_ahead_cannot_be_saved) {
        Fixture f;
        TestJob j = {};
        Outcome o;
        AnStatus st = AN_STATUS_OK;
        ASSERT(fixture_setup(&f, 8) == 0);
        (void) rm_rf(f.state);
        ASSERT(write_file(f.state, "a file where the folder should be") >= 0);

        CHECK_INT(operation_new(f.m, &test_type, &j, "t", completion(&o), NULL, &st), 0);
        run_until(&f, &o.done);
        CHECK_INT(o.calls, 1);
        CHECK(o.st.r < 0);
        CHECK_CONTAINS(o.st.message, "cannot be written");
        CHECK(j.worked == 0 && j.undone == 1 && j.finished == 0);
        /* and every further change is refused with the reason, reads go on */
        CHECK(manager_check_writable(f.m, &st) < 0);
        CHECK_CONTAINS(st.message, f.state);

        /* The folder is back: the next change goes through. */
        ASSERT(unlink(f.state) == 0);
        TestJob j2 = {};
        CHECK_INT(operation_new(f.m, &test_type, &j2, "t", completion(&o), NULL, &st), 0);
        run_until(&f, &o.done);
        CHECK_INT(o.st.r, 0);
        CHECK_INT(j2.worked, 1);
        fixture_done(&f);
}

TEST(operation_reverted_when_the_outcome_cannot_be_saved) {
        Fixture f;
        TestJob j = {};
        Outcome o;
        AnStatus st = AN_STATUS_OK;
        ASSERT(fixture_setup(&f, 8) == 0);
        j.fill_disk = true;
        unsigned reserve = f.m->reserve;

        CHECK_INT(operation_new(f.m, &test_type, &j, "t", completion(&o), NULL, &st), 0);
        run_until(&f, &o.done);
        CHECK_INT(o.calls, 1);
        CHECK(o.st.r < 0);
        CHECK_CONTAINS(o.st.message, "could not be saved");
        CHECK(j.worked == 1 && j.finished == 1 && j.reverted == 1);
        CHECK_INT(f.m->reserve, reserve); /* memory is not ahead of disk */
        (void) setrlimit(RLIMIT_FSIZE, &(struct rlimit){ RLIM_INFINITY, RLIM_INFINITY });
        fixture_done(&f);
}

TEST(operation_cap) {
        Fixture f;
        TestJob a = {}, b = {}, c = {};
        Outcome oa, ob;
        AnStatus st = AN_STATUS_OK;
        ASSERT(fixture_setup(&f, 1) == 0);

        CHECK_INT(operation_new(f.m, &test_type, &a, "a", completion(&oa), NULL, &st), 0);
        /* a caller is told at once */
        CHECK_INT(operation_new(f.m, &test_type, &b, "b", completion(&ob), NULL, &st), -AN_ERROR_BUSY);
        CHECK_CONTAINS(st.message, "max_concurrent_ops");
        /* an internal operation waits for its place */
        CHECK_INT(operation_new(f.m, &test_type, &c, "c", COMPLETION_NONE, NULL, &st), 0);
        run_until(&f, &oa.done);
        for (int i = 0; i < 2000 && f.m->ops; i++)
                (void) sd_event_run(f.m->event, 10000);
        CHECK(a.worked == 1 && c.worked == 1 && b.worked == 0);
        CHECK(f.m->ops == NULL);
        fixture_done(&f);
}

/* ---- the VF policy rules ------------------------------------------------------------------- */

TEST(vf_policy_rules) {
        Fixture f;
        AnStatus st = AN_STATUS_OK;
        char warnings[256];
        ASSERT(fixture_setup(&f, 8) == 0);
        enable(&f);
        VfPolicy p = { .mac = "52:54:00:00:00:09", .vlan = 5, .spoofchk = true, .min_tx_rate = 100 };

        /* igb refuses a minimum rate: a warning, unless the tier requires its rates */
        CHECK_INT(vf_apply_policy(f.m->nl, "ens1", 1, &p, false, &st, warnings, sizeof warnings), 0);
        CHECK_CONTAINS(warnings, "rate not supported by the ens1 driver");
        CHECK_INT(vf_apply_policy(f.m->nl, "ens1", 1, &p, true, &st, warnings, sizeof warnings),
                  -AN_ERROR_CANNOT_PROVISION_PERFORMANCE);
        CHECK_CONTAINS(st.message, "rates_required");
        /* a MAC that cannot be set fails whatever the tier */
        CHECK_INT(vf_apply_policy(f.m->nl, "ens1", 99, &p, false, &st, warnings, sizeof warnings),
                  -AN_ERROR_ENABLE_ACCELNET_FAILED);
        fixture_done(&f);
}

/* ---- reconcile ------------------------------------------------------------------------------ */

/* A libvirt reconnect (a reconcile) while EnableVM's worker attaches the VF: the record in
 * "assigning" must stay the operation's, not be released under it. */
TEST(reconcile_leaves_an_operation_in_flight_alone) {
        Fixture f;
        ASSERT(fixture_setup(&f, 8) == 0);
        enable(&f);
        Manager *m = f.m;
        Pf *pf = manager_find_pf(m, "ens1");
        Vm *vm = manager_add_vm(m, "web1");
        ASSERT(vm);
        VirtDomain *d = calloc(1, sizeof(VirtDomain));
        ASSERT(d && (d->name = strdup("web1")));
        vm_set_domain(vm, d); /* known to libvirt, no VF in its XML yet */
        ASSERT(vm_take_slot(vm, &pf->slots[0], TIER_LOW, "52:54:00:00:00:01", 0, ASSIGN_PHASE_ASSIGNING) == 0);
        vm->operation = (Operation *) 1; /* its worker is attaching the VF */
        m->domains_known = true;

        manager_reconcile(m);
        CHECK(vm->has_record);
        CHECK(pf->slots[0].owner == vm);
        CHECK_INT(m->drift.n, 0);

        /* Without the operation, the same record is an interrupted enable: undone. */
        vm->operation = NULL;
        manager_reconcile(m);
        CHECK(!vm->has_record);
        CHECK(pf->slots[0].owner == NULL);
        CHECK_INT(m->drift.n, 1);
        CHECK_CONTAINS(m->drift.v[0].detail, "interrupted before libvirt took VF");
        fixture_done(&f);
}

/* ---- servicing: the seam the health monitor shares with DrainAdapter ---------------------- */

typedef struct Rows {
        int servicing;
        char detail[1024];
} Rows;

static void count_servicing(const Note *n, void *userdata) {
        Rows *r = userdata;
        if (streq(n->check, "servicing")) {
                r->servicing++;
                snprintf(r->detail, sizeof r->detail, "%s", n->detail);
        }
}

TEST(pf_revoke_reasons_are_separate) {
        Fixture f;
        ASSERT(fixture_setup(&f, 8) == 0);
        enable(&f);
        Manager *m = f.m;
        Pf *pf = manager_find_pf(m, "ens1");
        ASSERT(pf && pf_usable(pf) && pf_in_service(pf));
        CHECK_INT(manager_capacity_vfs(m), 8);

        /* the health monitor finds it Failed: out of service, out of the capacity */
        manager_pf_revoke(m, pf, PF_REVOKE_HEALTH_FAILED, "link down");
        CHECK(!pf_in_service(pf) && !pf_usable(pf));
        CHECK_INT(manager_capacity_vfs(m), 4);
        CHECK_STR(pf->revoke_reason[PF_REVOKE_HEALTH_FAILED], "link down");
        CHECK(pf->draining);
        /* the admin drains it too; the health recovery does not end the drain */
        manager_pf_revoke(m, pf, PF_REVOKE_ADMIN_DRAIN, NULL);
        manager_pf_revoke(m, pf, PF_REVOKE_ADMIN_DRAIN, NULL); /* idempotent */
        CHECK_INT(pf->revoked, (1u << PF_REVOKE_HEALTH_FAILED) | (1u << PF_REVOKE_ADMIN_DRAIN));
        manager_pf_unrevoke(m, pf, PF_REVOKE_HEALTH_FAILED);
        CHECK(!pf_in_service(pf));
        CHECK(pf->revoke_reason[PF_REVOKE_HEALTH_FAILED] == NULL);
        CHECK_INT(manager_capacity_vfs(m), 4);
        manager_flush(m);

        /* said in GetPrerequisites; only the admin drain is kept on disk */
        Rows rows = {};
        manager_foreach_note(m, count_servicing, &rows);
        CHECK_INT(rows.servicing, 1);
        CHECK_CONTAINS(rows.detail, "ens1 is out of service: drained by the admin since");
        CHECK_CONTAINS(rows.detail, "accelnetctl adapter restore ens1");
        _cleanup_(state_freep) State *disk = NULL;
        ASSERT(state_load(f.state, &disk, NULL) >= 0);
        ASSERT(disk->n_drained == 1);
        CHECK_STR(disk->drained[0].pf, "0000:01:00.0");
        CHECK(disk->drained[0].since > 0);

        /* failed again, then the admin restores it: still out, for its health */
        manager_pf_revoke(m, pf, PF_REVOKE_HEALTH_FAILED, NULL);
        manager_pf_unrevoke(m, pf, PF_REVOKE_ADMIN_DRAIN);
        CHECK(!pf_in_service(pf));
        manager_flush(m);
        state_freep(&disk);
        ASSERT(state_load(f.state, &disk, NULL) >= 0);
        CHECK_INT(disk->n_drained, 0);
        manager_pf_unrevoke(m, pf, PF_REVOKE_HEALTH_FAILED);
        CHECK(pf_in_service(pf) && pf_usable(pf) && !pf->draining);
        CHECK_INT(manager_capacity_vfs(m), 8);
        rows = (Rows){};
        manager_foreach_note(m, count_servicing, &rows);
        CHECK_INT(rows.servicing, 0);
        manager_pf_unrevoke(m, pf, PF_REVOKE_HEALTH_FAILED); /* not held: nothing */
        CHECK(pf_in_service(pf));
        fixture_done(&f);
}

/* A record on an adapter out of service is servicing's: reconcile neither gives its VF back nor
 * re-applies its policy, and a revoke that began is finished whatever changed since. */
TEST(reconcile_leaves_a_revoked_record_to_servicing) {
        Fixture f;
        ASSERT(fixture_setup(&f, 8) == 0);
        enable(&f);
        Manager *m = f.m;
        Pf *pf = manager_find_pf(m, "ens1");
        Vm *vm = manager_add_vm(m, "web1");
        ASSERT(vm);
        VirtDomain *d = calloc(1, sizeof(VirtDomain));
        ASSERT(d && (d->name = strdup("web1")));
        vm_set_domain(vm, d); /* its VF is not in its XML (revoked there already) */
        ASSERT(vm_take_slot(vm, &pf->slots[0], TIER_LOW, "52:54:00:00:00:01", 0, ASSIGN_PHASE_ASSIGNED) == 0);
        CHECK(!servicing_owns_record(m, vm));
        manager_pf_revoke(m, pf, PF_REVOKE_HEALTH_FAILED, "gone");
        CHECK(servicing_owns_record(m, vm));
        m->domains_known = true;
        manager_reconcile(m);
        CHECK(vm->has_record); /* not "removed outside accelnet; it is freed" */
        CHECK_INT(m->drift.n, 0);
        /* back in service before the revoke began: reconcile's again */
        manager_pf_unrevoke(m, pf, PF_REVOKE_HEALTH_FAILED);
        CHECK(!servicing_owns_record(m, vm));
        /* once it began (phase revoking), it is finished even so */
        vm->record.phase = ASSIGN_PHASE_REVOKING;
        CHECK(servicing_owns_record(m, vm));
        vm->record.phase = ASSIGN_PHASE_ASSIGNED;
        vm->revoked_since = 1; /* RevokeVM */
        CHECK(servicing_owns_record(m, vm));
        vm->revoked_since = 0;
        /* in service and nobody revoked: an ordinary record, which reconcile frees (its VF
         * left the XML outside accelnet) */
        manager_reconcile(m);
        CHECK(!vm->has_record);
        CHECK_INT(m->drift.n, 1);
        fixture_done(&f);
}

int main(void) {
        RUN(pf_provisioning_and_slots);
        RUN(pf_reprovisioned_when_vfs_vanish);
        RUN(vm_record_release_and_gc);
        RUN(vm_snapshot_restores_the_record_and_the_slot);
        RUN(operation_write_ahead_then_work_then_commit);
        RUN(operation_undone_when_the_write_ahead_cannot_be_saved);
        RUN(operation_reverted_when_the_outcome_cannot_be_saved);
        RUN(operation_cap);
        RUN(vf_policy_rules);
        RUN(reconcile_leaves_an_operation_in_flight_alone);
        RUN(pf_revoke_reasons_are_separate);
        RUN(reconcile_leaves_a_revoked_record_to_servicing);
        return TEST_MAIN_END();
}
