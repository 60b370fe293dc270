/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>

#include "cli/args.h"
#include "cli/table.h"
#include "shared/tier.h"
#include "testlib.h"

#define ARGV(...) ((char *const[]) { "accelnetctl", __VA_ARGS__, NULL })
#define ARGC(...) ((int) (sizeof((const char *[]) { "accelnetctl", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(a, err, ...) cli_args_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), a, err)

/* Expects a usage error whose message contains needle. */
#define CHECK_USAGE(needle, ...)                                                  \
        do {                                                                      \
                CliArgs _ca = { .verb = VERB_STATUS };                             \
                char *_ce = NULL;                                                 \
                CHECK_INT(PARSE(&_ca, &_ce, __VA_ARGS__), -EINVAL);                 \
                CHECK_CONTAINS(_ce, needle);                                      \
                CHECK(_ca.vms == NULL && _ca.verb == VERB_STATUS); /* untouched */  \
                free(_ce);                                                        \
        } while (0)

TEST(enable) {
        _cleanup_(cli_args_done) CliArgs a = {};
        _cleanup_free_ char *e = NULL;

        CHECK_INT(PARSE(&a, &e, "enable", "--intent", "compute1"), 0);
        CHECK_INT(a.action, CLI_ACTION_RUN);
        CHECK_INT(a.verb, VERB_ENABLE);
        CHECK_STR(a.intent, "compute1");
        CHECK(!a.have_node_reserve); /* absent: the daemon's node_reserve_default applies */
        CHECK(a.legend && a.ask_password);
        CHECK_INT(a.json, JSON_MODE_OFF);
        cli_args_done(&a);

        CHECK_INT(PARSE(&a, &e, "--json", "enable", "--intent=c2", "--node-reserve=0"), 0);
        CHECK_STR(a.intent, "c2");
        CHECK_INT(a.node_reserve, 0);
        CHECK_INT(a.json, JSON_MODE_PRETTY);
        cli_args_done(&a);

        CHECK_INT(PARSE(&a, &e, "enable", "--node-reserve", "99", "--intent", "x", "--json=short"), 0);
        CHECK_INT(a.node_reserve, 99);
        CHECK_INT(a.json, JSON_MODE_SHORT);
}

TEST(enable_errors) {
        CHECK_USAGE("'enable' needs --intent", "enable");
        CHECK_USAGE("'enable' needs --intent", "enable", "--node-reserve", "10");
        CHECK_USAGE("Invalid --node-reserve value 'abc'", "enable", "--intent", "c", "--node-reserve", "abc");
        CHECK_USAGE("Invalid --node-reserve value '-1'", "enable", "--intent", "c", "--node-reserve", "-1");
        CHECK_USAGE("Invalid --node-reserve value '-1'", "enable", "--intent", "c", "--node-reserve=-1");
        CHECK_USAGE("Invalid --node-reserve value '100'", "enable", "--intent", "c", "--node-reserve", "100");
        CHECK_USAGE("Invalid --node-reserve value '5%'", "enable", "--intent", "c", "--node-reserve", "5%");
        CHECK_USAGE("Invalid --node-reserve value ''", "enable", "--intent", "c", "--node-reserve=");
        CHECK_USAGE("Invalid --node-reserve value '99999999999999999999'", "enable", "--intent", "c",
                    "--node-reserve", "99999999999999999999");
        CHECK_USAGE("Invalid --node-reserve value '4294967296'", "enable", "--intent", "c", "--node-reserve",
                    "4294967296"); /* UINT32_MAX + 1: no wrap to 0 */
        CHECK_USAGE("Invalid --node-reserve value '4294967295'", "set", "--node-reserve", "4294967295"); /* "keep" */
        CHECK_USAGE("Invalid --node-reserve value '100'", "set", "--node-reserve=100");
        CHECK_USAGE("Invalid --node-reserve value 'abc'", "set", "--node-reserve", "abc");
        CHECK_USAGE("Invalid --node-reserve value '-1'", "set", "--node-reserve", "-1");
        CHECK_USAGE("Option --node-reserve needs a value", "enable", "--intent", "c", "--node-reserve");
        CHECK_USAGE("Invalid --intent value ''", "enable", "--intent", "");
        CHECK_USAGE("not valid UTF-8", "enable", "--intent", "\xff\xfe");
        CHECK_USAGE("takes no arguments (got 'extra')", "enable", "--intent", "c", "extra");
        CHECK_USAGE("Option --performance does not apply to 'enable'", "enable", "--intent", "c",
                    "--performance", "low");
}

