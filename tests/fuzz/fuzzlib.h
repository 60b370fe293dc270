/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the fuzz targets share. A target must be deterministic, touch no network, and write
 * only under its private folder. Any failed invariant calls FUZZ_CHECK, which aborts: to
 * libFuzzer that is a crash, saved as a reproducer. */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(expr)                                                                        \
        do {                                                                                    \
                if (!(expr)) {                                                                  \
                        fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #expr); \
                        abort();                                                                \
                }                                                                               \
        } while (0)

/* The input as a NUL-terminated string (embedded NULs cut it short, as they would cut a
 * file read with read_full_file). Owned; never NULL (aborts on OOM). */
char *fuzz_strndup(const uint8_t *data, size_t size);

/* A folder made once per process with mkdtemp under $TMPDIR (run-fuzzer.sh points TMPDIR
 * into the run's scratch folder) and removed at exit. Borrowed. */
const char *fuzz_private_dir(void);

/* When running as root: makes the private folder, then drops to user nobody for good, so
 * that no input can make the target write outside what nobody may write. Aborts if it
 * cannot. A no-op for other users. Call from LLVMFuzzerInitialize. */
void fuzz_drop_privileges(void);
