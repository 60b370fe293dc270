/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "config.h"
#include "manager.h"
#include "operation.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "sriov/backend.h"
#include "sriov/discover.h"
#include "sriov/numvfs.h"
#include "sriov/pci.h"
#include "sriov/vfpolicy.h"
#include "virt/virt.h"

void an_status_set(AnStatus *s, int r, const char *fmt, ...) {
        va_list ap;
        s->r = r;
        va_start(ap, fmt);
        vsnprintf(s->message, sizeof s->message, fmt, ap);
        va_end(ap);
}

static int on_state_sync(sd_event_source *s, uint64_t usec, void *userdata);

const char *manager_version(void) {
        return PACKAGE_VERSION;
}

void notes_free(Note *v, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(v[i].check);
                free(v[i].subject);
                free(v[i].detail);
        }
        free(v);
}

void manager_add_note(Manager *m, Note **v, size_t *n, const char *check, const char *subject,
                      PrereqResult result, AnError code, const char *fmt, ...) {
        va_list ap;
        char *detail = NULL;
        Note *nv;

        va_start(ap, fmt);
        if (vasprintf(&detail, fmt, ap) < 0)
                detail = NULL;
        va_end(ap);
        nv = realloc(*v, sizeof(Note) * (*n + 1));
        if (!nv || !detail) {
                free(detail);
                if (nv)
                        *v = nv;
                return;
        }
        *v = nv;
        nv[*n] = (Note){ .check = strdup(check), .subject = strdup(subject), .detail = detail,
                         .result = result, .code = code };
        (*n)++;
}

int manager_new(const ManagerOptions *o, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        m = calloc(1, sizeof *m);
        if (!m)
                return -ENOMEM;
        m->root = strdup(o->root ? o->root : "/");
        m->config_dir = strdup(o->config_dir ? o->config_dir : ACCELNET_SYSCONFDIR);
        m->state_dir = strdup(o->state_dir ? o->state_dir : ACCELNET_STATEDIR);
        m->libvirt_uri = strdup(o->libvirt_uri ? o->libvirt_uri : "qemu:///system");
        m->backend = o->backend ? o->backend : sriov_backend_kernel();
        if (!m->root || !m->config_dir || !m->state_dir || !m->libvirt_uri)
                return -ENOMEM;
        r = sd_event_default(&m->event);
        if (r < 0)
                return r;
        r = pci_access_new(m->root, &m->pacc);
        if (r < 0)
                return r;
        r = vf_netlink_open(m->backend, m->root, &m->nl);
        if (r < 0)
                return log_error_errno(r, "Cannot open the %s VF backend: %m", m->backend->name);
        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        operation_drain(m);
        if (m->sync_timer) {
                if (sd_event_source_get_enabled(m->sync_timer, NULL) > 0)
                        (void) on_state_sync(NULL, 0, m);
                sd_event_source_disable_unref(m->sync_timer);
        }
        sd_event_source_disable_unref(m->virt_connect_timer);
        virt_conn_free(m->virt);
        vf_netlink_free(m->nl);
        virt_strv_free(m->domains, m->n_domains);
        strv_free_n(m->busy_vms, m->n_busy_vms);
        strv_free_n(m->held_vfs, m->n_held_vfs);
        notes_free(m->drift, m->n_drift);
        free(m->vfs);
        free(m->libvirt_version);
        sd_event_source_disable_unref(m->refresh_timer);
        sd_bus_flush_close_unref(m->bus);
        pci_access_free(m->pacc);
        host_facts_free(m->host);
        prereq_report_free(m->prereq);
        config_free(m->config);
        state_free(m->state);
        notes_free(m->notes, m->n_notes);
        notes_free(m->enable_notes, m->n_enable_notes);
        free(m->published.intent);
        free(m->root);
        free(m->config_dir);
        free(m->state_dir);
        free(m->libvirt_uri);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}

static int on_state_sync(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        _cleanup_free_ char *p = path_join(m->state_dir, "state.json");
        int r = p ? fsync_path(p) : -ENOMEM;
        if (r < 0)
                log_warning_errno(r, "Failed to sync %s/state.json: %m", m->state_dir);
        return 0;
}

