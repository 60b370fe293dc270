/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A minimal test harness: one binary per file, TEST(name) functions registered with
 * RUN(name) from main. A failed check prints file:line and the values and marks the test
 * failed; main returns non-zero if any test failed. */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/macro.h"

extern int test_failures;
extern const char *test_current;

#define TEST(name) static void test_##name(void)
#define RUN(name)                                                           \
        do {                                                                \
                int _before = test_failures;                                \
                test_current = #name;                                       \
                test_##name();                                              \
                printf("%s %s\n", test_failures == _before ? "ok  " : "FAIL", #name); \
        } while (0)
#define TEST_MAIN_END() (test_failures ? (fprintf(stderr, "%d check(s) failed\n", test_failures), 1) : 0)

#define CHECK(expr)                                                                      \
        do {                                                                             \
                if (!(expr)) {                                                           \
                        fprintf(stderr, "%s:%d: [%s] check failed: %s\n", __FILE__, __LINE__, \
                                test_current, #expr);                                    \
                        test_failures++;                                                 \
                }                                                                        \
        } while (0)

#define CHECK_INT(a, b)                                                                  \
        do {                                                                             \
                long long _a = (long long) (a), _b = (long long) (b);                    \
                if (_a != _b) {                                                          \
                        fprintf(stderr, "%s:%d: [%s] %s == %lld, expected %s == %lld\n", \
                                __FILE__, __LINE__, test_current, #a, _a, #b, _b);       \
                        test_failures++;                                                 \
                }                                                                        \
        } while (0)

#define CHECK_STR(a, b)                                                                  \
        do {                                                                             \
                const char *_a = (a), *_b = (b);                                         \
                if (!_a || !_b || strcmp(_a, _b) != 0) {                                 \
                        fprintf(stderr, "%s:%d: [%s] %s == \"%s\", expected \"%s\"\n",   \
                                __FILE__, __LINE__, test_current, #a, _a ? _a : "(null)", \
                                _b ? _b : "(null)");                                     \
                        test_failures++;                                                 \
                }                                                                        \
        } while (0)

#define CHECK_CONTAINS(hay, needle)                                                      \
        do {                                                                             \
                const char *_h = (hay), *_n = (needle);                                  \
                if (!_h || !strstr(_h, _n)) {                                            \
                        fprintf(stderr, "%s:%d: [%s] \"%s\" does not contain \"%s\"\n",  \
                                __FILE__, __LINE__, test_current, _h ? _h : "(null)", _n); \
                        test_failures++;                                                 \
                }                                                                        \
        } while (0)

#define ASSERT(expr)                                                                     \
        do {                                                                             \
                if (!(expr)) {                                                           \
                        fprintf(stderr, "%s:%d: [%s] fatal: %s\n", __FILE__, __LINE__,   \
                                test_current, #expr);                                    \
                        test_failures++;                                                 \
                        return;                                                          \
                }                                                                        \
        } while (0)

/* Fresh empty directory under $TMPDIR; removed by test_tmpdir_cleanup. */
char *test_tmpdir(void);
void test_tmpdir_cleanup(char *dir);
/* The real fixtures beside the project: ../shared/fixtures/real. */
const char *test_fixtures_dir(void);