TEST(set) {
        _cleanup_(cli_args_done) CliArgs a = {};
        _cleanup_free_ char *e = NULL;

        CHECK_INT(PARSE(&a, &e, "set", "--node-reserve", "25"), 0);
        CHECK_INT(a.verb, VERB_SET);
        CHECK(a.intent == NULL); /* kept */
        CHECK(a.have_node_reserve);
        CHECK_INT(a.node_reserve, 25);
        cli_args_done(&a);

        CHECK_INT(PARSE(&a, &e, "set", "--intent", "c3"), 0);
        CHECK_STR(a.intent, "c3");
        CHECK(!a.have_node_reserve); /* kept: no default for set */

        CHECK_USAGE("'set' needs --intent NAME, --node-reserve N or both", "set");
        CHECK_USAGE("Invalid --node-reserve value '1e1'", "set", "--node-reserve", "1e1");
}

TEST(vm_verbs) {
        _cleanup_(cli_args_done) CliArgs a = {};
        _cleanup_free_ char *e = NULL;

        CHECK_INT(PARSE(&a, &e, "vm", "enable", "web1", "--performance", "HIGH"), 0);
        CHECK_INT(a.verb, VERB_VM_ENABLE);
        CHECK_STR(a.performance, "High"); /* canonical form on the bus */
        CHECK_INT(a.n_vms, 1);
        CHECK_STR(a.vms[0], "web1");
        cli_args_done(&a);

        CHECK_INT(PARSE(&a, &e, "vm", "enable", "--performance=medium", "a", "b", "c"), 0);
        CHECK_INT(a.n_vms, 3);
        CHECK_STR(a.vms[2], "c");
        CHECK_STR(a.performance, "Medium");
        cli_args_done(&a);

        /* after "--" a VM may start with a dash */
        CHECK_INT(PARSE(&a, &e, "vm", "disable", "--", "-odd", "--json"), 0);
        CHECK_INT(a.verb, VERB_VM_DISABLE);
        CHECK_INT(a.n_vms, 2);
        CHECK_STR(a.vms[0], "-odd");
        CHECK_STR(a.vms[1], "--json");
        CHECK_INT(a.json, JSON_MODE_OFF);
        cli_args_done(&a);

        CHECK_INT(PARSE(&a, &e, "vm", "set", "db", "--performance", "low"), 0);
        CHECK_INT(a.verb, VERB_VM_SET);
        CHECK_STR(a.performance, "Low");
        cli_args_done(&a);

        CHECK_INT(PARSE(&a, &e, "vm", "list", "--disabled", "--no-legend"), 0);
        CHECK_INT(a.verb, VERB_VM_LIST);
        CHECK_INT(a.filter, VM_FILTER_DISABLED);
        CHECK(!a.legend);
        cli_args_done(&a);

        CHECK_INT(PARSE(&a, &e, "vm", "list"), 0);
        CHECK_INT(a.filter, VM_FILTER_ALL);
}