/* Every change is written at once (atomically: a crash of the daemon never loses it); the
 * fsync for power loss follows within MANAGER_SYNC_USEC, one for a whole burst. */
int manager_save_state(Manager *m) {
        int r = state_save_full(m->state_dir, m->state, false);
        if (r < 0)
                return log_error_errno(r, "Failed to save %s/state.json: %m", m->state_dir);
        if (!m->sync_timer) {
                r = sd_event_add_time_relative(m->event, &m->sync_timer, CLOCK_MONOTONIC, MANAGER_SYNC_USEC, 0,
                                               on_state_sync, m);
                if (r < 0)
                        return on_state_sync(NULL, 0, m);
                (void) sd_event_source_set_description(m->sync_timer, "state-sync");
        } else if (sd_event_source_get_enabled(m->sync_timer, NULL) == 0) {
                (void) sd_event_source_set_time_relative(m->sync_timer, MANAGER_SYNC_USEC);
                (void) sd_event_source_set_enabled(m->sync_timer, SD_EVENT_ONESHOT);
        }
        return 0;
}

static int judge(Manager *m, const HostFacts *h, PrereqReport **ret) {
        PrereqConfig pc = {
                .kernel_min = m->config->settings.kernel_min,
                .libvirt_min = m->config->settings.libvirt_min,
                .libvirt_version = m->libvirt_version,
        };
        int r = prereq_evaluate(h, &pc, ret);
        if (r < 0)
                return log_error_errno(r, "Prerequisite evaluation failed: %m");
        return 0;
}

/* Facts and verdicts are replaced together: the verdicts array is parallel to the adapters. */
static void install(Manager *m, HostFacts *h, PrereqReport *rep) {
        if (h) {
                host_facts_free(m->host);
                m->host = h;
        }
        prereq_report_free(m->prereq);
        m->prereq = rep;
        if (m->state)
                (void) manager_rebuild_vfs(m);
}

int manager_evaluate(Manager *m) {
        PrereqReport *rep = NULL;
        int r = judge(m, m->host, &rep);
        if (r < 0)
                return r;
        install(m, NULL, rep);
        return 0;
}

int manager_refresh(Manager *m) {
        _cleanup_(host_facts_freep) HostFacts *h = NULL;
        PrereqReport *rep = NULL;
        int r;

        r = host_discover(m->pacc, m->root, &h);
        if (r < 0)
                return log_error_errno(r, "Host discovery under %s failed: %m", m->root);
        r = judge(m, h, &rep);
        if (r < 0)
                return r;
        install(m, TAKE_PTR(h), rep);
        return 0;
}

int manager_reload_config(Manager *m) {
        _cleanup_(config_freep) Config *c = NULL;
        char **problems = NULL;
        size_t n = 0;
        int r;

        r = config_load(m->config_dir, &c, &problems, &n);
        if (r < 0)
                return log_error_errno(r, "Failed to load configuration from %s: %m", m->config_dir);
        /* Config notes are replaced as a whole: keep the other notes. */
        Note *keep = NULL;
        size_t n_keep = 0;
        for (size_t i = 0; i < m->n_notes; i++)
                if (!streq(m->notes[i].check, "config"))
                        manager_add_note(m, &keep, &n_keep, m->notes[i].check, m->notes[i].subject,
                                         m->notes[i].result, m->notes[i].code, "%s", m->notes[i].detail);
        notes_free(m->notes, m->n_notes);
        m->notes = keep;
        m->n_notes = n_keep;
        for (size_t i = 0; i < n; i++) {
                log_warning("Configuration: %s (skipped)", problems[i]);
                manager_add_note(m, &m->notes, &m->n_notes, "config", m->config_dir, PREREQ_WARNING, 0,
                                 "%s: skipped.", problems[i]);
        }
        strv_free_n(problems, n);
        config_free(m->config);
        m->config = TAKE_PTR(c);
        log_debug("Loaded %zu intent(s) from %s.", m->config->n_intents, m->config_dir);
        return 0;
}

bool manager_hyperthreading(const Manager *m) {
        return m->host && m->host->smt_active == 1;
}

