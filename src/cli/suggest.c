/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "suggest.h"

size_t edit_distance(const char *a, const char *b) {
        size_t n = strlen(a), m = strlen(b);
        if (n > SUGGEST_WORD_MAX || m > SUGGEST_WORD_MAX)
                return SIZE_MAX;

        /* d[i][j]: the distance of a's first i and b's first j characters */
        size_t d[SUGGEST_WORD_MAX + 1][SUGGEST_WORD_MAX + 1];
        for (size_t i = 0; i <= n; i++)
                d[i][0] = i;
        for (size_t j = 0; j <= m; j++)
                d[0][j] = j;
        for (size_t i = 1; i <= n; i++)
                for (size_t j = 1; j <= m; j++) {
                        int ca = tolower((unsigned char) a[i - 1]), cb = tolower((unsigned char) b[j - 1]);
                        size_t v = d[i - 1][j - 1] + (ca != cb);
                        if (d[i - 1][j] + 1 < v)
                                v = d[i - 1][j] + 1;
                        if (d[i][j - 1] + 1 < v)
                                v = d[i][j - 1] + 1;
                        if (i > 1 && j > 1 && ca == tolower((unsigned char) b[j - 2]) &&
                            tolower((unsigned char) a[i - 2]) == cb && d[i - 2][j - 2] + 1 < v)
                                v = d[i - 2][j - 2] + 1;
                        d[i][j] = v;
                }
        return d[n][m];
}

const char *suggest_closest(const char *word, const char *const *choices) {
        if (!word || !choices)
                return NULL;
        size_t len = strlen(word);
        size_t limit = len <= 4 ? 1 : 2;
        if (limit >= len)
                limit = len > 0 ? len - 1 : 0;

        const char *best = NULL;
        size_t best_d = SIZE_MAX;
        bool tie = false;
        for (const char *const *c = choices; *c; c++) {
                size_t d = edit_distance(word, *c);
                if (d < best_d) {
                        best = *c;
                        best_d = d;
                        tie = false;
                } else if (d == best_d)
                        tie = true;
        }
        if (!best || best_d > limit || tie || strcmp(word, best) == 0)
                return NULL;
        return best;
}
