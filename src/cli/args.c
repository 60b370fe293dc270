/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "shared/strutil.h"
#include "shared/tier.h"
#include "suggest.h"
#include "table.h"

/* Options that only some verbs take. */
typedef enum VerbOption {
        VOPT_INTENT = 1u << 0,
        VOPT_NODE_RESERVE = 1u << 1,
        VOPT_PERFORMANCE = 1u << 2,
        VOPT_FILTER = 1u << 3,
        VOPT_FAILED = 1u << 4,
        VOPT_ALL_ELIGIBLE = 1u << 5,
} VerbOption;

typedef struct VerbInfo {
        const char *group; /* "vm", "adapter", "cluster" or NULL */
        const char *name;
        unsigned options;  /* VerbOption bits */
        size_t min_args, max_args; /* names after the verb: VMs, or the adapter (adapter) */
        bool mutating;
        const char *syntax; /* without " --performance TIERS", which verb_syntax() adds */
        const char *summary;
        const char *description;
} VerbInfo;

static const VerbInfo verb_table[_VERB_MAX] = {
        [VERB_STATUS] = { NULL, "status", 0, 0, 0, false, "status",
                "Show management state, reserve and VF counts",
                "Shows whether Accelerated Networking management is enabled, the intent, the node "
                "reserve, the host's hyperthreading state, the VF capacity (usable and assigned), "
                "the cluster the host is in (name, members, quorum) and the daemon's version. This "
                "is the default command." },
        [VERB_PREREQ] = { NULL, "prereq", VOPT_FAILED, 0, 0, false, "prereq [--failed]",
                "Check the host's prerequisites",
                "Runs the prerequisite checks (IOMMU, SR-IOV support of each adapter, ACS, PF "
                "driver, bus resources, hyperthreading, libvirt) and prints each result with its "
                "message and remedy. --failed shows only the checks that failed or warn. Exit "
                "status: 0 when every check passed (warnings allowed), 3 when a check failed, 1 "
                "when the report could not be had." },
        [VERB_ENABLE] = { NULL, "enable", VOPT_INTENT | VOPT_NODE_RESERVE, 0, 0, true,
                "enable --intent NAME [--node-reserve N]",
                "Enable management on an intent's adapters",
                "Enables Accelerated Networking management: provisions VFs on the supported "
                "adapters of intent NAME (which needs the compute type) and keeps N percent "
                "(0-99, default 50) of the capacity in reserve for VMs arriving by failover or "
                "migration. In a cluster the settings are the whole cluster's, N is the percentage "
                "of nodes that may be down at once, and a change needs quorum." },
        [VERB_SET] = { NULL, "set", VOPT_INTENT | VOPT_NODE_RESERVE, 0, 0, true,
                "set [--intent NAME] [--node-reserve N]",
                "Change the intent or the node reserve",
                "Changes the intent, the node reserve percentage (0-99), or both, while management "
                "is enabled. A value that is not given is kept. In a cluster the change is the "
                "whole cluster's and needs quorum." },
        [VERB_DISABLE] = { NULL, "disable", 0, 0, 0, true, "disable",
                "Disable management",
                "Disables Accelerated Networking management. The daemon stops tracking VFs; the "
                "VMs' configuration is left as it is." },
        [VERB_ADAPTERS] = { NULL, "adapters", 0, 0, 0, false, "adapters",
                "List the SR-IOV network adapters",
                "Lists the physical functions with their driver, SR-IOV support verdict and VF "
                "counts (total, enabled, assigned to VMs)." },
        [VERB_INTENTS] = { NULL, "intents", 0, 0, 0, false, "intents",
                "List the intents",
                "Lists the configured intents with their types and adapters." },
        [VERB_VM_ENABLE] = { "vm", "enable", VOPT_PERFORMANCE | VOPT_ALL_ELIGIBLE, 1, CLI_VMS_MAX, true,
                "vm enable VM...|--all-eligible",
                "Give VMs a VF with a performance tier",
                "Enables Accelerated Networking for each VM: assigns a VF of the intent, paired "
                "with the VM's virtio NIC, at the given performance tier. A VM name '-' reads "
                "the names from standard input, one a line. --all-eligible takes every VM that "
                "has it disabled and passes the static checks (a virtio NIC, enough vCPUs for "
                "the tier) and says which were skipped and why. With several VMs a table shows "
                "the result for each; the exit status is 1 if any failed." },
        [VERB_VM_SET] = { "vm", "set", VOPT_PERFORMANCE, 1, CLI_VMS_MAX, true,
                "vm set VM...",
                "Change VMs' performance tier",
                "Changes the performance tier of VMs that have Accelerated Networking enabled. "
                "A VM name '-' reads the names from standard input, one a line. With several "
                "VMs a table shows the result for each; the exit status is 1 if any failed." },
        [VERB_VM_DISABLE] = { "vm", "disable", 0, 1, CLI_VMS_MAX, true, "vm disable VM...",
                "Take the VFs away from VMs",
                "Disables Accelerated Networking for each VM and releases its VF; the VM keeps "
                "its virtio NIC. A VM name '-' reads the names from standard input. With several VMs a table shows the result for each; the exit "
                "status is 1 if any failed." },
        [VERB_VM_LIST] = { "vm", "list", VOPT_FILTER, 0, 0, false, "vm list [--enabled|--disabled]",
                "List VMs and their VFs",
                "Lists every VM with its Accelerated Networking state, performance tier, VF and "
                "a note (for example when a change applies at the next start). --enabled and "
                "--disabled show only the VMs in that state. In a cluster a NODE column names the "
                "node each VM is on." },
        [VERB_CLUSTER_STATUS] = { "cluster", "status", 0, 0, 0, false, "cluster status",
                "Show the cluster, its quorum, settings and VFs",
                "Shows the corosync cluster this host is in (or that it is a cluster of one), "
                "whether this node is in the quorate partition, the number of members N, the "
                "cluster-wide settings (enabled, intent, node reserve), how many nodes the reserve "
                "holds back for N (k = min(N - 1, ceil(N x reserve / 100))), and the VF capacity, "
                "usable and assigned VFs summed over the members." },
        [VERB_CLUSTER_NODES] = { "cluster", "nodes", 0, 0, 0, false, "cluster nodes",
                "List the cluster's nodes and their VFs",
                "Lists every node of the cluster with its id, name, state (member or lost), "
                "hyperthreading (HT), VF capacity, its share of the cluster's usable VFs and the "
                "VFs assigned on it; a note under a node says what it could not do. Without "
                "corosync the host is the only node (id 0)." },
        [VERB_ADAPTER_DRAIN] = { "adapter", "drain", 0, 1, 1, true, "adapter drain ADAPTER",
                "Revoke every VF of an adapter and keep new ones off it",
                "Planned servicing: takes the adapter (netdev name or PCI address) out of service. "
                "Each VF it has is revoked from its VM: the VF's link goes down (the guest's "
                "failover driver moves its traffic to the virtio NIC), the VF is unplugged and "
                "taken out of the VM's persistent config, and its own settings are restored. The "
                "VMs keep their setting and get a VF of another adapter of the intent when one is "
                "free, else they wait for one. No VF of the adapter is handed out until 'adapter "
                "restore'. On a terminal the progress is shown; the command returns when every "
                "VF is revoked. The drain is kept across restarts of accelnetd." },
        [VERB_ADAPTER_RESTORE] = { "adapter", "restore", 0, 1, 1, true, "adapter restore ADAPTER",
                "Put a drained adapter back in service",
                "Ends the drain of the adapter: its VFs are handed out again, and the VMs that wait "
                "for a VF (those the drain revoked among them) get one by the usual rules. Returns "
                "when they have it." },
        [VERB_VM_REVOKE] = { "vm", "revoke", 0, 1, 1, true, "vm revoke VM",
                "Take a VM's VF away, keeping its setting",
                "Revokes the VF of an accelerated VM as planned servicing does (link down, unplug, "
                "settings restored): the VM runs on its virtio NIC and keeps its setting "
                "(accelerated, its performance tier), but gets no VF until 'vm restore'. For testing "
                "an application against a revoke. 'vm list' shows it, with since when." },
        [VERB_VM_RESTORE] = { "vm", "restore", 0, 1, 1, true, "vm restore VM",
                "Give a revoked VM a VF again",
                "Ends the revoke of a VM: it gets a VF by the usual rules (or waits for one when "
                "none is free). Returns when it has it." },
        [VERB_HEALTH] = { NULL, "health", 0, 0, 0, false, "health",
                "Show each adapter's health",
                "Lists every SR-IOV adapter with its health: Healthy, Degraded or Failed, whether "
                "it is quarantined for flapping (no new VFs until its link is stable), and the "
                "reasons; under an adapter that is not healthy, since when and each reason's "
                "evidence and remedy. Failed and quarantined adapters take no new VFs; VMs keep "
                "the VFs they have. --json adds the counters (carrier changes, AER errors, "
                "recoveries) and the last events." },
        [VERB_MONITOR] = { NULL, "monitor", 0, 0, 0, false, "monitor",
                "Follow accelnetd's events as they happen",
                "Prints one line per event with its time: a VM's change (VMChanged), a changed "
                "property of the management (enabled, intent, reserve, VF counts), an adapter's "
                "health (HealthChanged), the progress of a drain (DrainProgress) and of "
                "provisioning (ProvisionProgress). With --json one JSON object per line. Runs "
                "until interrupted (SIGINT or SIGTERM: exit status 0)." },
        [VERB_VM_SHOW] = { "vm", "show", 0, 1, 1, false, "vm show VM",
                "Show a VM's VF, facts and why it has none",
                "Shows the VM's state, performance tier, VF and its adapter, node, power state, "
                "vCPUs, NUMA placement and note, then every check of admission for its tier (for a "
                "VM that is not accelerated: Low, the least demanding): management, its setting, "
                "the domain, vCPUs against the tier's minimum for the host's hyperthreading, the "
                "virtio NIC and its teaming (and whether a power cycle is needed for a VF to reach "
                "the guest), NUMA placement, free VFs, the adapters' health and its wait. Changes "
                "nothing." },
        [VERB_VM_CHECK] = { "vm", "check", VOPT_PERFORMANCE, 1, 1, false, "vm check VM",
                "Check whether a VM would get a VF with a tier",
                "Runs the checks of 'vm show' for the given performance tier, as 'vm enable' (or "
                "'vm set' for a VM that has a VF) would judge them, and prints each with its result "
                "and detail. Changes nothing. The exit status is 0 when no check failed, 1 "
                "otherwise." },
        [VERB_VF_LIST] = { "vf", "list", 0, 0, 1, false, "vf list [ADAPTER]",
                "List the VFs and their settings and counters",
                "Lists the VFs of every SR-IOV adapter, or of one (netdev name or PCI address), as "
                "the PF reports them: MAC, VLAN, spoof check, trust, transmit rate limits "
                "(min-max Mb/s), link state, the VM that holds it, and the traffic counters (bytes "
                "received and sent, packets dropped). --json adds the VF's PCI address, QoS, "
                "packets, broadcast and multicast." },
};

