/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "args.h"
#include "shared/strutil.h"
#include "table.h"

/* Options that only some verbs take. */
typedef enum VerbOption {
        VOPT_INTENT = 1u << 0,
        VOPT_NODE_RESERVE = 1u << 1,
        VOPT_PERFORMANCE = 1u << 2,
        VOPT_FILTER = 1u << 3,
} VerbOption;

typedef struct VerbInfo {
        const char *group; /* "vm" or NULL */
        const char *name;
        unsigned options;  /* VerbOption bits */
        size_t min_args, max_args; /* VM names after the verb */
        bool mutating;
        const char *syntax;
        const char *summary;
        const char *description;
} VerbInfo;

static const VerbInfo verb_table[_VERB_MAX] = {
        [VERB_STATUS] = { NULL, "status", 0, 0, 0, false, "status",
                "Show management state, reserve and VF counts",
                "Shows whether Accelerated Networking management is enabled, the intent, the node "
                "reserve, the host's hyperthreading state, the VF capacity (usable and assigned) "
                "and the daemon's version. This is the default command." },
        [VERB_PREREQ] = { NULL, "prereq", 0, 0, 0, false, "prereq",
                "Check the host's prerequisites",
                "Runs the prerequisite checks (IOMMU, SR-IOV support of each adapter, ACS, PF "
                "driver, bus resources, hyperthreading, libvirt) and prints each result with its "
                "message and remedy." },
        [VERB_ENABLE] = { NULL, "enable", VOPT_INTENT | VOPT_NODE_RESERVE, 0, 0, true,
                "enable --intent NAME [--node-reserve N]",
                "Enable management on an intent's adapters",
                "Enables Accelerated Networking management: provisions VFs on the supported "
                "adapters of intent NAME (which needs the compute type) and keeps N percent "
                "(0-99, default 50) of the capacity in reserve for VMs arriving by failover or "
                "migration." },
        [VERB_SET] = { NULL, "set", VOPT_INTENT | VOPT_NODE_RESERVE, 0, 0, true,
                "set [--intent NAME] [--node-reserve N]",
                "Change the intent or the node reserve",
                "Changes the intent, the node reserve percentage (0-99), or both, while management "
                "is enabled. A value that is not given is kept." },
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
        [VERB_VM_ENABLE] = { "vm", "enable", VOPT_PERFORMANCE, 1, CLI_VMS_MAX, true,
                "vm enable VM... --performance low|medium|high",
                "Give VMs a VF with a performance tier",
                "Enables Accelerated Networking for each VM: assigns a VF of the intent, paired "
                "with the VM's virtio NIC, at the given performance tier. With several VMs a "
                "table shows the result for each; the exit status is 1 if any failed." },
        [VERB_VM_SET] = { "vm", "set", VOPT_PERFORMANCE, 1, 1, true,
                "vm set VM --performance low|medium|high",
                "Change a VM's performance tier",
                "Changes the performance tier of a VM that has Accelerated Networking enabled." },
        [VERB_VM_DISABLE] = { "vm", "disable", 0, 1, CLI_VMS_MAX, true, "vm disable VM...",
                "Take the VFs away from VMs",
                "Disables Accelerated Networking for each VM and releases its VF; the VM keeps "
                "its virtio NIC. With several VMs a table shows the result for each; the exit "
                "status is 1 if any failed." },
        [VERB_VM_LIST] = { "vm", "list", VOPT_FILTER, 0, 0, false, "vm list [--enabled|--disabled]",
                "List VMs and their VFs",
                "Lists every VM with its Accelerated Networking state, performance tier, VF and "
                "a note (for example when a change applies at the next start). --enabled and "
                "--disabled show only the VMs in that state." },
};

typedef enum ArgId {
        ARG_HELP,
        ARG_VERSION,
        ARG_JSON,
        ARG_NO_LEGEND,
        ARG_NO_ASK_PASSWORD,
        ARG_INTENT,
        ARG_NODE_RESERVE,
        ARG_PERFORMANCE,
        ARG_ENABLED,
        ARG_DISABLED,
} ArgId;

typedef enum HasArg {
        ARG_NONE,
        ARG_REQUIRED,
        ARG_OPTIONAL, /* only as --name=value */
} HasArg;

