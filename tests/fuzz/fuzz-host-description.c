/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Host descriptions (docs/host-description.md): the JSON that fakeroot_build turns into a
 * sysfs/proc tree, as `accelnetd --simulate=HOST.json` and accelnet-prereq --host read it.
 * Each input is built into a fresh root under the private folder; nothing may appear
 * beside that root. As root the target runs as user nobody (fuzzlib.h).
 *
 * "dump" names are looked up in tests/fuzz/dumps (copies and excerpts of the real dumps in
 * tests/fixtures/real). An input naming a dump by an absolute path or through ".."
 * would read whatever the machine holds there, so it is skipped: the run stays
 * deterministic. */
#include <dirent.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzzlib.h"
#include "shared/fileio.h"
#include "shared/macro.h"
#include "sim/fakeroot.h"

static char *root;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        fuzz_drop_privileges();
        FUZZ_CHECK(asprintf(&root, "%s/root", fuzz_private_dir()) >= 0);
        return 0;
}

static bool dumps_local(const json_t *j) {
        const char *key;
        json_t *v;
        size_t i;

        if (json_is_object(j)) {
                json_object_foreach((json_t *) j, key, v) {
                        if (streq(key, "dump") && json_is_string(v) &&
                            (json_string_value(v)[0] == '/' || strstr(json_string_value(v), "..")))
                                return false;
                        if (!dumps_local(v))
                                return false;
                }
        } else if (json_is_array(j))
                json_array_foreach(j, i, v)
                        if (!dumps_local(v))
                                return false;
        return true;
}

/* The private folder holds the root and nothing else. */
static void check_confined(void) {
        _cleanup_(closedirp) DIR *d = opendir(fuzz_private_dir());
        struct dirent *de;

        FUZZ_CHECK(d);
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, "..") || streq(de->d_name, "root"))
                        continue;
                fprintf(stderr, "fakeroot_build wrote %s beside its root\n", de->d_name);
                FUZZ_CHECK(false);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        FakeRootOptions opts = { .dump_dir = FUZZ_DUMP_DIR };
        _cleanup_free_ char *error = NULL;
        json_error_t err;
        json_t *j;
        int r;

        /* What fakeroot_build_file does before building. */
        j = json_loadb((const char *) data, size, JSON_REJECT_DUPLICATES, &err);
        if (!j)
                return 0;
        if (!dumps_local(j)) {
                json_decref(j);
                return -1; /* not added to the corpus */
        }

        FUZZ_CHECK(rm_rf(root) == 0);
        FUZZ_CHECK(mkdir(root, 0755) == 0);
        r = fakeroot_build(root, j, &opts, &error);
        json_decref(j);
        FUZZ_CHECK(r <= 0);
        if (r == -EINVAL && !error)
                fprintf(stderr, "fakeroot_build: -EINVAL without a message\n");
        FUZZ_CHECK(r != -EINVAL || error);
        check_confined();
        FUZZ_CHECK(rm_rf(root) == 0);
        return 0;
}