/* The words that group verbs, with what their help says about them. */
static const struct {
        const char *name, *summary;
} verb_groups[] = {
        { "vm", "Manage Accelerated Networking of VMs." },
        { "adapter", "Planned servicing of an SR-IOV adapter: drain it (its VFs revoked, the VMs on virtio or "
                     "moved) and restore it." },
        { "cluster", "Show the corosync cluster that accelnetd is part of (without corosync the host is a "
                     "cluster of one)." },
        { "vf", "Show the virtual functions (VFs) of the SR-IOV adapters." },
};

/* The group's name (static) if word names one, else NULL. */
const char *verb_group_find(const char *word) {
        for (size_t i = 0; i < ELEMENTSOF(verb_groups); i++)
                if (streq_ptr(verb_groups[i].name, word))
                        return verb_groups[i].name;
        return NULL;
}

/* The verbs of a group as a choice: "enable, set, disable or list". Owned, NULL on OOM. */
static char *group_choices(const char *group) {
        StrBuf b = {};
        size_t n = 0, k = 0;
        for (int v = 0; v < _VERB_MAX; v++)
                if (streq_ptr(verb_table[v].group, group))
                        n++;
        for (int v = 0; v < _VERB_MAX; v++)
                if (streq_ptr(verb_table[v].group, group)) {
                        k++;
                        strbuf_appendf(&b, "%s%s", k == 1 ? "" : k == n ? " or " : ", ", verb_table[v].name);
                }
        return strbuf_steal(&b);
}

