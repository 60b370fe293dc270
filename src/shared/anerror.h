/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Domain codes: the expected outcomes a caller can act on. Functions return them
 * negated (-AN_ERROR_BUSY); they lie above every errno value, so `r < 0` still means
 * "failed" and an_error_is_domain(r) tells the two apart. Each code has exactly one
 * D-Bus error name, message and remedy, all in one table (anerror.c). */
typedef enum AnError {
        AN_ERROR_BASE = 1000,
        AN_ERROR_ACCELNET_NOT_SUPPORTED = AN_ERROR_BASE,
        AN_ERROR_HYPERTHREADING_CHECK_FAILED,
        AN_ERROR_INTENT_NOT_FOUND,
        AN_ERROR_INTENT_TYPE_CHECK_FAILED,
        AN_ERROR_SRIOV_SUPPORT_UNKNOWN,
        AN_ERROR_SRIOV_SUPPORT_MISSING_ACS,
        AN_ERROR_SRIOV_SUPPORT_MISSING_PF_DRIVER,
        AN_ERROR_SRIOV_SUPPORT_NO_BUS_RESOURCES,
        AN_ERROR_GET_NETWORK_ADAPTER_FAILED,
        AN_ERROR_VM_NOT_ENOUGH_VCPUS,
        AN_ERROR_CANNOT_PROVISION_PERFORMANCE,
        AN_ERROR_ENABLE_ACCELNET_FAILED,
        AN_ERROR_CLUSTER_NOT_ENOUGH_RESOURCES,
        AN_ERROR_NOT_ENABLED,
        AN_ERROR_NO_SUCH_VM,
        AN_ERROR_BUSY,
        AN_ERROR_ALREADY_ENABLED,
        AN_ERROR_NO_QUORUM,
        AN_ERROR_INVALID_ARGS,
        AN_ERROR_ACCESS_DENIED,
        AN_ERROR_ADAPTER_NOT_FOUND,
        _AN_ERROR_MAX,
        _AN_ERROR_INVALID = -22,
} AnError;

static inline bool an_error_is_domain(int r) {
        return r <= -AN_ERROR_BASE && r > -_AN_ERROR_MAX;
}

/* "SriovSupportMissingAcs": the suffix after org.accelnet1.Error. (and the `code`
 * column of GetPrerequisites). */
const char *an_error_to_string(AnError e);
AnError an_error_from_string(const char *s);
/* The full D-Bus error name: org.accelnet1.Error.<Name>, except InvalidArgs and
 * AccessDenied, which are org.freedesktop.DBus.Error.*. NULL for anything else. */
const char *an_error_bus_name(AnError e);
/* The code of a full D-Bus error name (the inverse), or _AN_ERROR_INVALID. */
AnError an_error_from_bus_name(const char *name);
/* What happened, in the seed's words. */
const char *an_error_message(AnError e);
/* What the admin can do about it. */
const char *an_error_remedy(AnError e);

/* The SR-IOV support verdict of one adapter (the seed's Sriov_support_[KEY]). */
typedef enum SriovSupport {
        SRIOV_SUPPORTED,
        SRIOV_UNKNOWN,
        SRIOV_MISSING_ACS,
        SRIOV_MISSING_PF_DRIVER,
        SRIOV_NO_BUS_RESOURCES,
        _SRIOV_SUPPORT_MAX,
        _SRIOV_SUPPORT_INVALID = -22,
} SriovSupport;

const char *sriov_support_to_string(SriovSupport s);
SriovSupport sriov_support_from_string(const char *s);
/* SRIOV_SUPPORTED → 0, every other verdict → its AN_ERROR_SRIOV_SUPPORT_* code. */
AnError sriov_support_to_error(SriovSupport s);
