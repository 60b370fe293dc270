/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The configuration (src/policy/config.c, intent.c): every input is read both as
 * CONFIG/accelnet.json and as one CONFIG/intents.d/NAME.json file, with the parsers that
 * config_load runs on their text. What they accept must be within the documented bounds. */
#include <errno.h>
#include <string.h>

#include "fuzzlib.h"
#include "policy/config-internal.h"
#include "shared/macro.h"
#include "shared/pciaddr.h"

static void check_reason(int r, const char *reason) {
        FUZZ_CHECK(r == 0 || r == -EBADMSG);
        if (r == -EBADMSG)  /* one printable line, for the journal */
                for (const char *p = reason; *p; p++)
                        FUZZ_CHECK((unsigned char) *p >= 0x20 && *p != 0x7f);
}

static void fuzz_settings(const uint8_t *data, size_t size) {
        _cleanup_free_ char *reason = NULL;
        Settings s;
        int r;

        memset(&s, 0xa5, sizeof s);
        r = settings_parse_text((const char *) data, size, &s, &reason);
        check_reason(r, reason);
        if (r < 0)
                return;
        FUZZ_CHECK(s.default_node_reserve <= 99);
        FUZZ_CHECK(s.max_concurrent_ops >= 1 && s.max_concurrent_ops <= 256);
        FUZZ_CHECK(s.max_vms >= 1 && s.max_vms <= 65536);
        FUZZ_CHECK(memchr(s.kernel_min, 0, sizeof s.kernel_min) && memchr(s.libvirt_min, 0, sizeof s.libvirt_min));
        for (int t = 0; t < _TIER_MAX; t++) {
                const TierSpec *spec = &s.tiers.tiers[t];
                FUZZ_CHECK(spec->min_vcpus_smt_off >= 1 && spec->min_vcpus_smt_off <= CONFIG_VCPUS_MAX);
                FUZZ_CHECK(spec->min_vcpus_smt_on >= 1 && spec->min_vcpus_smt_on <= CONFIG_VCPUS_MAX);
                FUZZ_CHECK(spec->max_tx_rate_mbps <= CONFIG_RATE_MAX && spec->min_tx_rate_mbps <= CONFIG_RATE_MAX);
                FUZZ_CHECK(spec->max_tx_rate_mbps == 0 || spec->min_tx_rate_mbps <= spec->max_tx_rate_mbps);
                FUZZ_CHECK(numa_policy_to_string(spec->numa));
        }
        FUZZ_CHECK(s.health.flap_count >= HEALTH_FLAP_COUNT_MIN && s.health.flap_count <= HEALTH_FLAP_COUNT_MAX);
        FUZZ_CHECK(s.health.flap_window_s >= 1 && s.health.flap_window_s <= HEALTH_WINDOW_S_MAX);
        FUZZ_CHECK(s.health.quarantine_stable_s >= 1 && s.health.quarantine_stable_s <= HEALTH_WINDOW_S_MAX);
        FUZZ_CHECK(s.health.link_down_debounce_ms <= HEALTH_DEBOUNCE_MS_MAX);
        FUZZ_CHECK(s.health.reset_grace_s <= HEALTH_RESET_GRACE_S_MAX);
}

static void fuzz_intent(const uint8_t *data, size_t size) {
        _cleanup_free_ char *reason = NULL;
        _cleanup_(intent_done) Intent i = {};
        int r;

        r = intent_parse_text((const char *) data, size, &i, &reason);
        check_reason(r, reason);
        if (r < 0) {
                FUZZ_CHECK(!i.name && !i.adapters);
                return;
        }
        FUZZ_CHECK(intent_name_valid(i.name));
        FUZZ_CHECK(i.types != 0 && (i.types & ~7u) == 0);
        FUZZ_CHECK(i.n_adapters >= 1 && i.n_adapters <= INTENT_ADAPTERS_MAX);
        for (size_t k = 0; k < i.n_adapters; k++) {
                FUZZ_CHECK(i.adapters[k] && *i.adapters[k]);
                for (size_t m = 0; m < k; m++)
                        FUZZ_CHECK(!streq(i.adapters[k], i.adapters[m]));
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        fuzz_settings(data, size);
        fuzz_intent(data, size);
        return 0;
}
