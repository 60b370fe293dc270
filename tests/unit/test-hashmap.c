/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "shared/hashmap.h"
#include "testlib.h"

TEST(put_get_remove) {
        _cleanup_(hashmap_freep) Hashmap *h = hashmap_new();
        int a = 1, b = 2;
        ASSERT(h);
        CHECK(hashmap_get(h, "web1") == NULL);
        CHECK(hashmap_remove(h, "web1") == NULL);
        CHECK_INT(hashmap_put(h, "web1", &a), 0);
        CHECK_INT(hashmap_put(h, "web1", &b), -EEXIST);
        CHECK(hashmap_get(h, "web1") == &a);
        CHECK_INT(hashmap_put(h, "web2", &b), 0);
        CHECK_INT(hashmap_size(h), 2);
        CHECK(hashmap_remove(h, "web1") == &a);
        CHECK(hashmap_get(h, "web1") == NULL);
        CHECK(hashmap_get(h, "web2") == &b);
        CHECK_INT(hashmap_size(h), 1);
        CHECK(hashmap_get(h, NULL) == NULL);
}

/* Many keys, removals interleaved (tombstones), every key found exactly as inserted. */
TEST(many) {
        enum { N = 5000 };
        _cleanup_(hashmap_freep) Hashmap *h = hashmap_new();
        static char keys[N][16];
        ASSERT(h);
        for (int round = 0; round < 3; round++) {
                for (int i = 0; i < N; i++) {
                        snprintf(keys[i], sizeof keys[i], "vm-%d", i);
                        CHECK_INT(hashmap_put(h, keys[i], keys[i]), 0);
                }
                CHECK_INT(hashmap_size(h), N);
                for (int i = 0; i < N; i += 2)
                        CHECK(hashmap_remove(h, keys[i]) == keys[i]);
                for (int i = 0; i < N; i++)
                        CHECK(hashmap_get(h, keys[i]) == (i % 2 ? keys[i] : NULL));
                size_t seen = 0, it = 0;
                void *v;
                const char *k;
                while (hashmap_iterate(h, &it, &v, &k)) {
                        CHECK(v == k);
                        seen++;
                }
                CHECK_INT(seen, N / 2);
                for (int i = 1; i < N; i += 2)
                        CHECK(hashmap_remove(h, keys[i]) == keys[i]);
                CHECK_INT(hashmap_size(h), 0);
        }
}

TEST(sorted) {
        _cleanup_(hashmap_freep) Hashmap *h = hashmap_new();
        const char *names[] = { "db1", "web2", "batch", "web1", "a" };
        void **v = NULL;
        size_t n = 0;
        ASSERT(h);
        CHECK_INT(hashmap_sorted_values(h, &v, &n), 0);
        CHECK(v == NULL && n == 0);
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                CHECK_INT(hashmap_put(h, names[i], (void *) names[i]), 0);
        CHECK_INT(hashmap_sorted_values(h, &v, &n), 0);
        ASSERT(n == 5);
        CHECK_STR(v[0], "a");
        CHECK_STR(v[1], "batch");
        CHECK_STR(v[2], "db1");
        CHECK_STR(v[3], "web1");
        CHECK_STR(v[4], "web2");
        free(v);
}

int main(void) {
        RUN(put_get_remove);
        RUN(many);
        RUN(sorted);
        return TEST_MAIN_END();
}