static const struct {
        ArgId id;
        const char *name;
        char short_name;
        HasArg has_arg;
        unsigned verb_option; /* 0: global */
} option_table[] = {
        { ARG_HELP, "help", 'h', ARG_NONE, 0 },
        { ARG_VERSION, "version", 0, ARG_NONE, 0 },
        { ARG_JSON, "json", 0, ARG_OPTIONAL, 0 },
        { ARG_NO_LEGEND, "no-legend", 0, ARG_NONE, 0 },
        { ARG_NO_ASK_PASSWORD, "no-ask-password", 0, ARG_NONE, 0 },
        { ARG_INTENT, "intent", 0, ARG_REQUIRED, VOPT_INTENT },
        { ARG_NODE_RESERVE, "node-reserve", 0, ARG_REQUIRED, VOPT_NODE_RESERVE },
        { ARG_PERFORMANCE, "performance", 0, ARG_REQUIRED, VOPT_PERFORMANCE },
        { ARG_ENABLED, "enabled", 0, ARG_NONE, VOPT_FILTER },
        { ARG_DISABLED, "disabled", 0, ARG_NONE, VOPT_FILTER },
};

const char *verb_to_string(Verb v) {
        static const char *const full[_VERB_MAX] = {
                [VERB_VM_ENABLE] = "vm enable",
                [VERB_VM_SET] = "vm set",
                [VERB_VM_DISABLE] = "vm disable",
                [VERB_VM_LIST] = "vm list",
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
        static const char *const tiers[] = { "Low", "Medium", "High" };
        if (!s)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(tiers); i++)
                if (strcasecmp(s, tiers[i]) == 0)
                        return tiers[i];
        return NULL;
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
        if (a)
                a->vms = mfree(a->vms);
}

static int find_option(const char *arg, size_t *ret_index, const char **ret_value) {
        if (arg[1] != '-') { /* "-h" */
                for (size_t i = 0; i < ELEMENTSOF(option_table); i++)
                        if (option_table[i].short_name && arg[1] == option_table[i].short_name &&
                            arg[2] == '\0') {
                                *ret_index = i;
                                *ret_value = NULL;
                                return 0;
                        }
                return -ENOENT;
        }

        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t) (eq - name) : strlen(name);
        for (size_t i = 0; i < ELEMENTSOF(option_table); i++)
                if (strlen(option_table[i].name) == len && strncmp(option_table[i].name, name, len) == 0) {
                        *ret_index = i;
                        *ret_value = eq ? eq + 1 : NULL;
                        return 0;
                }
        return -ENOENT;
}

