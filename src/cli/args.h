/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* accelnetctl's command line, parsed into plain data without touching the bus, so that
 * every usage error is found (and tested) before anything is sent. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/macro.h"

/* Exit statuses. */
#define CLI_EXIT_SUCCESS 0
#define CLI_EXIT_FAILURE 1 /* the daemon said no, the bus failed, or some VMs failed */
#define CLI_EXIT_USAGE 2   /* bad command line: nothing was sent */

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
        uint32_t node_reserve;  /* --node-reserve, 0..99; CLI_NODE_RESERVE_DEFAULT for enable */
        const char *performance; /* --performance as tier_to_string() spells it (static); NULL */
        VmFilter filter;        /* vm list --enabled/--disabled */

        const char **vms;       /* VM names, array owned, strings borrowed from argv */
        size_t n_vms;
} CliArgs;

/* Parses argv (argv[0] is the program). Returns 0 and fills *ret (release it with
 * cli_args_done), or -EINVAL for a usage error / -ENOMEM, and then *ret_error is a
 * message naming the bad value (owned by the caller, no "accelnetctl: " prefix) and
 * *ret is untouched. */
int cli_args_parse(int argc, char *const *argv, CliArgs *ret, char **ret_error);
void cli_args_done(CliArgs *a);

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