static const PfFacts *find_pf(const Manager *m, const char *name, size_t *ret_index) {
        if (!m->host)
                return NULL;
        for (size_t i = 0; i < m->host->n_adapters; i++) {
                const PfFacts *f = &m->host->adapters[i];
                if (streq(f->address, name) || streq_ptr(f->ifname, name)) {
                        if (ret_index)
                                *ret_index = i;
                        return f;
                }
        }
        return NULL;
}

unsigned manager_capacity_vfs(const Manager *m) {
        unsigned c = 0;
        if (!m->state->enabled)
                return 0;
        for (size_t i = 0; i < m->state->n_pfs; i++) {
                const ProvisionedPf *p = &m->state->pfs[i];
                size_t idx;
                const PfFacts *f = find_pf(m, p->pf, &idx);
                if (p->status != PROVISION_DONE || !f || m->prereq->verdicts[idx] != SRIOV_SUPPORTED)
                        continue;
                c += f->sysfs_num_vfs;
        }
        return c;
}

unsigned manager_usable_vfs(const Manager *m) {
        uint64_t c = manager_capacity_vfs(m);
        return (unsigned) (c * (100 - m->state->node_reserve) / 100);
}

unsigned manager_assigned_vfs(const Manager *m) {
        return (unsigned) m->state->n_vms;
}

int manager_check_intent_arg(const char *intent, AnStatus *st) {
        if (isempty(intent)) {
                an_status_set(st, -AN_ERROR_INVALID_ARGS, "The intent name must not be empty.");
                return st->r;
        }
        if (!intent_name_valid(intent)) {
                an_status_set(st, -AN_ERROR_INVALID_ARGS,
                              "Invalid intent name '%.64s'%s: use 1-64 characters of A-Z a-z 0-9 _ . - "
                              "(not starting with '.').",
                              intent, strlen(intent) > 64 ? " (truncated)" : "");
                return st->r;
        }
        return 0;
}

int manager_check_reserve_arg(uint32_t reserve, AnStatus *st) {
        if (reserve > 99) {
                an_status_set(st, -AN_ERROR_INVALID_ARGS,
                              "Node reserve %" PRIu32 " is outside 0-99 (a percentage of the VFs kept free "
                              "for failover).", reserve);
                return st->r;
        }
        return 0;
}

static int on_refresh_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        if (!m->management_busy && manager_refresh(m) >= 0)
                manager_properties_changed(m);
        (void) sd_event_source_set_time_relative(s, MANAGER_REFRESH_USEC);
        return 0;
}

int manager_startup(Manager *m) {
        _cleanup_free_ char *note = NULL;
        int r;

        r = manager_reload_config(m);
        if (r < 0)
                return r;
        r = state_load(m->state_dir, &m->state, &note);
        if (r < 0)
                return log_error_errno(r, "Failed to load the state from %s: %m", m->state_dir);
        if (note) {
                log_warning("State: %s", note);
                manager_add_note(m, &m->notes, &m->n_notes, "state", m->state_dir, PREREQ_WARNING, 0, "%s", note);
        }
        r = manager_refresh(m);
        if (r < 0)
                return r;
        r = manager_virt_connect(m); /* reconciles when libvirt answers; retries when not */
        if (r < 0)
                return r;
        if (m->state->enabled && !config_find_intent(m->config, m->state->intent)) {
                log_warning("Management is enabled on intent '%s', which is no longer configured.", m->state->intent);
                manager_add_note(m, &m->notes, &m->n_notes, "intent", strempty(m->state->intent), PREREQ_WARNING,
                                 AN_ERROR_INTENT_NOT_FOUND,
                                 "Management is enabled on intent '%s', which %s/intents.d no longer defines; the "
                                 "adapters provisioned before are still used.", m->state->intent, m->config_dir);
        }
        r = manager_resume_provisioning(m);
        if (r < 0)
                return r;
        r = sd_event_add_time_relative(m->event, &m->refresh_timer, CLOCK_MONOTONIC, MANAGER_REFRESH_USEC,
                                       1000000ULL, on_refresh_timer, m);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(m->refresh_timer, "refresh");
        return 0;
}
