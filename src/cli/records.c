/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <strings.h>

#include "records.h"
#include "shared/macro.h"
#include "shared/names.h"

void intent_rows_free(IntentRow *rows, size_t n) {
        if (!rows)
                return;
        for (size_t i = 0; i < n; i++) {
                free(rows[i].types);
                free(rows[i].adapters);
        }
        free(rows);
}

bool vm_row_matches(const VmRow *row, VmFilter filter) {
        switch (filter) {
        case VM_FILTER_ENABLED:
                return row->state && strcasecmp(row->state, ACCELNET_VM_STATE_ENABLED) == 0;
        case VM_FILTER_DISABLED:
                return row->state && strcasecmp(row->state, ACCELNET_VM_STATE_DISABLED) == 0;
        default:
                return true;
        }
}

bool vm_result_failed(const VmResult *r) {
        return !isempty(r->error);
}

size_t vm_results_n_failed(const VmResult *results, size_t n) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
                if (vm_result_failed(&results[i]))
                        k++;
        return k;
}

const Property *property_find(const Property *props, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (streq_ptr(props[i].name, name))
                        return &props[i];
        return NULL;
}

int records_reserve(void **array, size_t *allocated, size_t need, size_t size) {
        if (need <= *allocated)
                return 0;
        if (need > RECORDS_MAX)
                return -E2BIG;
        size_t want = *allocated ? *allocated * 2 : 8;
        while (want < need)
                want *= 2;
        void *p = reallocarray(*array, want, size);
        if (!p)
                return -ENOMEM;
        *array = p;
        *allocated = want;
        return 0;
}
