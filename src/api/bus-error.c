/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "bus-error.h"
#include "shared/macro.h"

/* One name per domain code; the table is checked complete by test-bus-error. */
static const char *const bus_error_names[_AN_ERROR_MAX - AN_ERROR_BASE] = {
#define N(code, name) [(code) - AN_ERROR_BASE] = name
        N(AN_ERROR_ACCELNET_NOT_SUPPORTED, BUS_ERROR_PREFIX "AccelNetNotSupported"),
        N(AN_ERROR_HYPERTHREADING_CHECK_FAILED, BUS_ERROR_PREFIX "HyperthreadingCheckFailed"),
        N(AN_ERROR_INTENT_NOT_FOUND, BUS_ERROR_PREFIX "IntentNotFound"),
        N(AN_ERROR_INTENT_TYPE_CHECK_FAILED, BUS_ERROR_PREFIX "IntentTypeCheckFailed"),
        N(AN_ERROR_SRIOV_SUPPORT_UNKNOWN, BUS_ERROR_PREFIX "SriovSupportUnknown"),
        N(AN_ERROR_SRIOV_SUPPORT_MISSING_ACS, BUS_ERROR_PREFIX "SriovSupportMissingAcs"),
        N(AN_ERROR_SRIOV_SUPPORT_MISSING_PF_DRIVER, BUS_ERROR_PREFIX "SriovSupportMissingPfDriver"),
        N(AN_ERROR_SRIOV_SUPPORT_NO_BUS_RESOURCES, BUS_ERROR_PREFIX "SriovSupportNoBusResources"),
        N(AN_ERROR_GET_NETWORK_ADAPTER_FAILED, BUS_ERROR_PREFIX "GetNetworkAdapterFailed"),
        N(AN_ERROR_VM_NOT_ENOUGH_VCPUS, BUS_ERROR_PREFIX "VmNotEnoughVcpus"),
        N(AN_ERROR_CANNOT_PROVISION_PERFORMANCE, BUS_ERROR_PREFIX "CannotProvisionPerformance"),
        N(AN_ERROR_ENABLE_ACCELNET_FAILED, BUS_ERROR_PREFIX "EnableAccelNetFailed"),
        N(AN_ERROR_CLUSTER_NOT_ENOUGH_RESOURCES, BUS_ERROR_PREFIX "ClusterNotEnoughResources"),
        N(AN_ERROR_NOT_ENABLED, BUS_ERROR_PREFIX "NotEnabled"),
        N(AN_ERROR_NO_SUCH_VM, BUS_ERROR_PREFIX "NoSuchVM"),
        N(AN_ERROR_BUSY, BUS_ERROR_PREFIX "Busy"),
        N(AN_ERROR_INVALID_ARGS, SD_BUS_ERROR_INVALID_ARGS),
        N(AN_ERROR_ACCESS_DENIED, SD_BUS_ERROR_ACCESS_DENIED),
#undef N
};

const char *bus_error_name(int r) {
        if (!an_error_is_domain(r))
                return NULL;
        return bus_error_names[-r - AN_ERROR_BASE];
}

int bus_error_from_status(sd_bus_error *error, const AnStatus *st) {
        const char *name = bus_error_name(st->r);
        if (name)
                return sd_bus_error_set(error, name, st->message[0] ? st->message : an_error_message((AnError) -st->r));
        if (st->r >= 0)
                return 0;
        if (st->message[0])
                return sd_bus_error_set_errnof(error, -st->r, "%s", st->message);
        return sd_bus_error_set_errno(error, st->r);
}

int bus_reply_status(sd_bus_message *m, const AnStatus *st) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        if (st->r >= 0)
                return sd_bus_reply_method_return(m, NULL);
        (void) bus_error_from_status(&error, st);
        return sd_bus_reply_method_error(m, &error);
}