TEST(vm_errors) {
        CHECK_USAGE("'vm enable' needs --performance", "vm", "enable", "web1");
        CHECK_USAGE("Invalid --performance value 'ultra'", "vm", "enable", "web1", "--performance", "ultra");
        CHECK_USAGE("'vm enable' needs at least one VM name", "vm", "enable", "--performance", "low");
        CHECK_USAGE("'vm set' needs at least one VM name", "vm", "set", "--performance", "low");
        CHECK_USAGE("'vm enable --all-eligible' takes no VM names (got 'a')", "vm", "enable", "a", "--all-eligible",
                    "--performance", "low");
        CHECK_USAGE("Option --all-eligible does not apply to 'vm set'", "vm", "set", "a", "--all-eligible",
                    "--performance", "low");
        CHECK_USAGE("Option --failed does not apply to 'status'", "status", "--failed");
        /* did you mean */
        CHECK_USAGE("Unknown vm command 'enabel'. Did you mean 'enable'?", "vm", "enabel", "a");
        CHECK_USAGE("Unknown command 'stauts'. Did you mean 'status'?", "stauts");
        CHECK_USAGE("Unknown command 'vmm'. Did you mean 'vm'?", "vmm", "list");
        {       /* 'vn' is as close to vm as to vf: no guess */
                CliArgs va = {};
                _cleanup_free_ char *ve = NULL;
                CHECK_INT(PARSE(&va, &ve, "vn", "list"), -EINVAL);
                CHECK_STR(ve, "Unknown command 'vn'.");
        }
        CHECK_USAGE("Unknown option '--performace'. Did you mean '--performance'?", "vm", "enable", "a",
                    "--performace", "low");
        CHECK_USAGE("expected low, medium or high. Did you mean 'high'?", "vm", "enable", "a", "--performance",
                    "hihg");
        CHECK_USAGE("Unknown vm command 'xyzzy': expected enable,", "vm", "xyzzy");
        CHECK_USAGE("'vm disable' needs at least one VM name", "vm", "disable");
        CHECK_USAGE("Invalid VM name ''", "vm", "disable", "");
        CHECK_USAGE("exclude each other", "vm", "list", "--enabled", "--disabled");
        CHECK_USAGE("Option --enabled does not apply to 'adapters'", "adapters", "--enabled");
        CHECK_USAGE("Option --intent does not apply to 'vm list'", "vm", "list", "--intent", "x");
        CHECK_USAGE("Missing vm command", "vm");
        CHECK_USAGE("Unknown vm command 'start'", "vm", "start", "x");
}

TEST(cluster_verbs) {
        _cleanup_(cli_args_done) CliArgs a = {};
        _cleanup_free_ char *e = NULL;

        CHECK_INT(PARSE(&a, &e, "cluster", "status"), 0);
        CHECK_INT(a.action, CLI_ACTION_RUN);
        CHECK_INT(a.verb, VERB_CLUSTER_STATUS);
        CHECK_INT(a.n_vms, 0);
        cli_args_done(&a);

        CHECK_INT(PARSE(&a, &e, "--json=short", "cluster", "nodes", "--no-legend"), 0);
        CHECK_INT(a.verb, VERB_CLUSTER_NODES);
        CHECK_INT(a.json, JSON_MODE_SHORT);
        CHECK(!a.legend);
        cli_args_done(&a);

        CHECK_USAGE("Missing cluster command: expected status or nodes.", "cluster");
        CHECK_USAGE("Unknown cluster command 'list': expected status or nodes.", "cluster", "list");
        CHECK_USAGE("'cluster nodes' takes no arguments (got 'n1')", "cluster", "nodes", "n1");
        CHECK_USAGE("Option --enabled does not apply to 'cluster nodes'", "cluster", "nodes", "--enabled");
        CHECK_USAGE("Option --node-reserve does not apply to 'cluster status'", "cluster", "status",
                    "--node-reserve", "5");
        CHECK_USAGE("Option --intent must follow the command", "cluster", "--intent", "c", "status");
        /* the vm group's messages name its verbs, servicing's too */
        CHECK_USAGE("Missing vm command: expected enable, set, disable, list, revoke, restore, show or check.", "vm");
        CHECK_USAGE("Unknown vm command 'nodes': expected enable, set, disable, list, revoke, restore, show or check.", "vm",
                    "nodes");
}