/* getopt_long's values of the long options without a short form. */
enum {
        ARG_VERSION = 0x100,
        ARG_JSON,
        ARG_NO_LEGEND,
        ARG_NO_ASK_PASSWORD,
        ARG_INTENT,
        ARG_NODE_RESERVE,
        ARG_PERFORMANCE,
        ARG_ENABLED,
        ARG_DISABLED,
        ARG_FAILED,
        ARG_ALL_ELIGIBLE,
};

static const struct option options[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, ARG_VERSION },
        { "json", optional_argument, NULL, ARG_JSON }, /* the value only as --json=MODE */
        { "no-legend", no_argument, NULL, ARG_NO_LEGEND },
        { "no-ask-password", no_argument, NULL, ARG_NO_ASK_PASSWORD },
        { "intent", required_argument, NULL, ARG_INTENT },
        { "node-reserve", required_argument, NULL, ARG_NODE_RESERVE },
        { "performance", required_argument, NULL, ARG_PERFORMANCE },
        { "enabled", no_argument, NULL, ARG_ENABLED },
        { "disabled", no_argument, NULL, ARG_DISABLED },
        { "failed", no_argument, NULL, ARG_FAILED },
        { "all-eligible", no_argument, NULL, ARG_ALL_ELIGIBLE },
        {}
};

/* "-" returns the words that are not options in order (value 1), so that the verb is known
 * when its options come and nothing is reordered; ":" reports a missing value as ':' and
 * keeps getopt quiet: every message is ours. */
#define SHORT_OPTIONS "-:h"

