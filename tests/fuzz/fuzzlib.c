/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "fuzzlib.h"
#include "shared/fileio.h"
#include "shared/macro.h"

static char *private_dir;

char *fuzz_strndup(const uint8_t *data, size_t size) {
        /* Not strndup: the input is not NUL-terminated (ASan's strict_string_checks). */
        const uint8_t *nul = memchr(data, 0, size);
        size_t n = nul ? (size_t) (nul - data) : size;
        char *s = malloc(n + 1);

        FUZZ_CHECK(s);
        memcpy(s, data, n);
        s[n] = 0;
        return s;
}

static void remove_private_dir(void) {
        if (private_dir)
                (void) rm_rf(private_dir);
        private_dir = mfree(private_dir);
}

const char *fuzz_private_dir(void) {
        const char *t;

        if (private_dir)
                return private_dir;
        t = getenv("TMPDIR");
        FUZZ_CHECK(asprintf(&private_dir, "%s/accelnet-fuzz-XXXXXX", t && *t ? t : "/tmp") >= 0);
        FUZZ_CHECK(mkdtemp(private_dir));
        FUZZ_CHECK(atexit(remove_private_dir) == 0);
        return private_dir;
}

void fuzz_drop_privileges(void) {
        const struct passwd *pw;
        const char *dir;

        if (geteuid() != 0)
                return;
        pw = getpwnam("nobody");
        FUZZ_CHECK(pw);
        dir = fuzz_private_dir();
        FUZZ_CHECK(chown(dir, pw->pw_uid, pw->pw_gid) == 0);
        FUZZ_CHECK(setgroups(0, NULL) == 0);
        FUZZ_CHECK(setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == 0);
        FUZZ_CHECK(setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == 0);
        FUZZ_CHECK(geteuid() == pw->pw_uid && setuid(0) < 0);
        fprintf(stderr, "fuzz: running as user nobody (uid %u) in %s\n", (unsigned) pw->pw_uid, dir);
}
