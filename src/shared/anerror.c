/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "anerror.h"
#include "names.h"
#include "string-table.h"

typedef struct AnErrorInfo {
        const char *name;
        const char *bus_name;
        const char *message;
        const char *remedy;
} AnErrorInfo;

#define E(code) [(code) - AN_ERROR_BASE]
static const AnErrorInfo an_error_info[_AN_ERROR_MAX - AN_ERROR_BASE] = {
        E(AN_ERROR_ACCELNET_NOT_SUPPORTED) = {
                "AccelNetNotSupported",
                ACCELNET_BUS_ERROR_PREFIX "AccelNetNotSupported",
                "Accelerated Networking is not supported on this host.",
                "Run 'accelnetctl prereq' and fix the failed checks it lists.",
        },
        E(AN_ERROR_HYPERTHREADING_CHECK_FAILED) = {
                "HyperthreadingCheckFailed",
                ACCELNET_BUS_ERROR_PREFIX "HyperthreadingCheckFailed",
                "The hyperthreading (SMT) state of this host could not be determined.",
                "Make sure /sys/devices/system/cpu/smt/active is readable (kernel 4.19 or newer).",
        },
        E(AN_ERROR_INTENT_NOT_FOUND) = {
                "IntentNotFound",
                ACCELNET_BUS_ERROR_PREFIX "IntentNotFound",
                "The intent was not found.",
                "Create /etc/accelnet/intents.d/NAME.json or pick a name from 'accelnetctl intents'.",
        },
        E(AN_ERROR_INTENT_TYPE_CHECK_FAILED) = {
                "IntentTypeCheckFailed",
                ACCELNET_BUS_ERROR_PREFIX "IntentTypeCheckFailed",
                "The intent does not have the compute type.",
                "Add \"compute\" to the intent's \"types\" or choose an intent that has it.",
        },
        E(AN_ERROR_SRIOV_SUPPORT_UNKNOWN) = {
                "SriovSupportUnknown",
                ACCELNET_BUS_ERROR_PREFIX "SriovSupportUnknown",
                "SR-IOV support of the adapter is unknown: no usable SR-IOV capability was found.",
                "Enable SR-IOV and VT-d/AMD-Vi in the firmware, boot with the IOMMU on, and check that the adapter's SR-IOV capability is enabled in its firmware.",
        },
        E(AN_ERROR_SRIOV_SUPPORT_MISSING_ACS) = {
                "SriovSupportMissingAcs",
                ACCELNET_BUS_ERROR_PREFIX "SriovSupportMissingAcs",
                "SR-IOV cannot be used: a port between the adapter and its root port lacks Access Control Services (ACS), so VFs cannot be isolated.",
                "Move the adapter to a slot under a root port that has ACS, or enable ACS in the firmware.",
        },
        E(AN_ERROR_SRIOV_SUPPORT_MISSING_PF_DRIVER) = {
                "SriovSupportMissingPfDriver",
                ACCELNET_BUS_ERROR_PREFIX "SriovSupportMissingPfDriver",
                "SR-IOV cannot be used: the adapter has no physical function driver with SR-IOV support.",
                "Load and bind the adapter's PF driver (for example ice, i40e, ixgbe, igb, mlx5_core, bnxt_en).",
        },
        E(AN_ERROR_SRIOV_SUPPORT_NO_BUS_RESOURCES) = {
                "SriovSupportNoBusResources",
                ACCELNET_BUS_ERROR_PREFIX "SriovSupportNoBusResources",
                "SR-IOV cannot be used: there are not enough PCI bus numbers for the adapter's VFs.",
                "Boot with pci=realloc (or pci=assign-busses), or move the adapter to a slot whose bridge has spare bus numbers.",
        },
        E(AN_ERROR_GET_NETWORK_ADAPTER_FAILED) = {
                "GetNetworkAdapterFailed",
                ACCELNET_BUS_ERROR_PREFIX "GetNetworkAdapterFailed",
                "The VM has no network adapter to pair the VF with.",
                "Give the VM a virtio network interface first (virsh attach-interface).",
        },
        E(AN_ERROR_VM_NOT_ENOUGH_VCPUS) = {
                "VmNotEnoughVcpus",
                ACCELNET_BUS_ERROR_PREFIX "VmNotEnoughVcpus",
                "The VM does not have enough virtual processors for this performance setting.",
                "Raise the VM's vCPU count (virsh setvcpus --config) or choose a lower performance setting.",
        },
        E(AN_ERROR_CANNOT_PROVISION_PERFORMANCE) = {
                "CannotProvisionPerformance",
                ACCELNET_BUS_ERROR_PREFIX "CannotProvisionPerformance",
                "The requested performance cannot be provisioned by any free VF.",
                "Choose a lower performance setting, free a NUMA-local VF, or relax the tier in accelnet.json.",
        },
        E(AN_ERROR_ENABLE_ACCELNET_FAILED) = {
                "EnableAccelNetFailed",
                ACCELNET_BUS_ERROR_PREFIX "EnableAccelNetFailed",
                "Accelerated Networking could not be enabled.",
                "See the detail of this error and 'journalctl -u accelnetd'.",
        },
        E(AN_ERROR_CLUSTER_NOT_ENOUGH_RESOURCES) = {
                "ClusterNotEnoughResources",
                ACCELNET_BUS_ERROR_PREFIX "ClusterNotEnoughResources",
                "Not enough VFs are left outside the node reserve.",
                "Disable acceleration on another VM, lower the node reserve with 'accelnetctl set --node-reserve', or add adapters to the intent.",
        },
        E(AN_ERROR_NOT_ENABLED) = {
                "NotEnabled",
                ACCELNET_BUS_ERROR_PREFIX "NotEnabled",
                "Accelerated Networking management is not enabled on this host.",
                "Run 'accelnetctl enable --intent NAME' first.",
        },
        E(AN_ERROR_NO_SUCH_VM) = {
                "NoSuchVM",
                ACCELNET_BUS_ERROR_PREFIX "NoSuchVM",
                "No such VM.",
                "Check the name with 'virsh list --all'.",
        },
        E(AN_ERROR_BUSY) = {
                "Busy",
                ACCELNET_BUS_ERROR_PREFIX "Busy",
                "The operation conflicts with work in progress or VFs in use.",
                "Retry when the other operation has finished, or release the VFs first.",
        },
        E(AN_ERROR_ALREADY_ENABLED) = {
                "AlreadyEnabled",
                ACCELNET_BUS_ERROR_PREFIX "AlreadyEnabled",
                "Already enabled with other settings.",
                "Use 'accelnetctl set' (Set) or 'accelnetctl vm set' (SetVM) to change settings in force.",
        },
        E(AN_ERROR_NO_QUORUM) = {
                "NoQuorum",
                ACCELNET_BUS_ERROR_PREFIX "NoQuorum",
                "This node is not in the quorate part of the cluster: settings and new admissions are refused "
                "until quorum returns.",
                "Check corosync ('corosync-quorumtool -s') and the links to the other nodes.",
        },
        E(AN_ERROR_INVALID_ARGS) = {
                "InvalidArgs",
                "org.freedesktop.DBus.Error.InvalidArgs",
                "Invalid argument.",
                "See 'accelnetctl --help'.",
        },
        E(AN_ERROR_ACCESS_DENIED) = {
                "AccessDenied",
                "org.freedesktop.DBus.Error.AccessDenied",
                "Access denied.",
                "Run as root or get the polkit action org.accelnet1.manage.",
        },
        E(AN_ERROR_ADAPTER_NOT_FOUND) = {
                "AdapterNotFound",
                ACCELNET_BUS_ERROR_PREFIX "AdapterNotFound",
                "No such adapter on this host.",
                "Name it by its PCI address or netdev name as 'accelnetctl adapters' lists them.",
        },
};
#undef E