static const char *option_label(ArgId id) {
        for (size_t i = 0; i < ELEMENTSOF(option_table); i++)
                if (option_table[i].id == id)
                        return option_table[i].name;
        return "?";
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
        bool help = false, version = false, only_positional = false;
        int r;

        assert_return(argc >= 0 && ret && ret_error, -EINVAL);

        pos = calloc((size_t) argc + 1, sizeof(char *));
        if (!pos)
                return -ENOMEM;

        for (int i = 1; i < argc; i++) {
                const char *arg = argv[i];
                size_t k;
                const char *value;

                if (only_positional || arg[0] != '-' || arg[1] == '\0') {
                        pos[n_pos++] = arg;
                        continue;
                }
                if (streq(arg, "--")) {
                        only_positional = true;
                        continue;
                }
                if (find_option(arg, &k, &value) < 0)
                        return fail(ret_error, "Unknown option '%s'.", arg);

                const char *name = option_table[k].name;
                switch (option_table[k].has_arg) {
                case ARG_NONE:
                        if (value)
                                return fail(ret_error, "Option --%s takes no value (got '%s').", name, value);
                        break;
                case ARG_REQUIRED:
                        if (!value) {
                                if (i + 1 >= argc)
                                        return fail(ret_error, "Option --%s needs a value.", name);
                                value = argv[++i];
                        }
                        break;
                case ARG_OPTIONAL:
                        break;
                }
                seen |= option_table[k].verb_option;

                switch (option_table[k].id) {
                case ARG_HELP:
                        help = true;
                        break;
                case ARG_VERSION:
                        version = true;
                        break;
                case ARG_JSON:
                        if (!value || streq(value, "pretty"))
                                a.json = JSON_MODE_PRETTY;
                        else if (streq(value, "short"))
                                a.json = JSON_MODE_SHORT;
                        else if (streq(value, "off"))
                                a.json = JSON_MODE_OFF;
                        else
                                return fail(ret_error, "Invalid --json value '%s': expected pretty, short or off.",
                                            value);
                        break;
                case ARG_NO_LEGEND:
                        a.legend = false;
                        break;
                case ARG_NO_ASK_PASSWORD:
                        a.ask_password = false;
                        break;
                case ARG_INTENT:
                        if (isempty(value))
                                return fail(ret_error, "Invalid --intent value '': an intent name is needed.");
                        if (!utf8_is_valid(value))
                                return fail(ret_error, "Invalid --intent value: '%s' is not valid UTF-8.", value);
                        a.intent = value;
                        break;
                case ARG_NODE_RESERVE:
                        r = node_reserve_parse(value, &a.node_reserve);
                        if (r < 0)
                                return fail(ret_error,
                                            "Invalid --node-reserve value '%s': expected an integer from 0 to %u.",
                                            value, CLI_NODE_RESERVE_MAX);
                        a.have_node_reserve = true;
                        break;
                case ARG_PERFORMANCE:
                        a.performance = performance_canonical(value);
                        if (!a.performance)
                                return fail(ret_error,
                                            "Invalid --performance value '%s': expected low, medium or high.", value);
                        break;
                case ARG_ENABLED:
                case ARG_DISABLED: {
                        VmFilter f = option_table[k].id == ARG_ENABLED ? VM_FILTER_ENABLED : VM_FILTER_DISABLED;
                        if (a.filter != VM_FILTER_ALL && a.filter != f)
                                return fail(ret_error, "Options --enabled and --disabled exclude each other.");
                        a.filter = f;
                        break;
                }
                }
        }

        if (version) {
                *ret = (CliArgs) { .action = CLI_ACTION_VERSION, .verb = _VERB_INVALID };
                return 0;
        }

        /* The command: "accelnetctl help [VERB [SUBVERB]]" is "--help" in another form. */
        size_t p = 0;
        if (p < n_pos && streq(pos[p], "help")) {
                help = true;
                p++;
                if (p == n_pos) {
                        *ret = (CliArgs) { .action = CLI_ACTION_HELP, .verb = _VERB_INVALID };
                        return 0;
                }
        }
        if (p == n_pos) {
                if (help) {
                        *ret = (CliArgs) { .action = CLI_ACTION_HELP, .verb = _VERB_INVALID };
                        return 0;
                }
                a.verb = VERB_STATUS; /* like timedatectl: no command shows the status */
        } else if (streq(pos[p], "vm")) {
                p++;
                if (p == n_pos) {
                        if (help) {
                                *ret = (CliArgs) { .action = CLI_ACTION_HELP, .verb = _VERB_INVALID,
                                                   .vm_group = true };
                                return 0;
                        }
                        return fail(ret_error, "Missing vm command: expected enable, set, disable or list.");
                }
                a.verb = verb_from_string("vm", pos[p]);
                if (a.verb < 0)
                        return fail(ret_error, "Unknown vm command '%s': expected enable, set, disable or list.",
                                    pos[p]);
                p++;
        } else {
                a.verb = verb_from_string(NULL, pos[p]);
                if (a.verb < 0)
                        return fail(ret_error, "Unknown command '%s'.", pos[p]);
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
                ArgId id = stray & VOPT_INTENT ? ARG_INTENT
                         : stray & VOPT_NODE_RESERVE ? ARG_NODE_RESERVE
                         : stray & VOPT_PERFORMANCE ? ARG_PERFORMANCE
                         : a.filter == VM_FILTER_DISABLED ? ARG_DISABLED : ARG_ENABLED;
                return fail(ret_error, "Option --%s does not apply to '%s'.", option_label(id), vname);
        }

        size_t n_args = n_pos - p;
        if (n_args < info->min_args)
                return fail(ret_error, "'%s' needs %s VM name.", vname,
                            info->max_args == 1 ? "a" : "at least one");
        if (n_args > info->max_args) {
                if (info->max_args == 0)
                        return fail(ret_error, "'%s' takes no arguments (got '%s').", vname, pos[p]);
                if (info->max_args == 1)
                        return fail(ret_error, "'%s' takes exactly one VM name (got '%s' and '%s').", vname,
                                    pos[p], pos[p + 1]);
                return fail(ret_error, "Too many VM names for '%s' (at most %zu).", vname, info->max_args);
        }
        for (size_t i = p; i < n_pos; i++) {
                if (isempty(pos[i]))
                        return fail(ret_error, "Invalid VM name '': a VM name is needed.");
                if (!utf8_is_valid(pos[i]))
                        return fail(ret_error, "Invalid VM name: '%s' is not valid UTF-8.", pos[i]);
        }

        switch (a.verb) {
        case VERB_ENABLE:
                if (!a.intent)
                        return fail(ret_error, "'enable' needs --intent NAME.");
                if (!a.have_node_reserve) {
                        a.node_reserve = CLI_NODE_RESERVE_DEFAULT;
                        a.have_node_reserve = true;
                }
                break;
        case VERB_SET:
                if (!a.intent && !a.have_node_reserve)
                        return fail(ret_error, "'set' needs --intent NAME, --node-reserve N or both.");
                break;
        case VERB_VM_ENABLE:
        case VERB_VM_SET:
                if (!a.performance)
                        return fail(ret_error, "'%s' needs --performance low|medium|high.", vname);
                break;
        default:
                break;
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

static const char global_options_help[] =
        "  -h --help               Show this help (COMMAND --help: that command's)\n"
        "     --version            Show the version\n"
        "     --json[=pretty|short]\n"
        "                          Print JSON on stdout instead of tables\n"
        "     --no-legend          Leave out table headers and footers\n"
        "     --no-ask-password    Do not ask for a password (polkit) for changes\n";

char *cli_help_text(Verb verb, bool vm_group) {
        StrBuf b = {};

        if ((int) verb >= 0 && verb < _VERB_MAX) {
                const VerbInfo *info = &verb_table[verb];
                strbuf_appendf(&b, "accelnetctl [OPTIONS...] %s\n\n", info->syntax);
                _cleanup_free_ char *wrapped = text_wrap(info->description, 0, 80);
                strbuf_appendf(&b, "%s", strempty(wrapped));
                if (info->options & VOPT_INTENT)
                        strbuf_appendf(&b, "\n  --intent NAME           Intent whose adapters provide the VFs\n");
                if (info->options & VOPT_NODE_RESERVE)
                        strbuf_appendf(&b, "%s  --node-reserve N        Percentage of VF capacity held in reserve "
                                           "(0-99%s)\n",
                                       info->options & VOPT_INTENT ? "" : "\n",
                                       verb == VERB_ENABLE ? ", default 50" : "");
                if (info->options & VOPT_PERFORMANCE)
                        strbuf_appendf(&b, "\n  --performance TIER      low, medium or high\n");
                if (info->options & VOPT_FILTER)
                        strbuf_appendf(&b, "\n  --enabled               Only VMs with Accelerated Networking enabled\n"
                                           "  --disabled              Only VMs without it\n");
                strbuf_appendf(&b, "\nGlobal options:\n%s", global_options_help);
                return strbuf_steal(&b);
        }

        strbuf_appendf(&b, "accelnetctl [OPTIONS...] %s\n\n", vm_group ? "vm COMMAND ..." : "COMMAND ...");
        if (!vm_group)
                strbuf_appendf(&b, "Manage Accelerated Networking (SR-IOV VFs for libvirt VMs) through accelnetd.\n\n"
                                   "Commands:\n");
        else
                strbuf_appendf(&b, "Manage Accelerated Networking of VMs.\n\nCommands:\n");
        for (int v = 0; v < _VERB_MAX; v++) {
                const VerbInfo *info = &verb_table[v];
                if (vm_group && !info->group)
                        continue;
                if (strlen(info->syntax) > 36)
                        strbuf_appendf(&b, "  %s\n  %-38s %s\n", info->syntax, "", info->summary);
                else
                        strbuf_appendf(&b, "  %-38s %s\n", info->syntax, info->summary);
        }
        strbuf_appendf(&b, "\nOptions:\n%s\nSee accelnetctl(1) for details.\n", global_options_help);
        return strbuf_steal(&b);
}