TEST(servicing_verbs) {
        _cleanup_(cli_args_done) CliArgs a = {};
        _cleanup_free_ char *e = NULL;

        CHECK_INT(PARSE(&a, &e, "adapter", "drain", "ens1f0"), 0);
        CHECK_INT(a.action, CLI_ACTION_RUN);
        CHECK_INT(a.verb, VERB_ADAPTER_DRAIN);
        CHECK_STR(a.adapter, "ens1f0");
        CHECK(a.vms == NULL && a.n_vms == 0);
        CHECK(verb_is_mutating(VERB_ADAPTER_DRAIN));
        cli_args_done(&a);

        CHECK_INT(PARSE(&a, &e, "--json", "adapter", "restore", "0000:3b:00.0"), 0);
        CHECK_INT(a.verb, VERB_ADAPTER_RESTORE);
        CHECK_STR(a.adapter, "0000:3b:00.0");
        CHECK_INT(a.json, JSON_MODE_PRETTY);
        cli_args_done(&a);

        CHECK_INT(PARSE(&a, &e, "vm", "revoke", "web1"), 0);
        CHECK_INT(a.verb, VERB_VM_REVOKE);
        ASSERT(a.n_vms == 1);
        CHECK_STR(a.vms[0], "web1");
        CHECK(a.adapter == NULL);
        cli_args_done(&a);
        CHECK_INT(PARSE(&a, &e, "vm", "restore", "--", "-odd"), 0);
        CHECK_INT(a.verb, VERB_VM_RESTORE);
        CHECK_STR(a.vms[0], "-odd");
        CHECK(verb_is_mutating(VERB_VM_RESTORE));
        CHECK_STR(verb_to_string(VERB_ADAPTER_DRAIN), "adapter drain");
        CHECK_STR(verb_to_string(VERB_VM_REVOKE), "vm revoke");
        CHECK_INT(verb_from_string("adapter", "restore"), VERB_ADAPTER_RESTORE);
        CHECK_INT(verb_from_string("vm", "restore"), VERB_VM_RESTORE);
        CHECK_INT(verb_from_string(NULL, "drain"), _VERB_INVALID);

        CHECK_USAGE("Missing adapter command: expected drain or restore.", "adapter");
        CHECK_USAGE("Unknown adapter command 'list': expected drain or restore.", "adapter", "list");
        CHECK_USAGE("'adapter drain' needs an adapter (netdev name or PCI address).", "adapter", "drain");
        CHECK_USAGE("'adapter drain' takes exactly one adapter (got 'a' and 'b')", "adapter", "drain", "a", "b");
        CHECK_USAGE("Invalid adapter '': an adapter is needed.", "adapter", "restore", "");
        CHECK_USAGE("Option --performance does not apply to 'adapter drain'", "adapter", "drain", "x",
                    "--performance", "low");
        CHECK_USAGE("'vm revoke' needs a VM name.", "vm", "revoke");
        CHECK_USAGE("'vm restore' takes exactly one VM name (got 'a' and 'b')", "vm", "restore", "a", "b");
        CHECK_USAGE("Option --enabled does not apply to 'vm revoke'", "vm", "revoke", "a", "--enabled");

        _cleanup_free_ char *help = cli_help_text(_VERB_INVALID, "adapter"), *all = cli_help_text(_VERB_INVALID, NULL);
        CHECK_CONTAINS(help, "adapter drain ADAPTER");
        CHECK_CONTAINS(help, "adapter restore ADAPTER");
        CHECK(!strstr(help, "vm enable"));
        CHECK_CONTAINS(all, "vm revoke VM");
        CHECK_CONTAINS(all, "adapter drain ADAPTER");
}

TEST(general_errors) {
        CHECK_USAGE("Unknown command 'frobnicate'", "frobnicate");
        CHECK_USAGE("Unknown option '--frob'", "adapters", "--frob");
        CHECK_USAGE("Unknown option '-x'", "-x", "adapters");
        CHECK_USAGE("Option --no-legend takes no value", "adapters", "--no-legend=1");
        CHECK_USAGE("Invalid --json value 'yaml'", "adapters", "--json=yaml");
        CHECK_USAGE("'status' takes no arguments", "status", "now");
        CHECK_USAGE("'adapters' takes no arguments", "adapters", "ens1f0");
}