/* The VerbOption an option belongs to; 0 for the global ones. */
static unsigned option_verb_bit(int val) {
        switch (val) {
        case ARG_INTENT:
                return VOPT_INTENT;
        case ARG_NODE_RESERVE:
                return VOPT_NODE_RESERVE;
        case ARG_PERFORMANCE:
                return VOPT_PERFORMANCE;
        case ARG_ENABLED:
        case ARG_DISABLED:
                return VOPT_FILTER;
        case ARG_FAILED:
                return VOPT_FAILED;
        case ARG_ALL_ELIGIBLE:
                return VOPT_ALL_ELIGIBLE;
        default:
                return 0;
        }
}

static const char *option_name(int val) {
        for (const struct option *o = options; o->name; o++)
                if (o->val == val)
                        return o->name;
        return "?";
}

const char *verb_to_string(Verb v) {
        static const char *const full[_VERB_MAX] = {
                [VERB_VM_ENABLE] = "vm enable",
                [VERB_VM_SET] = "vm set",
                [VERB_VM_DISABLE] = "vm disable",
                [VERB_VM_LIST] = "vm list",
                [VERB_CLUSTER_STATUS] = "cluster status",
                [VERB_CLUSTER_NODES] = "cluster nodes",
                [VERB_ADAPTER_DRAIN] = "adapter drain",
                [VERB_ADAPTER_RESTORE] = "adapter restore",
                [VERB_VM_REVOKE] = "vm revoke",
                [VERB_VM_RESTORE] = "vm restore",
                [VERB_VM_SHOW] = "vm show",
                [VERB_VM_CHECK] = "vm check",
                [VERB_VF_LIST] = "vf list",
        };
        if ((int) v < 0 || v >= _VERB_MAX)
                return NULL;
        return full[v] ? full[v] : verb_table[v].name;
}

Verb verb_from_string(const char *group, const char *name) {
        if (!name)
                return _VERB_INVALID;
        for (int v = 0; v < _VERB_MAX; v++)
                if (streq_ptr(verb_table[v].group, group) && streq(verb_table[v].name, name))
                        return (Verb) v;
        return _VERB_INVALID;
}

bool verb_is_mutating(Verb v) {
        return (int) v >= 0 && v < _VERB_MAX && verb_table[v].mutating;
}

const char *performance_canonical(const char *s) {
        Tier t = tier_from_string(s);
        return t < 0 ? NULL : tier_to_string(t);
}

/* The tier names as people type them (lower case), joined with sep and, before the last
 * one, with last: "low|medium|high", "low, medium or high". */
static void append_tiers(StrBuf *b, const char *sep, const char *last) {
        for (int t = 0; t < _TIER_MAX; t++) {
                strbuf_appendf(b, "%s", t == 0 ? "" : t == _TIER_MAX - 1 ? last : sep);
                for (const char *p = tier_to_string((Tier) t); *p; p++)
                        strbuf_appendf(b, "%c", tolower((unsigned char) *p));
        }
}

static char *tier_choices(const char *sep, const char *last) {
        StrBuf b = {};
        append_tiers(&b, sep, last);
        return strbuf_steal(&b);
}

/* The verb's synopsis: "vm enable VM... --performance low|medium|high". Owned. */
static char *verb_syntax(Verb v) {
        StrBuf b = {};
        strbuf_appendf(&b, "%s", verb_table[v].syntax);
        if (verb_table[v].options & VOPT_PERFORMANCE) {
                strbuf_appendf(&b, " --performance ");
                append_tiers(&b, "|", "|");
        }
        return strbuf_steal(&b);
}

int node_reserve_parse(const char *s, uint32_t *ret) {
        uint32_t v = 0;

        if (isempty(s))
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                v = v * 10 + (uint32_t) (*p - '0');
                if (v > 1000)
                        v = 1000; /* saturate: no overflow on long digit strings */
        }
        if (v > CLI_NODE_RESERVE_MAX)
                return -ERANGE;
        *ret = v;
        return 0;
}

static int fail(char **ret_error, const char *fmt, ...) _printf_(2, 3);
static int fail(char **ret_error, const char *fmt, ...) {
        va_list ap;
        char *s = NULL;

        va_start(ap, fmt);
        int n = vasprintf(&s, fmt, ap);
        va_end(ap);
        *ret_error = n < 0 ? NULL : s;
        return n < 0 ? -ENOMEM : -EINVAL;
}

void cli_args_done(CliArgs *a) {
        if (a) {
                a->vms = mfree(a->vms);
                a->names_buf = mfree(a->names_buf);
        }
}

/* Whether the words seen so far name a command, so that its options may follow:
 * "enable", "vm list", "help vm set". */
static bool command_complete(const char *const *pos, size_t n) {
        size_t p = 0;
        if (p < n && streq(pos[p], "help"))
                p++;
        if (p < n && verb_group_find(pos[p]))
                return n - p >= 2;
        return p < n;
}