static const AnErrorInfo *info(AnError e) {
        if (e < AN_ERROR_BASE || e >= _AN_ERROR_MAX)
                return NULL;
        return &an_error_info[e - AN_ERROR_BASE];
}

const char *an_error_to_string(AnError e) {
        const AnErrorInfo *i = info(e);
        return i ? i->name : NULL;
}

AnError an_error_from_string(const char *s) {
        if (!s)
                return _AN_ERROR_INVALID;
        for (int e = AN_ERROR_BASE; e < _AN_ERROR_MAX; e++)
                if (an_error_info[e - AN_ERROR_BASE].name &&
                    streq(an_error_info[e - AN_ERROR_BASE].name, s))
                        return (AnError) e;
        return _AN_ERROR_INVALID;
}

const char *an_error_bus_name(AnError e) {
        const AnErrorInfo *i = info(e);
        return i ? i->bus_name : NULL;
}

AnError an_error_from_bus_name(const char *name) {
        if (!name)
                return _AN_ERROR_INVALID;
        for (int e = AN_ERROR_BASE; e < _AN_ERROR_MAX; e++)
                if (streq(an_error_info[e - AN_ERROR_BASE].bus_name, name))
                        return (AnError) e;
        return _AN_ERROR_INVALID;
}

const char *an_error_message(AnError e) {
        const AnErrorInfo *i = info(e);
        return i ? i->message : NULL;
}

const char *an_error_remedy(AnError e) {
        const AnErrorInfo *i = info(e);
        return i ? i->remedy : NULL;
}

static const char *const sriov_support_table[_SRIOV_SUPPORT_MAX] = {
        [SRIOV_SUPPORTED] = "Supported",
        [SRIOV_UNKNOWN] = "Unknown",
        [SRIOV_MISSING_ACS] = "MissingAcs",
        [SRIOV_MISSING_PF_DRIVER] = "MissingPfDriver",
        [SRIOV_NO_BUS_RESOURCES] = "NoBusResources",
};

DEFINE_STRING_TABLE_LOOKUP(sriov_support, SriovSupport)

AnError sriov_support_to_error(SriovSupport s) {
        switch (s) {
        case SRIOV_SUPPORTED:
                return 0;
        case SRIOV_UNKNOWN:
                return AN_ERROR_SRIOV_SUPPORT_UNKNOWN;
        case SRIOV_MISSING_ACS:
                return AN_ERROR_SRIOV_SUPPORT_MISSING_ACS;
        case SRIOV_MISSING_PF_DRIVER:
                return AN_ERROR_SRIOV_SUPPORT_MISSING_PF_DRIVER;
        case SRIOV_NO_BUS_RESOURCES:
                return AN_ERROR_SRIOV_SUPPORT_NO_BUS_RESOURCES;
        default:
                return AN_ERROR_SRIOV_SUPPORT_UNKNOWN;
        }
}