TEST(every_option) {
        _cleanup_(cli_args_done) CliArgs a = {};
        _cleanup_free_ char *e = NULL;

        /* the global ones, before the command and after it */
        CHECK_INT(PARSE(&a, &e, "--no-legend", "--no-ask-password", "--json=short", "adapters"), 0);
        CHECK_INT(a.verb, VERB_ADAPTERS);
        CHECK(!a.legend && !a.ask_password);
        CHECK_INT(a.json, JSON_MODE_SHORT);
        cli_args_done(&a);
        CHECK_INT(PARSE(&a, &e, "adapters", "--no-legend", "--no-ask-password", "--json"), 0);
        CHECK(!a.legend && !a.ask_password);
        CHECK_INT(a.json, JSON_MODE_PRETTY);
        cli_args_done(&a);
        CHECK_INT(PARSE(&a, &e, "--json=short", "status", "--json=pretty"), 0); /* the last one wins */
        CHECK_INT(a.json, JSON_MODE_PRETTY);
        CHECK_INT(PARSE(&a, &e, "--json", "status", "--json=off"), 0);
        CHECK_INT(a.json, JSON_MODE_OFF);
        /* --json takes its value only after '=': the next word is the command */
        CHECK_INT(PARSE(&a, &e, "--json", "intents"), 0);
        CHECK_INT(a.verb, VERB_INTENTS);
        CHECK_INT(a.json, JSON_MODE_PRETTY);

        /* the verb options, with the value as the next word and after '=' */
        CHECK_INT(PARSE(&a, &e, "set", "--intent=c1", "--node-reserve", "7"), 0);
        CHECK_STR(a.intent, "c1");
        CHECK(a.have_node_reserve);
        CHECK_INT(a.node_reserve, 7);
        CHECK_INT(PARSE(&a, &e, "set", "--intent", "c2", "--node-reserve=8"), 0);
        CHECK_STR(a.intent, "c2");
        CHECK_INT(a.node_reserve, 8);
        /* a value may start with '-' when it is the option's own: the daemon judges intents */
        CHECK_INT(PARSE(&a, &e, "set", "--intent", "-odd"), 0);
        CHECK_STR(a.intent, "-odd");

        CHECK_INT(PARSE(&a, &e, "vm", "set", "w", "--performance=LOW"), 0);
        CHECK_STR(a.performance, "Low");
        cli_args_done(&a);
        CHECK_INT(PARSE(&a, &e, "vm", "set", "w", "--performance", "medium"), 0);
        CHECK_STR(a.performance, "Medium");
        cli_args_done(&a);

        CHECK_INT(PARSE(&a, &e, "vm", "list", "--enabled"), 0);
        CHECK_INT(a.filter, VM_FILTER_ENABLED);
        CHECK_INT(PARSE(&a, &e, "vm", "list", "--disabled", "--disabled"), 0); /* repeating is fine */
        CHECK_INT(a.filter, VM_FILTER_DISABLED);

        /* getopt_long takes unambiguous abbreviations */
        CHECK_INT(PARSE(&a, &e, "enable", "--int", "c", "--node-r", "5", "--no-l"), 0);
        CHECK_STR(a.intent, "c");
        CHECK_INT(a.node_reserve, 5);
        CHECK(!a.legend);

        /* the input is read, never reordered */
        char *argv[] = { (char *) "accelnetctl", (char *) "vm", (char *) "enable", (char *) "a",
                         (char *) "--performance", (char *) "high", (char *) "b", (char *) "--json", NULL };
        char *copy[ELEMENTSOF(argv)];
        memcpy(copy, argv, sizeof argv);
        CHECK_INT(cli_args_parse((int) ELEMENTSOF(argv) - 1, argv, &a, &e), 0);
        CHECK(memcmp(copy, argv, sizeof argv) == 0);
        CHECK_INT(a.n_vms, 2);
        CHECK_STR(a.vms[0], "a");
        CHECK_STR(a.vms[1], "b");
        cli_args_done(&a);

        /* POSIXLY_CORRECT would stop getopt at the first word: not for us */
        setenv("POSIXLY_CORRECT", "1", 1);
        CHECK_INT(PARSE(&a, &e, "vm", "enable", "web1", "--performance", "low", "--no-legend"), 0);
        unsetenv("POSIXLY_CORRECT");
        CHECK_STR(a.performance, "Low");
        CHECK(!a.legend);
}