/* The usage error for getopt_long's '?': word is the argument it was reading. */
static int fail_option(const char *word, char **ret_error) {
        if (strncmp(word, "--", 2) != 0) { /* a short option, maybe inside "-abc" */
                if (strlen(word) > 2)
                        return fail(ret_error,
                                    "Unknown option '-%c' in '%s' (a VM name that starts with '-' goes after '--').",
                                    optopt, word);
                return fail(ret_error, "Unknown option '-%c'.", optopt);
        }

        const char *eq = strchr(word, '=');
        size_t len = eq ? (size_t) (eq - word) : strlen(word);
        if (optopt != 0) /* a known long option that takes no value, given one */
                return fail(ret_error, "Option --%s takes no value (got '%s').", option_name(optopt),
                            eq ? eq + 1 : "");

        /* An unknown name, or a prefix of several. */
        StrBuf matches = {};
        size_t n = 0;
        for (const struct option *o = options; o->name; o++)
                if (len > 2 && strncmp(o->name, word + 2, len - 2) == 0)
                        strbuf_appendf(&matches, "%s--%s", n++ ? ", " : "", o->name);
        _cleanup_free_ char *list = strbuf_steal(&matches);
        if (n > 1)
                return fail(ret_error, "Ambiguous option '%.*s': %s?", (int) len, word, strempty(list));

        const char *names[ELEMENTSOF(options)] = {};
        for (size_t i = 0; options[i].name; i++)
                names[i] = options[i].name;
        _cleanup_free_ char *given = len > 2 ? strndup(word + 2, len - 2) : NULL;
        const char *close = suggest_closest(given, names);
        if (close)
                return fail(ret_error, "Unknown option '%.*s'. Did you mean '--%s'?", (int) len, word, close);
        return fail(ret_error, "Unknown option '%.*s'.", (int) len, word);
}

/* The closest verb of the group (NULL: the top-level verbs and the groups) to a mistyped word. */
static const char *suggest_verb(const char *group, const char *word) {
        const char *names[_VERB_MAX + ELEMENTSOF(verb_groups) + 2] = {};
        size_t n = 0;
        for (int v = 0; v < _VERB_MAX; v++)
                if (streq_ptr(verb_table[v].group, group))
                        names[n++] = verb_table[v].name;
        if (!group) {
                for (size_t g = 0; g < ELEMENTSOF(verb_groups); g++)
                        names[n++] = verb_groups[g].name;
                names[n++] = "help";
        }
        return suggest_closest(word, names);
}

/* The closest tier name, as people type it (lower case). */
static const char *suggest_tier(const char *word) {
        static char lower[_TIER_MAX][16];
        const char *names[_TIER_MAX + 1] = {};
        for (int t = 0; t < _TIER_MAX; t++) {
                const char *name = tier_to_string((Tier) t);
                size_t i = 0;
                for (; name[i] && i + 1 < sizeof lower[t]; i++)
                        lower[t][i] = (char) tolower((unsigned char) name[i]);
                lower[t][i] = '\0';
                names[t] = lower[t];
        }
        return suggest_closest(word, names);
}

