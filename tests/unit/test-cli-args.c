/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>

#include "cli/args.h"
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
        CHECK(a.have_node_reserve);
        CHECK_INT(a.node_reserve, 50); /* the default */
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
        CHECK_USAGE("'vm set' takes exactly one VM name (got 'a' and 'b')", "vm", "set", "a", "b",
                    "--performance", "low");
        CHECK_USAGE("'vm set' needs a VM name", "vm", "set", "--performance", "low");
        CHECK_USAGE("'vm disable' needs at least one VM name", "vm", "disable");
        CHECK_USAGE("Invalid VM name ''", "vm", "disable", "");
        CHECK_USAGE("exclude each other", "vm", "list", "--enabled", "--disabled");
        CHECK_USAGE("Option --enabled does not apply to 'adapters'", "adapters", "--enabled");
        CHECK_USAGE("Option --intent does not apply to 'vm list'", "vm", "list", "--intent", "x");
        CHECK_USAGE("Missing vm command", "vm");
        CHECK_USAGE("Unknown vm command 'start'", "vm", "start", "x");
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
        CHECK(a.vm_group);

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
        _cleanup_free_ char *all = cli_help_text(_VERB_INVALID, false);
        ASSERT(all);
        /* every verb's syntax is in the general help */
        for (int v = 0; v < _VERB_MAX; v++)
                CHECK_CONTAINS(all, verb_to_string((Verb) v));
        CHECK_CONTAINS(all, "enable --intent NAME [--node-reserve N]");
        CHECK_CONTAINS(all, "vm enable VM... --performance low|medium|high");
        CHECK_CONTAINS(all, "--json");

        _cleanup_free_ char *vm = cli_help_text(_VERB_INVALID, true);
        CHECK_CONTAINS(vm, "vm list [--enabled|--disabled]");
        CHECK(!strstr(vm, "adapters"));

        _cleanup_free_ char *one = cli_help_text(VERB_SET, false);
        CHECK_CONTAINS(one, "accelnetctl [OPTIONS...] set [--intent NAME] [--node-reserve N]");
        CHECK_CONTAINS(one, "--node-reserve N");
        CHECK(!strstr(one, "default 50"));
}

TEST(tables) {
        for (int v = 0; v < _VERB_MAX; v++) {
                const char *s = verb_to_string((Verb) v);
                CHECK(s != NULL);
                const char *sp = strchr(s, ' ');
                if (sp)
                        CHECK_INT(verb_from_string("vm", sp + 1), v);
                else
                        CHECK_INT(verb_from_string(NULL, s), v);
        }
        CHECK_INT(verb_from_string(NULL, "list"), _VERB_INVALID); /* only under vm */
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
        RUN(general_errors);
        RUN(help_and_version);
        RUN(help_text);
        RUN(tables);
        return TEST_MAIN_END();
}
