/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Configuration: CONFIG/accelnet.json (settings and tier table) and CONFIG/intents.d/NAME.json
 * (one intent per file). Everything is optional; defaults are documented in
 * man/accelnet.json.5 and README. Loading never fails on a bad file: the file is skipped
 * and a problem line naming the file and the field is returned for the caller to log. */

#include <stdbool.h>
#include <stddef.h>

#include "health.h"
#include "tier.h"

typedef enum IntentType {
        INTENT_TYPE_COMPUTE = 1 << 0,
        INTENT_TYPE_STORAGE = 1 << 1,
        INTENT_TYPE_MANAGEMENT = 1 << 2,
} IntentType;

typedef struct Intent {
        char *name;          /* [A-Za-z0-9_.-]{1,64} */
        unsigned types;      /* IntentType bits */
        char **adapters;     /* netdev names or PCI addresses, as written */
        size_t n_adapters;
        char *source;        /* the file it came from */
} Intent;

/* What accelnetd writes to Pacemaker's node utilization attribute accelnet-vfs (where
 * Pacemaker runs). */
typedef enum PacemakerUtilization {
        PACEMAKER_UTILIZATION_OFF,       /* nothing */
        PACEMAKER_UTILIZATION_FREE,      /* the node's free VFs (ListNodeCapacity's free column) */
        PACEMAKER_UTILIZATION_CAPACITY,  /* the free VFs plus those of the VMs running on the node:
                                          * the capacity Pacemaker allocates VM resources that
                                          * declare `utilization accelnet-vfs=1` from (it
                                          * subtracts the ones it runs there itself) */
        _PACEMAKER_UTILIZATION_MAX,
        _PACEMAKER_UTILIZATION_INVALID = -22,
} PacemakerUtilization;

const char *pacemaker_utilization_to_string(PacemakerUtilization u); /* "off", "free", "capacity" */
PacemakerUtilization pacemaker_utilization_from_string(const char *s);

/* Version strings are stored inline so that Settings can be copied and needs no cleanup. */
#define SETTINGS_VERSION_MAX 32

typedef struct Settings {
        unsigned default_node_reserve;   /* 50 */
        char kernel_min[SETTINGS_VERSION_MAX];   /* "5.10" */
        char libvirt_min[SETTINGS_VERSION_MAX];  /* "7.0.0" */
        unsigned max_concurrent_ops;     /* 8: more concurrent slow operations get Busy */
        unsigned max_vms;                /* 4096: cap on tracked VM assignments */
        bool vf_autoprobe;               /* false: sriov_drivers_autoprobe set to 0 before creating VFs */
        bool migration_requires_vf;      /* false: an incoming migration finding no free VF arrives on
                                          * virtio and waits for one; true: it is refused */
        PacemakerUtilization pacemaker_utilization; /* "free" */
        TierTable tiers;
        HealthSettings health;           /* "health": flapping, quarantine, link-down debounce */
} Settings;

typedef struct Config {
        Settings settings;
        Intent *intents;
        size_t n_intents;
} Config;

void settings_defaults(Settings *s);

/* Loads CONFIG_DIR/accelnet.json and CONFIG_DIR/intents.d/NAME.json (sorted by file name).
 * A missing directory or file is not an error. *ret_problems gets one line per skipped
 * file or ignored field ("intents.d/x.json: field \"types\": must be an array of strings"). */
int config_load(const char *config_dir, Config **ret, char ***ret_problems, size_t *ret_n_problems);
Config *config_free(Config *c);
static inline void config_freep(Config **c) {
        if (*c)
                *c = config_free(*c);
}

const Intent *config_find_intent(const Config *c, const char *name);
/* The rules for names that come over the bus: 1-64 of [A-Za-z0-9_.-], not starting with '.'. */
bool intent_name_valid(const char *name);
const char *intent_type_to_string(IntentType t);  /* "compute", "storage", "management" */
int intent_type_from_string(const char *s);        /* IntentType bit or -EINVAL */