TEST(option_errors) {
        /* unknown options, named as typed */
        CHECK_USAGE("Unknown option '--frob'.", "--frob");
        CHECK_USAGE("Unknown option '--frob'.", "vm", "list", "--frob=1");
        CHECK_USAGE("Unknown option '-x'.", "vm", "list", "-x");
        CHECK_USAGE("Unknown option '-q' in '-hq'", "-hq");
        CHECK_USAGE("Unknown option '-o' in '-odd' (a VM name that starts with '-' goes after '--')", "vm",
                    "disable", "-odd");
        CHECK_USAGE("Unknown option '---'.", "---"); /* not "--" */
        CHECK_USAGE("Ambiguous option '--no': --no-legend, --no-ask-password, --node-reserve?", "status", "--no");
        CHECK_USAGE("Ambiguous option '--n'", "--n");

        /* values where none belongs, none where one is needed */
        CHECK_USAGE("Option --version takes no value (got 'x')", "--version=x");
        CHECK_USAGE("Option --help takes no value (got '')", "--help=");
        CHECK_USAGE("Option --enabled takes no value (got 'yes')", "vm", "list", "--enabled=yes");
        CHECK_USAGE("Option --intent needs a value.", "enable", "--intent");
        CHECK_USAGE("Option --performance needs a value.", "vm", "enable", "a", "--performance");
        CHECK_USAGE("Option --node-reserve needs a value.", "set", "--node-reserve");
        CHECK_USAGE("Invalid --performance value ''", "vm", "enable", "a", "--performance=");
        CHECK_USAGE("Invalid --json value ''", "--json=");

        /* verb options follow their command */
        CHECK_USAGE("Option --intent must follow the command it belongs to.", "--intent", "c", "enable");
        CHECK_USAGE("Option --node-reserve must follow the command", "--node-reserve=5", "set");
        CHECK_USAGE("Option --performance must follow the command", "vm", "--performance", "low", "enable", "a");
        CHECK_USAGE("Option --enabled must follow the command", "--enabled", "vm", "list");
        CHECK_USAGE("Option --performance does not apply to 'vm disable'", "vm", "disable", "a", "--performance",
                    "low");
        CHECK_USAGE("Option --disabled does not apply to 'status'", "status", "--disabled");
        CHECK_USAGE("Option --node-reserve does not apply to 'disable'", "disable", "--node-reserve", "5");

        /* the first mistake is the one reported, and nothing after it is looked at */
        CHECK_USAGE("Unknown option '--zz'", "bogus", "--zz", "--yy");
        CHECK_USAGE("Invalid --node-reserve value 'x'", "enable", "--node-reserve", "x", "--frob");
}

TEST(double_dash) {
        _cleanup_(cli_args_done) CliArgs a = {};
        _cleanup_free_ char *e = NULL;

        /* "--" ends the options anywhere, also before the command */
        CHECK_INT(PARSE(&a, &e, "--no-legend", "--", "vm", "list"), 0);
        CHECK_INT(a.verb, VERB_VM_LIST);
        CHECK(!a.legend);
        CHECK_INT(PARSE(&a, &e, "vm", "--", "revoke", "-v", "--performance"), -EINVAL);
        CHECK_CONTAINS(e, "'vm revoke' takes exactly one VM name (got '-v' and '--performance')");
        e = mfree(e);
        CHECK_INT(PARSE(&a, &e, "vm", "set", "--performance", "high", "--", "-v"), 0);
        CHECK_INT(a.n_vms, 1);
        CHECK_STR(a.vms[0], "-v");
        cli_args_done(&a);
        /* a second "--" is a VM name */
        CHECK_INT(PARSE(&a, &e, "vm", "disable", "--", "--", "-h", "--help"), 0);
        CHECK_INT(a.action, CLI_ACTION_RUN);
        CHECK_INT(a.n_vms, 3);
        CHECK_STR(a.vms[0], "--");
        CHECK_STR(a.vms[2], "--help");
        cli_args_done(&a);
        /* nothing after "--": the status */
        CHECK_INT(PARSE(&a, &e, "--"), 0);
        CHECK_INT(a.verb, VERB_STATUS);
        /* a lone "-" is a word, not an option */
        CHECK_INT(PARSE(&a, &e, "vm", "disable", "-"), 0);
        CHECK_STR(a.vms[0], "-");
        cli_args_done(&a);
        CHECK_USAGE("Unknown command '-'", "-");
}

/* Every help text, line by line: at most 80 columns. */
static void check_width(const char *text, const char *what) {
        ASSERT(text);
        const char *p = text;
        unsigned line = 1;
        while (*p) {
                const char *nl = strchr(p, '\n');
                ASSERT(nl); /* every line ends in a newline */
                _cleanup_free_ char *l = strndup(p, (size_t) (nl - p));
                if (utf8_width(l) > 80) {
                        fprintf(stderr, "%s, line %u is %zu columns: %s\n", what, line, utf8_width(l), l);
                        CHECK(utf8_width(l) <= 80);
                }
                CHECK(!*l || l[strlen(l) - 1] != ' '); /* no trailing spaces */
                p = nl + 1;
                line++;
        }
}

