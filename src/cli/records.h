/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The rows of accelnetd's replies as plain data. commands.c fills them from a D-Bus
 * reply, output.c turns them into JSON and render.c into tables, so both formats can be
 * tested without a bus. Strings are borrowed (from the sd_bus_message they were read
 * from, which must outlive the rows); only the arrays are owned. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "args.h"

/* GetPrerequisites: a(sssss) */
typedef struct PrereqRow {
        const char *check, *subject, *result, *code, *detail;
} PrereqRow;

/* ListAdapters: a(ssssuuu) */
typedef struct AdapterRow {
        const char *address, *ifname, *driver, *support;
        uint32_t total_vfs, enabled_vfs, assigned_vfs;
} AdapterRow;

/* ListVMs: a(sssss) */
typedef struct VmRow {
        const char *vm, *state, *performance, *vf, *note;
} VmRow;

/* ListIntents: a(sasas) */
typedef struct IntentRow {
        const char *name;
        const char **types;    /* owned array */
        size_t n_types;
        const char **adapters; /* owned array */
        size_t n_adapters;
} IntentRow;

/* EnableVMs/DisableVMs: a(ss); error is "" when the VM is done. */
typedef struct VmResult {
        const char *vm, *error;
} VmResult;

/* One property of GetAll. Unknown types are skipped when reading. */
typedef enum PropertyType {
        PROPERTY_BOOLEAN,
        PROPERTY_STRING,
        PROPERTY_UNSIGNED,
        PROPERTY_SIGNED,
        PROPERTY_DOUBLE,
} PropertyType;

typedef struct Property {
        const char *name;
        PropertyType type;
        union {
                bool b;
                const char *s;
                uint64_t u;
                int64_t i;
                double d;
        };
} Property;

void intent_rows_free(IntentRow *rows, size_t n);

/* Whether a ListVMs row passes vm list's --enabled/--disabled (state compared
 * case-insensitively with "enabled"/"disabled"). */
bool vm_row_matches(const VmRow *row, VmFilter filter);
/* Whether a per-VM result is a failure. */
bool vm_result_failed(const VmResult *r);
size_t vm_results_n_failed(const VmResult *results, size_t n);

/* Finds a property by name; NULL if absent. */
const Property *property_find(const Property *props, size_t n, const char *name);

/* Grows *array (of elements of size `size`) so that it has room for `need` elements.
 * 0, -ENOMEM, or -E2BIG above RECORDS_MAX. */
#define RECORDS_MAX (1024 * 1024)
int records_reserve(void **array, size_t *allocated, size_t need, size_t size);
