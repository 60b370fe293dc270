/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The prerequisite engine: pure judgement of HostFacts (read by src/sriov) into the rows of
 * GetPrerequisites and one SR-IOV support verdict per adapter. No I/O. */

#include "shared/anerror.h"
#include "shared/hostfacts.h"

typedef enum PrereqResult {
        PREREQ_PASSED,
        PREREQ_WARNING,
        PREREQ_FAILED,
        _PREREQ_RESULT_MAX,
        _PREREQ_RESULT_INVALID = -22,
} PrereqResult;

const char *prereq_result_to_string(PrereqResult r);
PrereqResult prereq_result_from_string(const char *s);

typedef struct PrereqRow {
        char *check;    /* "iommu", "kernel", "libvirt", "hyperthreading", "sriov", "acs", ... */
        char *subject;  /* "host" or "0000:01:00.0 (ens1f0)" */
        PrereqResult result;
        AnError code;   /* 0 when passed */
        char *detail;   /* what was found, the evidence (file, value), and the remedy */
} PrereqRow;

typedef struct PrereqConfig {
        const char *kernel_min;      /* e.g. "5.10" */
        const char *libvirt_min;     /* e.g. "7.0.0" */
        const char *libvirt_version; /* NULL when unknown */
} PrereqConfig;

#define PREREQ_DEFAULT_KERNEL_MIN "5.10"
#define PREREQ_DEFAULT_LIBVIRT_MIN "7.0.0"

typedef struct PrereqReport {
        PrereqRow *rows;
        size_t n_rows;
        SriovSupport *verdicts;      /* parallel to HostFacts.adapters */
        char **reasons;              /* one line per adapter: why this verdict */
        size_t n_adapters;
        bool host_ok;                /* IOMMU, kernel, libvirt all passed */
        size_t n_supported;
} PrereqReport;

int prereq_evaluate(const HostFacts *h, const PrereqConfig *c, PrereqReport **ret);
PrereqReport *prereq_report_free(PrereqReport *r);
static inline void prereq_report_freep(PrereqReport **r) {
        if (*r)
                *r = prereq_report_free(*r);
}

/* The verdict of the adapter at `address` (or ifname), _SRIOV_SUPPORT_INVALID if absent. */
SriovSupport prereq_report_verdict(const PrereqReport *r, const HostFacts *h, const char *name);

/* ACS control bits a port must have enabled for VFs to be isolated. */
#define ACS_REQUIRED_CTRL \
        (ACS_SOURCE_VALIDATION | ACS_REQUEST_REDIRECT | ACS_COMPLETION_REDIRECT | ACS_UPSTREAM_FORWARDING)