TEST(help_width) {
        _cleanup_free_ char *all = cli_help_text(_VERB_INVALID, NULL), *vm = cli_help_text(_VERB_INVALID, "vm"),
                            *cluster = cli_help_text(_VERB_INVALID, "cluster");
        check_width(all, "general help");
        check_width(vm, "vm help");
        check_width(cluster, "cluster help");
        for (int v = 0; v < _VERB_MAX; v++) {
                _cleanup_free_ char *one = cli_help_text((Verb) v, NULL);
                check_width(one, verb_to_string((Verb) v));
                /* each verb's help shows its usage line and the global options */
                CHECK_CONTAINS(one, "accelnetctl [OPTIONS...] ");
                CHECK_CONTAINS(one, verb_to_string((Verb) v));
                CHECK_CONTAINS(one, "--no-ask-password");
        }
        /* the options of the verbs, and every tier by the name people type */
        _cleanup_free_ char *en = cli_help_text(VERB_ENABLE, NULL), *vl = cli_help_text(VERB_VM_LIST, NULL),
                            *ve = cli_help_text(VERB_VM_ENABLE, NULL);
        CHECK_CONTAINS(en, "  --intent NAME ");
        CHECK_CONTAINS(en, "default 50");
        CHECK_CONTAINS(vl, "  --enabled ");
        CHECK_CONTAINS(vl, "  --disabled ");
        CHECK(!strstr(vl, "--performance TIER"));
        CHECK_CONTAINS(ve, "  --performance TIER      low, medium or high\n");
        for (int t = 0; t < _TIER_MAX; t++) {
                char lower[16] = "";
                for (size_t i = 0; tier_to_string((Tier) t)[i] && i < sizeof lower - 1; i++)
                        lower[i] = (char) (tier_to_string((Tier) t)[i] | 0x20);
                CHECK_CONTAINS(ve, lower);
        }
}

TEST(help_and_version) {
        _cleanup_(cli_args_done) CliArgs a = {};
        _cleanup_free_ char *e = NULL;

        CHECK_INT(PARSE(&a, &e, "--help"), 0);
        CHECK_INT(a.action, CLI_ACTION_HELP);
        CHECK_INT(a.verb, _VERB_INVALID);

        /* help wins over missing required options */
        CHECK_INT(PARSE(&a, &e, "enable", "--help"), 0);
        CHECK_INT(a.action, CLI_ACTION_HELP);
        CHECK_INT(a.verb, VERB_ENABLE);

        CHECK_INT(PARSE(&a, &e, "vm", "enable", "-h"), 0);
        CHECK_INT(a.action, CLI_ACTION_HELP);
        CHECK_INT(a.verb, VERB_VM_ENABLE);

        CHECK_INT(PARSE(&a, &e, "vm", "--help"), 0);
        CHECK_INT(a.action, CLI_ACTION_HELP);
        CHECK_STR(a.group, "vm");

        CHECK_INT(PARSE(&a, &e, "help", "cluster"), 0);
        CHECK_INT(a.action, CLI_ACTION_HELP);
        CHECK_INT(a.verb, _VERB_INVALID);
        CHECK_STR(a.group, "cluster");

        CHECK_INT(PARSE(&a, &e, "cluster", "nodes", "--help"), 0);
        CHECK_INT(a.action, CLI_ACTION_HELP);
        CHECK_INT(a.verb, VERB_CLUSTER_NODES);
        CHECK(a.group == NULL);

        CHECK_INT(PARSE(&a, &e, "help", "vm", "list"), 0);
        CHECK_INT(a.action, CLI_ACTION_HELP);
        CHECK_INT(a.verb, VERB_VM_LIST);

        CHECK_INT(PARSE(&a, &e, "--version"), 0);
        CHECK_INT(a.action, CLI_ACTION_VERSION);

        /* no command: status */
        CHECK_INT(cli_args_parse(1, ARGV(NULL), &a, &e), 0);
        CHECK_INT(a.action, CLI_ACTION_RUN);
        CHECK_INT(a.verb, VERB_STATUS);

        CHECK_USAGE("Unknown command 'bogus'", "bogus", "--help");
}