int cli_args_parse(int argc, char *const *argv, CliArgs *ret, char **ret_error) {
        CliArgs a = {
                .verb = _VERB_INVALID,
                .legend = true,
                .ask_password = true,
        };
        _cleanup_free_ const char **pos = NULL;
        size_t n_pos = 0;
        unsigned seen = 0; /* VerbOption bits given */
        bool help = false, version = false;
        int r;

        assert_return(argc >= 0 && (argc == 0 || argv) && ret && ret_error, -EINVAL);

        pos = calloc((size_t) argc + 1, sizeof(char *));
        if (!pos)
                return -ENOMEM;

        /* optind = 0: glibc starts afresh (another parse may have run in this process). */
        optind = 0;
        opterr = 0;
        for (;;) {
                int word = optind > 0 ? optind : 1; /* the argument getopt_long reads next */
                int c = argc > 1 ? getopt_long(argc, argv, SHORT_OPTIONS, options, NULL) : -1;
                if (c < 0)
                        break;

                switch (c) {
                case 1: /* a word that is no option: the command, then VM names */
                        pos[n_pos++] = optarg;
                        continue;
                case '?':
                        return fail_option(argv[word], ret_error);
                case ':':
                        return fail(ret_error, "Option --%s needs a value.", option_name(optopt));
                }

                unsigned bit = option_verb_bit(c);
                if (bit && !command_complete(pos, n_pos))
                        return fail(ret_error, "Option --%s must follow the command it belongs to.", option_name(c));
                seen |= bit;

                switch (c) {
                case 'h':
                        help = true;
                        break;
                case ARG_VERSION:
                        version = true;
                        break;
                case ARG_JSON:
                        if (!optarg || streq(optarg, "pretty"))
                                a.json = JSON_MODE_PRETTY;
                        else if (streq(optarg, "short"))
                                a.json = JSON_MODE_SHORT;
                        else if (streq(optarg, "off"))
                                a.json = JSON_MODE_OFF;
                        else
                                return fail(ret_error, "Invalid --json value '%s': expected pretty, short or off.",
                                            optarg);
                        break;
                case ARG_NO_LEGEND:
                        a.legend = false;
                        break;
                case ARG_NO_ASK_PASSWORD:
                        a.ask_password = false;
                        break;
                case ARG_INTENT:
                        if (isempty(optarg))
                                return fail(ret_error, "Invalid --intent value '': an intent name is needed.");
                        if (!utf8_is_valid(optarg))
                                return fail(ret_error, "Invalid --intent value: '%s' is not valid UTF-8.", optarg);
                        a.intent = optarg;
                        break;
                case ARG_NODE_RESERVE:
                        r = node_reserve_parse(optarg, &a.node_reserve);
                        if (r < 0)
                                return fail(ret_error,
                                            "Invalid --node-reserve value '%s': expected an integer from 0 to %u.",
                                            optarg, CLI_NODE_RESERVE_MAX);
                        a.have_node_reserve = true;
                        break;
                case ARG_PERFORMANCE:
                        a.performance = performance_canonical(optarg);
                        if (!a.performance) {
                                _cleanup_free_ char *choices = tier_choices(", ", " or ");
                                const char *close = suggest_tier(optarg);
                                return fail(ret_error, "Invalid --performance value '%s': expected %s.%s%s%s",
                                            optarg, strempty(choices), close ? " Did you mean '" : "",
                                            strempty(close), close ? "'?" : "");
                        }
                        break;
                case ARG_ENABLED:
                case ARG_DISABLED: {
                        VmFilter f = c == ARG_ENABLED ? VM_FILTER_ENABLED : VM_FILTER_DISABLED;
                        if (a.filter != VM_FILTER_ALL && a.filter != f)
                                return fail(ret_error, "Options --enabled and --disabled exclude each other.");
                        a.filter = f;
                        break;
                }
                case ARG_FAILED:
                        a.failed_only = true;
                        break;
                case ARG_ALL_ELIGIBLE:
                        a.all_eligible = true;
                        break;
                default:
                        return fail(ret_error, "Internal error: unhandled option %d.", c);
                }
        }
        /* After "--": words only, even those that start with '-'. */
        for (int i = optind > 0 ? optind : argc; i < argc; i++)
                pos[n_pos++] = argv[i];

        if (version) {
                *ret = (CliArgs) { .action = CLI_ACTION_VERSION, .verb = _VERB_INVALID };
                return 0;
        }

        /* The command: "accelnetctl help [VERB [SUBVERB]]" is "--help" in another form. */
        size_t p = 0;
        if (p < n_pos && streq(pos[p], "help")) {
                help = true;
                p++;
        }
        if (p == n_pos) {
                if (help) {
                        *ret = (CliArgs) { .action = CLI_ACTION_HELP, .verb = _VERB_INVALID };
                        return 0;
                }
                a.verb = VERB_STATUS; /* like timedatectl: no command shows the status */
        } else if (verb_group_find(pos[p])) {
                const char *group = verb_group_find(pos[p]);
                p++;
                if (p == n_pos && help) {
                        *ret = (CliArgs) { .action = CLI_ACTION_HELP, .verb = _VERB_INVALID, .group = group };
                        return 0;
                }
                a.verb = p < n_pos ? verb_from_string(group, pos[p]) : _VERB_INVALID;
                if (a.verb < 0) {
                        _cleanup_free_ char *choices = group_choices(group);
                        if (p == n_pos)
                                return fail(ret_error, "Missing %s command: expected %s.", group, strempty(choices));
                        const char *close = suggest_verb(group, pos[p]);
                        if (close)
                                return fail(ret_error, "Unknown %s command '%s'. Did you mean '%s'?", group, pos[p],
                                            close);
                        return fail(ret_error, "Unknown %s command '%s': expected %s.", group, pos[p],
                                    strempty(choices));
                }
                p++;
        } else {
                a.verb = verb_from_string(NULL, pos[p]);
                if (a.verb < 0) {
                        const char *close = suggest_verb(NULL, pos[p]);
                        if (close)
                                return fail(ret_error, "Unknown command '%s'. Did you mean '%s'?", pos[p], close);
                        return fail(ret_error, "Unknown command '%s'.", pos[p]);
                }
                p++;
        }

        if (help) {
                *ret = (CliArgs) { .action = CLI_ACTION_HELP, .verb = a.verb };
                return 0;
        }

        const VerbInfo *info = &verb_table[a.verb];
        const char *vname = verb_to_string(a.verb);

        unsigned stray = seen & ~info->options;
        if (stray) {
                int id = stray & VOPT_INTENT ? ARG_INTENT
                       : stray & VOPT_NODE_RESERVE ? ARG_NODE_RESERVE
                       : stray & VOPT_PERFORMANCE ? ARG_PERFORMANCE
                       : stray & VOPT_FAILED ? ARG_FAILED
                       : stray & VOPT_ALL_ELIGIBLE ? ARG_ALL_ELIGIBLE
                       : a.filter == VM_FILTER_DISABLED ? ARG_DISABLED : ARG_ENABLED;
                return fail(ret_error, "Option --%s does not apply to '%s'.", option_name(id), vname);
        }

        size_t n_args = n_pos - p;
        bool adapter = streq_ptr(info->group, "adapter") || streq_ptr(info->group, "vf");
        const char *noun = adapter ? "adapter" : "VM name";
        if (a.all_eligible && n_args > 0)
                return fail(ret_error, "'%s --all-eligible' takes no VM names (got '%s').", vname, pos[p]);
        if (n_args < info->min_args && !a.all_eligible)
                return fail(ret_error, "'%s' needs %s %s%s.", vname,
                            info->max_args == 1 ? (adapter ? "an" : "a") : "at least one", noun,
                            adapter ? " (netdev name or PCI address)" : "");
        if (n_args > info->max_args) {
                if (info->max_args == 0)
                        return fail(ret_error, "'%s' takes no arguments (got '%s').", vname, pos[p]);
                if (info->max_args == 1)
                        return fail(ret_error, "'%s' takes %s one %s (got '%s' and '%s').", vname,
                                    info->min_args == 0 ? "at most" : "exactly", noun, pos[p], pos[p + 1]);
                return fail(ret_error, "Too many VM names for '%s' (at most %zu).", vname, info->max_args);
        }
        for (size_t i = p; i < n_pos; i++) {
                if (isempty(pos[i]))
                        return fail(ret_error, "Invalid %s '': a%s %s is needed.", noun, adapter ? "n" : "", noun);
                if (!utf8_is_valid(pos[i]))
                        return fail(ret_error, "Invalid %s: '%s' is not valid UTF-8.", noun, pos[i]);
        }

        switch (a.verb) {
        case VERB_ENABLE:
                if (!a.intent)
                        return fail(ret_error, "'enable' needs --intent NAME.");
                break; /* without --node-reserve the daemon's node_reserve_default applies */
        case VERB_SET:
                if (!a.intent && !a.have_node_reserve)
                        return fail(ret_error, "'set' needs --intent NAME, --node-reserve N or both.");
                break;
        case VERB_VM_ENABLE:
        case VERB_VM_SET:
        case VERB_VM_CHECK:
                if (!a.performance) {
                        _cleanup_free_ char *choices = tier_choices("|", "|");
                        return fail(ret_error, "'%s' needs --performance %s.", vname, strempty(choices));
                }
                break;
        default:
                break;
        }

        if (adapter) {
                a.adapter = n_args > 0 ? pos[p] : NULL;
                n_args = 0;
        }
        if (n_args > 0) {
                a.vms = calloc(n_args, sizeof(char *));
                if (!a.vms)
                        return -ENOMEM;
                memcpy(a.vms, pos + p, n_args * sizeof(char *));
                a.n_vms = n_args;
        }
        a.action = CLI_ACTION_RUN;
        *ret = a;
        return 0;
}

