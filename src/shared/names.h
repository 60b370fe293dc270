/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Every name that crosses a process boundary, declared once: the daemon, the CLI, the hook
 * and the tests' C code all take them from here. */

#define ACCELNET_BUS_NAME "org.accelnet1"
#define ACCELNET_BUS_PATH "/org/accelnet1"
#define ACCELNET_BUS_MANAGER_INTERFACE "org.accelnet1.Manager"
#define ACCELNET_BUS_HOOK_INTERFACE "org.accelnet1.Hook"
#define ACCELNET_BUS_ERROR_PREFIX "org.accelnet1.Error."
#define ACCELNET_POLKIT_ACTION_MANAGE "org.accelnet1.manage"

/* The alias prefix of every device accelnet puts into a domain's XML ("user alias": libvirt
 * keeps aliases that start with "ua-"), and the alias of the VF interface itself: one per VM,
 * the same on every re-plug whatever VF it carries (QEMU refuses a second primary with
 * another alias for the same standby). */
#define ACCELNET_ALIAS_PREFIX "ua-accelnet-"
#define ACCELNET_VF_ALIAS ACCELNET_ALIAS_PREFIX "vf"

/* The domain's own record of its setting: <metadata><accelnet:vm performance='Medium'/>. */
#define ACCELNET_METADATA_URI "https://accelnet.dev/xmlns/domain/1"
#define ACCELNET_METADATA_PREFIX "accelnet"
#define ACCELNET_METADATA_ELEMENT "vm"

/* The values of ListVMs' state column (and of VMChanged's state for these two). */
#define ACCELNET_VM_STATE_ENABLED "enabled"
#define ACCELNET_VM_STATE_DISABLED "disabled"
/* VMChanged: an accelerated VM found no free VF and waits for one (runs on virtio) */
#define ACCELNET_VM_STATE_WAITING "waiting"
/* VMChanged: servicing took its VF away (DrainAdapter, RevokeVM, an adapter Failed); it runs on
 * virtio and keeps its setting */
#define ACCELNET_VM_STATE_REVOKED "revoked"
/* ListVMs' and ListClusterVMs' note of an accelerated VM that found no free VF and runs on
 * virtio until one frees: it starts with this ("waiting for a VF since … UTC (…): why"). */
#define ACCELNET_NOTE_WAITING "waiting for a VF"
/* ListNodes: a member of the current membership, or a node seen before and gone */
#define ACCELNET_NODE_STATE_MEMBER "member"
#define ACCELNET_NODE_STATE_LOST "lost"

/* The values of GetPrerequisites' result column. */
#define ACCELNET_PREREQ_PASSED "Passed"
#define ACCELNET_PREREQ_WARNING "Warning"
#define ACCELNET_PREREQ_FAILED "Failed"