TEST(help_text) {
        _cleanup_free_ char *all = cli_help_text(_VERB_INVALID, NULL);
        ASSERT(all);
        /* every verb's syntax is in the general help */
        for (int v = 0; v < _VERB_MAX; v++)
                CHECK_CONTAINS(all, verb_to_string((Verb) v));
        CHECK_CONTAINS(all, "enable --intent NAME [--node-reserve N]");
        CHECK_CONTAINS(all, "vm enable VM...|--all-eligible --performance low|medium|high");
        CHECK_CONTAINS(all, "cluster status");
        CHECK_CONTAINS(all, "cluster nodes");
        CHECK_CONTAINS(all, "--json");

        _cleanup_free_ char *vm = cli_help_text(_VERB_INVALID, "vm");
        CHECK_CONTAINS(vm, "accelnetctl [OPTIONS...] vm COMMAND ...\n\nManage Accelerated Networking of VMs.\n");
        CHECK_CONTAINS(vm, "vm list [--enabled|--disabled]");
        CHECK(!strstr(vm, "adapters"));
        CHECK(!strstr(vm, "cluster"));

        _cleanup_free_ char *cluster = cli_help_text(_VERB_INVALID, "cluster");
        CHECK_CONTAINS(cluster, "accelnetctl [OPTIONS...] cluster COMMAND ...\n");
        CHECK_CONTAINS(cluster, "cluster status");
        CHECK_CONTAINS(cluster, "cluster nodes");
        CHECK(!strstr(cluster, "vm list"));

        /* an unknown group: the general help */
        _cleanup_free_ char *other = cli_help_text(_VERB_INVALID, "bogus");
        CHECK_STR(other, all);

        _cleanup_free_ char *cs = cli_help_text(VERB_CLUSTER_STATUS, NULL);
        CHECK_CONTAINS(cs, "accelnetctl [OPTIONS...] cluster status\n");
        CHECK_CONTAINS(cs, "k = min(N - 1, ceil(N x reserve / 100))");

        _cleanup_free_ char *one = cli_help_text(VERB_SET, NULL);
        CHECK_CONTAINS(one, "accelnetctl [OPTIONS...] set [--intent NAME] [--node-reserve N]");
        CHECK_CONTAINS(one, "--node-reserve N");
        CHECK(!strstr(one, "default 50"));
}

TEST(tables) {
        for (int v = 0; v < _VERB_MAX; v++) {
                const char *s = verb_to_string((Verb) v);
                CHECK(s != NULL);
                const char *sp = strchr(s, ' ');
                if (sp) {
                        _cleanup_free_ char *group = strndup(s, (size_t) (sp - s));
                        CHECK_INT(verb_from_string(group, sp + 1), v);
                } else
                        CHECK_INT(verb_from_string(NULL, s), v);
        }
        CHECK_INT(verb_from_string(NULL, "list"), _VERB_INVALID); /* only under vm */
        CHECK_INT(verb_from_string(NULL, "nodes"), _VERB_INVALID); /* only under cluster */
        CHECK_INT(verb_from_string("vm", "status"), _VERB_INVALID);
        CHECK_INT(verb_from_string("cluster", "status"), VERB_CLUSTER_STATUS);
        CHECK_STR(verb_to_string(VERB_CLUSTER_NODES), "cluster nodes");
        CHECK(!verb_is_mutating(VERB_CLUSTER_STATUS) && !verb_is_mutating(VERB_CLUSTER_NODES));
        CHECK(verb_is_mutating(VERB_ENABLE) && verb_is_mutating(VERB_VM_DISABLE));
        CHECK(!verb_is_mutating(VERB_STATUS) && !verb_is_mutating(VERB_VM_LIST));

        CHECK_STR(performance_canonical("mEdIuM"), "Medium");
        CHECK(performance_canonical("") == NULL);
        CHECK(performance_canonical(NULL) == NULL);

        uint32_t u = 7;
        CHECK_INT(node_reserve_parse("099", &u), 0);
        CHECK_INT(u, 99);
        CHECK_INT(node_reserve_parse("+5", &u), -EINVAL);
        CHECK_INT(node_reserve_parse(" 5", &u), -EINVAL);
        CHECK_INT(node_reserve_parse("100", &u), -ERANGE);
        CHECK_INT(u, 99); /* untouched on error */
}

int main(void) {
        RUN(enable);
        RUN(enable_errors);
        RUN(set);
        RUN(vm_verbs);
        RUN(vm_errors);
        RUN(cluster_verbs);
        RUN(general_errors);
        RUN(every_option);
        RUN(option_errors);
        RUN(double_dash);
        RUN(help_and_version);
        RUN(help_width);
        RUN(help_text);
        RUN(tables);
        RUN(servicing_verbs);
        return TEST_MAIN_END();
}