/* ---- help ------------------------------------------------------------------------------ */

#define HELP_WIDTH 80
#define HELP_OPTION_COLUMN 26  /* where an option's description starts */
#define HELP_COMMAND_COLUMN 34 /* where a command's summary starts */

/* "  NAME   TEXT": TEXT from column on, wrapped at HELP_WIDTH with its further lines
 * indented to column; a NAME too wide for the column gets a line of its own. */
static void append_item(StrBuf *b, const char *name, const char *text, size_t column) {
        _cleanup_free_ char *wrapped = text_wrap(text, column, HELP_WIDTH);
        if (!wrapped) {
                b->oom = true;
                return;
        }
        if (2 + utf8_width(name) < column)
                strbuf_appendf(b, "  %-*s%s", (int) (column - 2), name, wrapped + column);
        else
                strbuf_appendf(b, "  %s\n%s", name, wrapped);
}

static void append_global_options(StrBuf *b) {
        append_item(b, "-h --help", "Show this help (COMMAND --help: that command's)", HELP_OPTION_COLUMN);
        append_item(b, "   --version", "Show the version", HELP_OPTION_COLUMN);
        append_item(b, "   --json[=pretty|short|off]",
                    "Print JSON instead of tables (short: on one line)",
                    HELP_OPTION_COLUMN);
        append_item(b, "   --no-legend", "Leave out table headers and footers", HELP_OPTION_COLUMN);
        append_item(b, "   --no-ask-password", "Do not ask for a password (polkit) for changes", HELP_OPTION_COLUMN);
}

