/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* "Did you mean ...?": the closest of some choices to a mistyped word, by edit distance. */

#include <stddef.h>

/* The optimal string alignment distance of a and b (insertions, deletions, substitutions
 * and transpositions of neighbours each count 1), ASCII case ignored. Words longer than
 * SUGGEST_WORD_MAX count as far from everything (SIZE_MAX). */
#define SUGGEST_WORD_MAX 64
size_t edit_distance(const char *a, const char *b);

/* The choice closest to word if it is close enough to be a typo (distance 1 for words of up
 * to 4 characters, else 2, and less than the word's length) and no other choice is as close;
 * NULL otherwise. choices is NULL-terminated. Borrowed from choices. */
const char *suggest_closest(const char *word, const char *const *choices);
