/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "shared/fileio.h"
#include "testlib.h"

int test_failures = 0;
const char *test_current = "";

char *test_tmpdir(void) {
        const char *t = getenv("TMPDIR");
        char *p;
        if (asprintf(&p, "%s/accelnet-test-XXXXXX", t ? t : "/tmp") < 0)
                abort();
        if (!mkdtemp(p))
                abort();
        return p;
}

void test_tmpdir_cleanup(char *dir) {
        if (!dir)
                return;
        if (!getenv("ACCELNET_KEEP_TMP"))
                (void) rm_rf(dir);
        free(dir);
}

const char *test_fixtures_dir(void) {
        const char *e = getenv("ACCELNET_FIXTURES_DIR");
        return e ? e : ACCELNET_FIXTURES_DIR;
}
