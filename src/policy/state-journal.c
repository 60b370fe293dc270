/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* STATE_DIR/state.journal: the changes since state.json was last written whole, one line
 * each, appended with one write(2) per save. A save of the daemon is then an append (tens of
 * microseconds) instead of a new file renamed over state.json (on ext4 under churn 0.5-2.7 ms:
 * a fresh inode searched past the recently deleted ones, writeback forced by the rename);
 * state.json is rewritten and the journal emptied every STATE_JOURNAL_MAX_LINES lines, at
 * start and at exit. Replaying is idempotent: every line carries a whole record, so a
 * journal replayed over the state.json it was already folded into gives the same state. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "policy/jsonutil.h"
#include "policy/state-internal.h"
#include "shared/fileio.h"
#include "shared/macro.h"

#define STATE_JOURNAL_MAX (64u * 1024u * 1024u)

struct StateJournal {
        int fd;
        char *path, *dir;
        uint64_t room;    /* bytes the folder must keep free: a state.json written whole */
        size_t lines;
        bool broken;      /* an append failed part-way: only a compaction may write again */
};

int state_journal_open(const char *state_dir, StateJournal **ret) {
        _cleanup_free_ char *path = path_join(state_dir, STATE_JOURNAL_FILE);
        StateJournal *j;
        int r;

        if (!path)
                return -ENOMEM;
        r = mkdir_p(state_dir, 0755);
        if (r < 0)
                return r;
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        j = calloc(1, sizeof *j);
        if (!j) {
                close(fd);
                return -ENOMEM;
        }
        j->fd = fd;
        j->path = TAKE_PTR(path);
        j->dir = strdup(state_dir);
        if (!j->dir) {
                state_journal_free(j);
                return -ENOMEM;
        }
        j->room = 4096u;
        /* Whatever it holds was replayed at load; the count starts from there. */
        struct stat st;
        j->lines = fstat(fd, &st) >= 0 && st.st_size > 0 ? 1 : 0;
        *ret = j;
        return 0;
}

StateJournal *state_journal_free(StateJournal *j) {
        if (!j)
                return NULL;
        if (j->fd >= 0)
                close(j->fd);
        free(j->path);
        free(j->dir);
        free(j);
        return NULL;
}

size_t state_journal_lines(const StateJournal *j) {
        return j ? j->lines : 0;
}

bool state_journal_broken(const StateJournal *j) {
        return !j || j->broken;
}

int state_journal_append(StateJournal *j, const Assignment *const *upserts, size_t n_upserts, const char *const *drops,
                         size_t n_drops, const State *plan, const State *waiting, const State *servicing) {
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r;

        if (!j || j->broken)
                return -EBADF;
        /* A change is accepted only where state.json could still be written whole later: an
         * append through the open file would land in a read-only folder, or in the last page
         * of a full one, and the journal could never be folded in. */
        struct statvfs sv;
        if (statvfs(j->dir, &sv) >= 0) {
                if (sv.f_flag & ST_RDONLY)
                        return -EROFS;
                if ((uint64_t) sv.f_bavail * sv.f_frsize < j->room)
                        return -ENOSPC;
        }
        if (n_upserts + n_drops == 0 && !plan && !waiting && !servicing)
                return 0;
        r = state_journal_format(upserts, n_upserts, drops, n_drops, plan, waiting, servicing, &text, &len);
        if (r < 0)
                return r;
        /* One write: the lines land whole or, on a crash in the middle, as a cut last line
         * that replay ignores. */
        for (size_t done = 0; done < len;) {
                ssize_t k = write(j->fd, text + done, len - done);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        if (done > 0)
                                j->broken = true;
                        return r;
                }
                done += (size_t) k;
        }
        j->lines += n_upserts + n_drops + (plan ? 1 : 0) + (waiting ? 1 : 0) + (servicing ? 1 : 0);
        return 0;
}

int state_journal_sync(StateJournal *j) {
        if (!j)
                return 0;
        return fdatasync(j->fd) < 0 ? -errno : 0;
}

int state_compact(const char *state_dir, const State *s, StateJournal *j, bool durable) {
        int r = state_save_full(state_dir, s, durable);
        if (r < 0)
                return r;
        if (j) {
                struct stat st;
                _cleanup_free_ char *path = path_join(state_dir, STATE_FILE);
                if (path && stat(path, &st) >= 0)
                        j->room = (uint64_t) st.st_size + 4096u;
                /* state.json has it all now: the journal starts again empty. */
                if (ftruncate(j->fd, 0) < 0)
                        return -errno;
                j->lines = 0;
                j->broken = false;
        }
        return 0;
}

