/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* accelnetctl's command line, parsed into plain data without touching the bus, so that
 * every usage error is found (and tested) before anything is sent. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "shared/macro.h"

/* Exit statuses. */
#define CLI_EXIT_SUCCESS 0
#define CLI_EXIT_FAILURE 1 /* the daemon said no, the bus failed, or some VMs failed */
#define CLI_EXIT_USAGE 2   /* bad command line: nothing was sent */
#define CLI_EXIT_CHECK_FAILED 3 /* prereq: a prerequisite check failed */

#define CLI_NODE_RESERVE_DEFAULT 50u
#define CLI_NODE_RESERVE_MAX 99u
/* The "keep the current value" markers of Manager.Set. */
#define CLI_SET_KEEP_INTENT ""
#define CLI_SET_KEEP_RESERVE UINT32_MAX
/* VM names on one command line; the daemon has its own limit too. */
#define CLI_VMS_MAX 4096

typedef enum Verb {
        VERB_STATUS,
        VERB_PREREQ,
        VERB_ENABLE,
        VERB_SET,
        VERB_DISABLE,
        VERB_ADAPTERS,
        VERB_INTENTS,
        VERB_VM_ENABLE,
        VERB_VM_SET,
        VERB_VM_DISABLE,
        VERB_VM_LIST,
        VERB_CLUSTER_STATUS,
        VERB_CLUSTER_NODES,
        /* planned servicing */
        VERB_ADAPTER_DRAIN,
        VERB_ADAPTER_RESTORE,
        VERB_VM_REVOKE,
        VERB_VM_RESTORE,
        VERB_HEALTH,             /* health.c */
        VERB_MONITOR,            /* monitor.c */
        /* views.c */
        VERB_VM_SHOW,
        VERB_VM_CHECK,
        VERB_VF_LIST,
        _VERB_MAX,
        _VERB_INVALID = -22,
} Verb;

typedef enum CliAction {
        CLI_ACTION_RUN,
        CLI_ACTION_HELP,    /* print cli_help_text(verb, group) */
        CLI_ACTION_VERSION, /* print PACKAGE_VERSION */
} CliAction;

typedef enum VmFilter {
        VM_FILTER_ALL,
        VM_FILTER_ENABLED,
        VM_FILTER_DISABLED,
} VmFilter;

typedef enum JsonMode {
        JSON_MODE_OFF,
        JSON_MODE_PRETTY, /* --json, --json=pretty: indented */
        JSON_MODE_SHORT,  /* --json=short: one line */
} JsonMode;

typedef struct CliArgs {
        CliAction action;
        Verb verb;              /* _VERB_INVALID with CLI_ACTION_HELP: the general help */
        const char *group;      /* "accelnetctl vm --help": "vm", help for the vm verbs (static) */
        const char *adapter;    /* adapter drain|restore, vf list: the PF (netdev name or PCI address),
                                 * borrowed; NULL for vf list without one */

        JsonMode json;
        bool legend;            /* header rows and footers; --no-legend clears it */
        bool ask_password;      /* allow interactive polkit authorization; --no-ask-password */

        const char *intent;     /* --intent, borrowed from argv; NULL when not given */
        bool have_node_reserve;
        uint32_t node_reserve;  /* --node-reserve, 0..99 (have_node_reserve); absent: the daemon default */
        const char *performance; /* --performance as tier_to_string() spells it (static); NULL */
        VmFilter filter;        /* vm list --enabled/--disabled */
        bool failed_only;       /* prereq --failed: only the Failed and Warning rows */
        bool all_eligible;      /* vm enable --all-eligible: every disabled VM that passes the checks */

        const char **vms;       /* VM names, array owned, strings borrowed from argv or names_buf */
        size_t n_vms;
        char *names_buf;        /* owned: the names read from stdin for "-" (cli_args_read_names) */
} CliArgs;

/* Parses argv (argv[0] is the program). Returns 0 and fills *ret (release it with
 * cli_args_done), or -EINVAL for a usage error / -ENOMEM, and then *ret_error is a
 * message naming the bad value (owned by the caller, no "accelnetctl: " prefix) and
 * *ret is untouched. */
int cli_args_parse(int argc, char *const *argv, CliArgs *ret, char **ret_error);
void cli_args_done(CliArgs *a);

/* "-" among the VM names: replaces it with the names read from in, one a line (blank lines
 * and the spaces around a name ignored). 0, or -EINVAL/-ENOMEM/-EIO with *ret_error (owned). */
int cli_args_read_names(CliArgs *a, FILE *in, char **ret_error);

/* The group's name (static) if word names one ("vm", "adapter", "cluster"), else NULL. */
const char *verb_group_find(const char *word);

/* The help to point at after a usage error: "accelnetctl vm enable --help" when argv names a
 * verb, "accelnetctl vm --help" for a group, else "accelnetctl --help". Owned; NULL on OOM. */
char *cli_usage_hint(int argc, char *const *argv);
/* The --json mode argv asks for (its last --json before "--"), also when argv has errors. */
JsonMode cli_args_json_mode(int argc, char *const *argv);

/* "vm enable", "cluster nodes" etc. */
const char *verb_to_string(Verb v);
/* group: NULL, "vm", "adapter", "cluster" or "vf". */
Verb verb_from_string(const char *group, const char *name);
/* Whether the verb changes state (polkit, long timeout). */
bool verb_is_mutating(Verb v);

/* The tier's name as tier_to_string() spells it (the form sent on the bus) for a
 * case-insensitive tier name, NULL otherwise. */
const char *performance_canonical(const char *s);
/* Strict decimal 0..99 (no sign, no spaces, no suffix). 0 or -EINVAL/-ERANGE. */
int node_reserve_parse(const char *s, uint32_t *ret);

/* Help text: the general help when verb is _VERB_INVALID and group is NULL, the help of a
 * group's verbs with group ("vm", "adapter", "cluster"), otherwise one verb's syntax and
 * description.
 * Owned, NULL on OOM. */
char *cli_help_text(Verb verb, const char *group);
