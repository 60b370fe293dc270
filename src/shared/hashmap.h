/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A hash table from NUL-terminated string keys to pointers (open addressing, linear probing,
 * grown at 70 % load, tombstones reclaimed on growth). The table borrows its keys: a key must
 * stay valid and unchanged while its entry is in the table (objects keep their own name and
 * are keyed by it, as machined's hashmaps of Machine are). Not thread-safe.
 *
 *   Vm *vm;
 *   HASHMAP_FOREACH(vm, m->vms) …      (the table must not change during the walk)
 */

#include <stdbool.h>
#include <stddef.h>

typedef struct Hashmap Hashmap;

Hashmap *hashmap_new(void);
/* Frees the table, not the values. Accepts NULL, returns NULL. */
Hashmap *hashmap_free(Hashmap *h);
static inline void hashmap_freep(Hashmap **h) {
        if (*h)
                *h = hashmap_free(*h);
}

/* 0 when added, -EEXIST when the key is present (nothing changes), -ENOMEM. */
int hashmap_put(Hashmap *h, const char *key, void *value);
/* The value, or NULL. */
void *hashmap_get(const Hashmap *h, const char *key);
/* Removes the entry and returns its value, or NULL. */
void *hashmap_remove(Hashmap *h, const char *key);
size_t hashmap_size(const Hashmap *h);

/* Iteration: *i starts at 0; returns false at the end. */
bool hashmap_iterate(const Hashmap *h, size_t *i, void **ret_value, const char **ret_key);
#define HASHMAP_FOREACH(v, h)                                                                  \
        for (size_t _hm_i_ = 0; hashmap_iterate((h), &_hm_i_, (void **) &(v), NULL);)

/* The values sorted by key (strcmp), as a malloc'ed array of size hashmap_size(); NULL with
 * *ret_n == 0 for an empty table. -ENOMEM. */
int hashmap_sorted_values(const Hashmap *h, void ***ret, size_t *ret_n);