static int upsert(State *s, Assignment *a) {
        Assignment *old = state_find_vm(s, a->vm);
        if (old) {
                assignment_done(old);
                *old = *a;
                *a = (Assignment){};
                return 0;
        }
        if (!state_add_vm(s, a))
                return -ENOMEM;
        assignment_done(a);
        return 0;
}

/* One line; -EBADMSG with *reason when it is not one of ours. */
static int apply_line(State *s, const char *line, size_t len, size_t no, char **reason) {
        json_auto_t *j = NULL;
        json_t *v;
        int r;

        r = jcheck_parse(line, len, &j, reason);
        if (r < 0)
                return r;
        if (!json_is_object(j) || json_object_size(j) != 1)
                return jcheck_problem(reason, NULL, "line %zu is not one change", no);
        if ((v = json_object_get(j, "vm"))) {
                char f[JCHECK_FIELD_MAX];
                Assignment a = {};
                snprintf(f, sizeof f, "line %zu: vm", no);
                r = state_parse_assignment(v, f, &a, reason);
                if (r >= 0)
                        r = upsert(s, &a);
                assignment_done(&a);
                return r;
        }
        if ((v = json_object_get(j, "drop"))) {
                if (!json_is_string(v))
                        return jcheck_problem(reason, NULL, "line %zu: drop must be a VM name", no);
                state_remove_vm(s, json_string_value(v));
                return 0;
        }
        if ((v = json_object_get(j, "plan"))) {
                State p = { .intent = NULL };
                r = state_parse_plan(v, &p, reason);
                if (r < 0) {
                        free(p.intent);
                        free(p.pfs);
                        return r;
                }
                free(s->intent);
                free(s->pfs);
                s->enabled = p.enabled;
                s->intent = p.intent;
                s->node_reserve = p.node_reserve;
                s->pfs = p.pfs;
                s->n_pfs = p.n_pfs;
                return 0;
        }
        if ((v = json_object_get(j, "waiting"))) {
                char f[JCHECK_FIELD_MAX];
                snprintf(f, sizeof f, "line %zu: waiting", no);
                return state_parse_waiting(v, f, s, reason);
        }
        if ((v = json_object_get(j, "servicing"))) {
                char f[JCHECK_FIELD_MAX];
                snprintf(f, sizeof f, "line %zu: servicing", no);
                return state_parse_servicing(v, f, s, reason);
        }
        return jcheck_problem(reason, NULL, "line %zu is not a change accelnetd writes", no);
}

int state_journal_replay(const char *state_dir, State *s, char **ret_note) {
        _cleanup_free_ char *path = path_join(state_dir, STATE_JOURNAL_FILE);
        _cleanup_free_ char *text = NULL, *reason = NULL, *aside = NULL;
        size_t size = 0, no = 0;
        int r;

        *ret_note = NULL;
        if (!path)
                return -ENOMEM;
        r = jcheck_read_file(path, STATE_JOURNAL_MAX, &text, &size, &reason);
        if (r == -ENOENT)
                return 0;
        if (r == -EBADMSG || r == -ELOOP || r == -EISDIR || r == -EFBIG)
                goto aside;
        if (r < 0)
                return r;
        for (size_t at = 0; at < size;) {
                const char *nl = memchr(text + at, '\n', size - at);
                if (!nl)
                        break; /* cut short by a crash in the middle of an append: never acted on */
                size_t len = (size_t) (nl - (text + at));
                no++;
                if (len > 0) {
                        r = apply_line(s, text + at, len, no, &reason);
                        if (r == -EBADMSG)
                                goto aside;
                        if (r < 0)
                                return r;
                }
                at += len + 1;
        }
        r = state_check_unique(s, &reason);
        if (r == -EBADMSG)
                goto aside;
        return r;

aside:
        r = state_move_aside(path, "corrupt", &aside);
        if (r < 0)
                return r;
        if (asprintf(ret_note, "%s is not usable after line %zu: %s; moved it to %s and kept what came before", path,
                     no, strempty(reason), aside) < 0)
                return -ENOMEM;
        return 0;
}
