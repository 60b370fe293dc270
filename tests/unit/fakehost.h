/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the unit tests that need a host: builds a fake root from a host description
 * (docs/host-description.md) in a fresh temporary directory, then runs libpci discovery and
 * the prerequisite engine on it, exactly as accelnetd does on a real root.
 *
 * Descriptions are written with ' for " so that they read well inside C strings (no value
 * in them contains an apostrophe). "dump" files are looked up in the real fixtures. */

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/prereq.h"
#include "shared/fileio.h"
#include "sriov/discover.h"
#include "sim/fakeroot.h"
#include "sriov/pci.h"
#include "testlib.h"

/* The real dumps of ../shared/fixtures/real (see SOURCES.md there). */
#define DUMP_82576 "xxxx-pciutils-intel-82576-pf-sriov.txt"
#define DUMP_THUNDERX "xxxx-pciutils-cavium-thunderx-nic-sriov128.txt"
#define DUMP_X58 "xxxx-pciutils-x58-full-tree-rootports-acs.txt"
#define DUMP_HASWELL_C610 "xxxx-linuxpci-haswell-e-rootports-acs_c610-pch-rootport-no-acs.txt"
#define DUMP_HASWELL_CX3 "xxxx-pciutils-haswell-e-rootport-acs_connectx3pro-no-sriov.txt"
#define DUMP_ALDERLAKE "xxxx-linuxpci-alderlake-laptop-full-vvvxxxx_igpu-sriov_rtl8125.txt"
#define DUMP_PM174X "xxxx-pciutils-samsung-pm174x-nvme-sriov-non-nic.txt"
#define DUMP_0D93 "xxxx-pciutils-intel-0d93-rciep-sriov-non-nic.txt"
#define DUMP_CX5_256 "xxx256-linuxpci-connectx5ex-pf.txt"

typedef struct FakeHost {
        char *root;            /* owned temporary directory */
        char *error;           /* fakeroot_build's message */
        int build_r, access_r, discover_r, evaluate_r;
        PciAccess *pacc;
        HostFacts *facts;
        PrereqReport *report;
} FakeHost;

/* Parses a description written with ' for ". NULL (and a message) if it is not JSON, which is
 * a bug in the test itself. */
static inline json_t *fake_json(const char *text) {
        _cleanup_free_ char *s = strdup(text);
        json_error_t err;
        json_t *j;

        if (!s)
                abort();
        for (char *p = s; *p; p++)
                if (*p == '\'')
                        *p = '"';
        j = json_loads(s, JSON_REJECT_DUPLICATES, &err);
        if (!j)
                fprintf(stderr, "test description is not JSON: %d:%d: %s\n%s\n", err.line, err.column, err.text, s);
        return j;
}

static inline void fake_host_done(FakeHost *t) {
        prereq_report_free(t->report);
        host_facts_free(t->facts);
        pci_access_free(t->pacc);
        free(t->error);
        test_tmpdir_cleanup(t->root);
        *t = (FakeHost){};
}

/* Builds the root only. Returns fakeroot_build's result. */
static inline int fake_host_build(FakeHost *t, const char *desc) {
        FakeRootOptions o = { .dump_dir = test_fixtures_dir() };
        json_t *j = fake_json(desc);

        *t = (FakeHost){ .root = test_tmpdir() };
        if (!j)
                return t->build_r = -EINVAL;
        t->build_r = fakeroot_build(t->root, j, &o, &t->error);
        json_decref(j);
        return t->build_r;
}

/* Discovery and evaluation on an already built (or hand-made) root. 0 when all three ran. */
static inline int fake_host_evaluate(FakeHost *t) {
        PrereqConfig cfg = { .libvirt_version = "9.0.0" };

        t->access_r = pci_access_new(t->root, &t->pacc);
        if (t->access_r < 0)
                return t->access_r;
        t->discover_r = host_discover(t->pacc, t->root, &t->facts);
        if (t->discover_r < 0)
                return t->discover_r;
        t->evaluate_r = prereq_evaluate(t->facts, &cfg, &t->report);
        return t->evaluate_r;
}

/* Builds, discovers and evaluates. 0 when everything ran. */
static inline int fake_host_run(FakeHost *t, const char *desc) {
        int r = fake_host_build(t, desc);
        if (r < 0) {
                fprintf(stderr, "fakeroot_build: %s (%s)\n", strerror(-r), t->error ? t->error : "no message");
                return r;
        }
        return fake_host_evaluate(t);
}

static inline const PfFacts *fake_adapter(const FakeHost *t, const char *address) {
        return t->facts ? host_facts_find_adapter(t->facts, address) : NULL;
}

static inline SriovSupport fake_verdict(const FakeHost *t, const char *address) {
        if (!t->facts || !t->report)
                return _SRIOV_SUPPORT_INVALID;
        return prereq_report_verdict(t->report, t->facts, address);
}

static inline const char *fake_reason(const FakeHost *t, const char *address) {
        for (size_t i = 0; t->facts && t->report && i < t->facts->n_adapters; i++)
                if (streq(t->facts->adapters[i].address, address))
                        return t->report->reasons[i];
        return NULL;
}

/* The row of `check` for an adapter (subject "ADDR" or "ADDR (ifname)") or for "host". */
static inline const PrereqRow *fake_row(const FakeHost *t, const char *check, const char *subject) {
        size_t n = strlen(subject);
        for (size_t i = 0; t->report && i < t->report->n_rows; i++) {
                const PrereqRow *row = &t->report->rows[i];
                if (streq(row->check, check) && strncmp(row->subject, subject, n) == 0 &&
                    (row->subject[n] == 0 || row->subject[n] == ' '))
                        return row;
        }
        return NULL;
}

static inline bool fake_ignored(const FakeHost *t, const char *address) {
        for (size_t i = 0; t->facts && i < t->facts->n_ignored; i++)
                if (strncmp(t->facts->ignored[i], address, strlen(address)) == 0)
                        return true;
        return false;
}

/* The adapter's problems joined with " | " (static buffer), for CHECK_CONTAINS. */
static inline const char *fake_problems(const FakeHost *t, const char *address) {
        static char buf[4096];
        const PfFacts *f = fake_adapter(t, address);
        buf[0] = 0;
        for (size_t i = 0; f && i < f->n_problems; i++) {
                strncat(buf, f->problems[i], sizeof buf - strlen(buf) - 1);
                strncat(buf, " | ", sizeof buf - strlen(buf) - 1);
        }
        return buf;
}

/* ROOT/rel, owned. */
static inline char *fake_path(const FakeHost *t, const char *rel) {
        char *p = path_join(t->root, rel);
        if (!p)
                abort();
        return p;
}
