/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "shared/anerror.h"
#include "testlib.h"

TEST(table_complete) {
        for (int e = AN_ERROR_BASE; e < _AN_ERROR_MAX; e++) {
                const char *n = an_error_to_string((AnError) e);
                CHECK(n != NULL);
                CHECK(an_error_message((AnError) e) != NULL && an_error_message((AnError) e)[0]);
                CHECK(an_error_remedy((AnError) e) != NULL && an_error_remedy((AnError) e)[0]);
                CHECK_INT(an_error_from_string(n), e);
                /* one full bus name each, and back */
                const char *bn = an_error_bus_name((AnError) e);
                CHECK(bn != NULL && strlen(bn) > strlen(n) && streq(bn + strlen(bn) - strlen(n), n));
                CHECK_INT(an_error_from_bus_name(bn), e);
                /* domain codes negated are recognised and never collide with errno */
                CHECK(an_error_is_domain(-e));
        }
        CHECK(!an_error_is_domain(-EINVAL));
        CHECK(!an_error_is_domain(0));
        CHECK_INT(an_error_from_string("NoSuchError"), _AN_ERROR_INVALID);
        CHECK(an_error_to_string((AnError) 5) == NULL);
        CHECK(an_error_bus_name((AnError) 5) == NULL);
        CHECK_INT(an_error_from_bus_name("org.accelnet1.Error.Nope"), _AN_ERROR_INVALID);
        CHECK_STR(an_error_bus_name(AN_ERROR_INVALID_ARGS), "org.freedesktop.DBus.Error.InvalidArgs");
        CHECK_STR(an_error_bus_name(AN_ERROR_ALREADY_ENABLED), "org.accelnet1.Error.AlreadyEnabled");
        CHECK_STR(an_error_bus_name(AN_ERROR_NO_QUORUM), "org.accelnet1.Error.NoQuorum");
        CHECK_CONTAINS(an_error_message(AN_ERROR_NO_QUORUM), "not in the quorate part of the cluster");
        CHECK_CONTAINS(an_error_remedy(AN_ERROR_NO_QUORUM), "corosync-quorumtool");
}

TEST(seed_names) {
        /* The D-Bus error names of DESIGN §3 must exist exactly. */
        static const char *const names[] = {
                "AccelNetNotSupported", "HyperthreadingCheckFailed", "IntentNotFound", "IntentTypeCheckFailed",
                "SriovSupportUnknown", "SriovSupportMissingAcs", "SriovSupportMissingPfDriver",
                "SriovSupportNoBusResources", "GetNetworkAdapterFailed", "VmNotEnoughVcpus",
                "CannotProvisionPerformance", "EnableAccelNetFailed", "ClusterNotEnoughResources", "NotEnabled",
                "NoSuchVM", "Busy", "AlreadyEnabled", "NoQuorum",
        };
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                CHECK(an_error_from_string(names[i]) >= AN_ERROR_BASE);
}

TEST(sriov_support_roundtrip) {
        for (int s = 0; s < _SRIOV_SUPPORT_MAX; s++) {
                const char *n = sriov_support_to_string((SriovSupport) s);
                CHECK(n != NULL);
                CHECK_INT(sriov_support_from_string(n), s);
        }
        CHECK_INT(sriov_support_from_string("missingacs"), SRIOV_MISSING_ACS);
        CHECK_INT(sriov_support_from_string("bogus"), _SRIOV_SUPPORT_INVALID);
        CHECK_INT(sriov_support_to_error(SRIOV_SUPPORTED), 0);
        CHECK_INT(sriov_support_to_error(SRIOV_NO_BUS_RESOURCES), AN_ERROR_SRIOV_SUPPORT_NO_BUS_RESOURCES);
        CHECK_STR(an_error_to_string(sriov_support_to_error(SRIOV_MISSING_ACS)), "SriovSupportMissingAcs");
}

int main(void) {
        RUN(table_complete);
        RUN(seed_names);
        RUN(sriov_support_roundtrip);
        return TEST_MAIN_END();
}
