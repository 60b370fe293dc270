/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "macro.h"

#define TOMBSTONE ((const char *) (uintptr_t) 1)
#define MIN_BUCKETS 16u

typedef struct Entry {
        const char *key; /* NULL: empty; TOMBSTONE: removed */
        void *value;
        size_t hash;
} Entry;

struct Hashmap {
        Entry *entries;
        size_t n_buckets; /* a power of two */
        size_t n_items, n_tombstones;
};

/* FNV-1a: keys are short names from libvirt and sysfs; nothing here is hashed for an
 * attacker who controls many keys of a table we could not afford to probe. */
static size_t hash_string(const char *s) {
        uint64_t h = 1469598103934665603ULL;
        for (; *s; s++) {
                h ^= (unsigned char) *s;
                h *= 1099511628211ULL;
        }
        return (size_t) (h ^ (h >> 29));
}

static bool live(const Entry *e) {
        return e->key && e->key != TOMBSTONE;
}

Hashmap *hashmap_new(void) {
        return calloc(1, sizeof(Hashmap));
}

Hashmap *hashmap_free(Hashmap *h) {
        if (!h)
                return NULL;
        free(h->entries);
        free(h);
        return NULL;
}

size_t hashmap_size(const Hashmap *h) {
        return h ? h->n_items : 0;
}

static Entry *find(const Hashmap *h, const char *key, size_t hash) {
        if (!h->n_buckets)
                return NULL;
        size_t mask = h->n_buckets - 1;
        for (size_t i = hash & mask, n = 0; n < h->n_buckets; i = (i + 1) & mask, n++) {
                Entry *e = &h->entries[i];
                if (!e->key)
                        return NULL;
                if (e->key != TOMBSTONE && e->hash == hash && streq(e->key, key))
                        return e;
        }
        return NULL;
}

static void insert(Entry *entries, size_t n_buckets, const char *key, void *value, size_t hash) {
        size_t mask = n_buckets - 1;
        size_t i = hash & mask;
        while (live(&entries[i]))
                i = (i + 1) & mask;
        entries[i] = (Entry){ .key = key, .value = value, .hash = hash };
}

static int resize(Hashmap *h, size_t n_buckets) {
        Entry *n = calloc(n_buckets, sizeof(Entry));
        if (!n)
                return -ENOMEM;
        for (size_t i = 0; i < h->n_buckets; i++)
                if (live(&h->entries[i]))
                        insert(n, n_buckets, h->entries[i].key, h->entries[i].value, h->entries[i].hash);
        free(h->entries);
        h->entries = n;
        h->n_buckets = n_buckets;
        h->n_tombstones = 0;
        return 0;
}

int hashmap_put(Hashmap *h, const char *key, void *value) {
        size_t hash = hash_string(key);
        if (find(h, key, hash))
                return -EEXIST;
        if ((h->n_items + h->n_tombstones + 1) * 10 > h->n_buckets * 7) {
                size_t want = h->n_buckets ? h->n_buckets : MIN_BUCKETS;
                while ((h->n_items + 1) * 10 > want * 5)
                        want *= 2;
                int r = resize(h, want);
                if (r < 0)
                        return r;
        }
        size_t mask = h->n_buckets - 1, i = hash & mask;
        while (live(&h->entries[i]))
                i = (i + 1) & mask;
        if (h->entries[i].key == TOMBSTONE)
                h->n_tombstones--;
        h->entries[i] = (Entry){ .key = key, .value = value, .hash = hash };
        h->n_items++;
        return 0;
}

void *hashmap_get(const Hashmap *h, const char *key) {
        if (!h || !key)
                return NULL;
        Entry *e = find(h, key, hash_string(key));
        return e ? e->value : NULL;
}

void *hashmap_remove(Hashmap *h, const char *key) {
        if (!h || !key)
                return NULL;
        Entry *e = find(h, key, hash_string(key));
        if (!e)
                return NULL;
        void *v = e->value;
        *e = (Entry){ .key = TOMBSTONE };
        h->n_items--;
        h->n_tombstones++;
        return v;
}

bool hashmap_iterate(const Hashmap *h, size_t *i, void **ret_value, const char **ret_key) {
        if (!h)
                return false;
        for (; *i < h->n_buckets; (*i)++)
                if (live(&h->entries[*i])) {
                        if (ret_value)
                                *ret_value = h->entries[*i].value;
                        if (ret_key)
                                *ret_key = h->entries[*i].key;
                        (*i)++;
                        return true;
                }
        return false;
}

typedef struct KeyValue {
        const char *key;
        void *value;
} KeyValue;

static int cmp_kv(const void *a, const void *b) {
        return strcmp(((const KeyValue *) a)->key, ((const KeyValue *) b)->key);
}

int hashmap_sorted_values(const Hashmap *h, void ***ret, size_t *ret_n) {
        size_t n = hashmap_size(h), k = 0, i = 0;
        const char *key;
        void *value;

        *ret = NULL;
        *ret_n = 0;
        if (n == 0)
                return 0;
        _cleanup_free_ KeyValue *kv = malloc(n * sizeof(KeyValue));
        void **v = malloc(n * sizeof(void *));
        if (!kv || !v) {
                free(v);
                return -ENOMEM;
        }
        while (hashmap_iterate(h, &i, &value, &key))
                kv[k++] = (KeyValue){ key, value };
        qsort(kv, n, sizeof(KeyValue), cmp_kv);
        for (size_t j = 0; j < n; j++)
                v[j] = kv[j].value;
        *ret = v;
        *ret_n = n;
        return 0;
}