static void append_verb_help(StrBuf *b, Verb verb) {
        const VerbInfo *info = &verb_table[verb];
        _cleanup_free_ char *syntax = verb_syntax(verb);
        _cleanup_free_ char *wrapped = text_wrap(info->description, 0, HELP_WIDTH);
        _cleanup_free_ char *choices = tier_choices(", ", " or ");
        if (!syntax || !wrapped || !choices) {
                b->oom = true;
                return;
        }

        /* the synopsis wrapped too, its further lines indented */
        _cleanup_free_ char *line = NULL, *synopsis = NULL;
        if (asprintf(&line, "accelnetctl [OPTIONS...] %s", syntax) < 0 || !(synopsis = text_wrap(line, 4, HELP_WIDTH))) {
                b->oom = true;
                return;
        }
        strbuf_appendf(b, "%s\n%s", synopsis + 4, wrapped);
        if (info->options)
                strbuf_appendf(b, "\n");
        if (info->options & VOPT_INTENT)
                append_item(b, "--intent NAME", "Intent whose adapters provide the VFs", HELP_OPTION_COLUMN);
        if (info->options & VOPT_NODE_RESERVE) {
                _cleanup_free_ char *text = NULL;
                int n = verb == VERB_ENABLE
                                ? asprintf(&text, "Percentage held in reserve (0-%u; default: accelnet.json's "
                                                  "node_reserve_default, %u unless set): of the VF capacity, in a "
                                                  "cluster of the nodes",
                                           CLI_NODE_RESERVE_MAX, CLI_NODE_RESERVE_DEFAULT)
                                : asprintf(&text, "Percentage held in reserve (0-%u): of the VF capacity, in a "
                                                  "cluster of the nodes",
                                           CLI_NODE_RESERVE_MAX);
                if (n < 0) {
                        b->oom = true;
                        return;
                }
                append_item(b, "--node-reserve N", text, HELP_OPTION_COLUMN);
        }
        if (info->options & VOPT_PERFORMANCE)
                append_item(b, "--performance TIER", choices, HELP_OPTION_COLUMN);
        if (info->options & VOPT_FAILED)
                append_item(b, "--failed", "Only the checks that failed or warn", HELP_OPTION_COLUMN);
        if (info->options & VOPT_ALL_ELIGIBLE)
                append_item(b, "--all-eligible",
                            "Every VM with it disabled that passes the static checks, instead of names",
                            HELP_OPTION_COLUMN);
        if (info->options & VOPT_FILTER) {
                append_item(b, "--enabled", "Only VMs with Accelerated Networking enabled", HELP_OPTION_COLUMN);
                append_item(b, "--disabled", "Only VMs without it", HELP_OPTION_COLUMN);
        }
        strbuf_appendf(b, "\nGlobal options:\n");
        append_global_options(b);
}

char *cli_help_text(Verb verb, const char *group) {
        StrBuf b = {};

        if ((int) verb >= 0 && verb < _VERB_MAX) {
                append_verb_help(&b, verb);
                return strbuf_steal(&b);
        }

        size_t g = 0;
        while (group && g < ELEMENTSOF(verb_groups) && !streq(verb_groups[g].name, group))
                g++;
        if (g == ELEMENTSOF(verb_groups))
                group = NULL; /* not a group: the general help */

        if (!group)
                strbuf_appendf(&b, "accelnetctl [OPTIONS...] COMMAND ...\n\n"
                                   "Manage Accelerated Networking (SR-IOV VFs for libvirt VMs) through accelnetd.\n\n"
                                   "Commands:\n");
        else {
                _cleanup_free_ char *summary = text_wrap(verb_groups[g].summary, 0, HELP_WIDTH);
                strbuf_appendf(&b, "accelnetctl [OPTIONS...] %s COMMAND ...\n\n%s\nCommands:\n", group,
                               strempty(summary));
                if (!summary)
                        b.oom = true;
        }
        for (int v = 0; v < _VERB_MAX; v++) {
                if (group && !streq_ptr(verb_table[v].group, group))
                        continue;
                _cleanup_free_ char *syntax = verb_syntax((Verb) v);
                if (!syntax) {
                        b.oom = true;
                        break;
                }
                append_item(&b, syntax, verb_table[v].summary, HELP_COMMAND_COLUMN);
        }
        strbuf_appendf(&b, "\nOptions:\n");
        append_global_options(&b);
        strbuf_appendf(&b, "\nSee accelnetctl(1) for details.\n");
        return strbuf_steal(&b);
}
