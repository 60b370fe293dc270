/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The libvirt client of accelnet: connection, domain facts, VF attach/detach, events.
 * This folder is the only place that includes libvirt headers; nothing here exposes a
 * libvirt type or error.
 *
 * Errors: functions return >= 0 on success, a negative errno on failure, or
 * -AN_ERROR_NO_SUCH_VM when the domain does not exist. libvirt's errors are mapped:
 *   no such domain → -AN_ERROR_NO_SUCH_VM, not supported by the driver/host → -EOPNOTSUPP,
 *   invalid XML/argument/operation → -EINVAL, connection lost → -ENOTCONN,
 *   access denied → -EACCES, timeout → -ETIMEDOUT, system error → its errno,
 *   anything else → -EIO.
 * After a failure, virt_last_error() returns a message for that failure (libvirt's
 * message, or ours). It is per thread, like errno, and stays valid until the next virt_*
 * call on the same thread. libvirt's default error printer is silenced.
 *
 * Threads: connection lifecycle (virt_conn_new, virt_conn_free, reconnects) and event
 * callbacks stay on the sd-event loop thread. Functions that only use a connection
 * (virt_list_domains, virt_domain_get, virt_domain_attach_vf, virt_domain_detach_vf,
 * virt_conn_version, virt_conn_is_alive) may be called from any thread while the loop
 * runs: each call takes its own reference on the current libvirt connection under
 * VirtConn's mutex, so a reconnect on the loop thread does not pull the connection from
 * under it. The caller must not free the VirtConn while such calls are in flight (join
 * the workers first). Results (VirtDomain, name lists) are owned by the caller and
 * belong to no connection.
 *
 * Library layer: nothing here logs above debug. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "shared/macro.h"
#include "virt/virt-event.h"

/* ---- connection ---- */

typedef struct VirtConn VirtConn;

typedef enum VirtEvent {
        VIRT_EVENT_DEFINED,
        VIRT_EVENT_UNDEFINED,
        VIRT_EVENT_STARTED,
        VIRT_EVENT_STOPPED,
        VIRT_EVENT_DEVICE_REMOVED,   /* detail: the device alias */
        VIRT_EVENT_METADATA_CHANGED, /* accelnet's <metadata> element only; detail: its URI */
        VIRT_EVENT_DEVICE_ADDED,     /* detail: the device alias */
        _VIRT_EVENT_MAX,
        _VIRT_EVENT_INVALID = -22,
} VirtEvent;

const char *virt_event_to_string(VirtEvent e);
VirtEvent virt_event_from_string(const char *s);

/* Called on the loop thread. `domain` and `detail` are borrowed for the call. detail:
 * the lifecycle detail ("added", "updated", "booted", "shutdown", "destroyed", ...); for
 * DEVICE_REMOVED and DEVICE_ADDED, the alias of the device; for METADATA_CHANGED (sent only
 * for ACCELNET_METADATA_URI, on CONFIG and LIVE changes alike), that URI. */
typedef void (*VirtEventHandler)(VirtConn *vc, const char *domain, VirtEvent ev, const char *detail,
                                 void *userdata);
/* Called on the loop thread after a lost connection was re-established (events are
 * registered again by then); the daemon reconciles here. */
typedef void (*VirtReconnectHandler)(VirtConn *vc, void *userdata);

/* Opens `uri` (NULL = libvirt's default) read-write. virt_event_register(e) is done here
 * if not yet done. Sets keepalive (5 s, 3 missed) where the driver supports it and
 * watches for the connection closing: then it reconnects on `e` with back-off 1 s,
 * doubling to 30 s. */
int virt_conn_new(sd_event *e, const char *uri, VirtConn **ret);
VirtConn *virt_conn_free(VirtConn *vc);
DEFINE_TRIVIAL_CLEANUP_FUNC(VirtConn *, virt_conn_free);

/* Handlers may be set at any time on the loop thread; NULL unsets. */
void virt_conn_set_event_handler(VirtConn *vc, VirtEventHandler h, void *userdata);
void virt_conn_set_reconnect_handler(VirtConn *vc, VirtReconnectHandler h, void *userdata);

/* libvirt's library version, "9.0.0": of the daemon behind the connection when vc is
 * given and connected, else of the client library. Owned string. */
int virt_conn_version(VirtConn *vc, char **ret);
/* True when connected and libvirt considers the connection alive. */
bool virt_conn_is_alive(VirtConn *vc);
/* The message of this thread's last failed virt_* call ("" if none). Borrowed. */
const char *virt_last_error(void);

/* Every domain, active and inactive, sorted by name. Owned: free with virt_strv_free. */
int virt_list_domains(VirtConn *vc, char ***ret_names, size_t *ret_n);
void virt_strv_free(char **v, size_t n);

/* ---- domain facts ---- */

typedef enum VirtIfaceType {
        VIRT_IFACE_NETWORK,
        VIRT_IFACE_BRIDGE,
        VIRT_IFACE_DIRECT,
        VIRT_IFACE_HOSTDEV,
        VIRT_IFACE_ETHERNET,
        VIRT_IFACE_USER,
        VIRT_IFACE_VHOSTUSER,
        VIRT_IFACE_VDPA,
        VIRT_IFACE_OTHER,
        _VIRT_IFACE_TYPE_MAX,
        _VIRT_IFACE_TYPE_INVALID = -22,
} VirtIfaceType;

const char *virt_iface_type_to_string(VirtIfaceType t);
VirtIfaceType virt_iface_type_from_string(const char *s);

typedef enum VirtTeaming {
        VIRT_TEAMING_NONE,
        VIRT_TEAMING_PERSISTENT,
        VIRT_TEAMING_TRANSIENT,
        _VIRT_TEAMING_MAX,
        _VIRT_TEAMING_INVALID = -22,
} VirtTeaming;

const char *virt_teaming_to_string(VirtTeaming t);
VirtTeaming virt_teaming_from_string(const char *s);

typedef struct VirtIface {
        VirtIfaceType type;       /* unknown types: VIRT_IFACE_OTHER, raw name in type_name */
        char *type_name;          /* the type attribute as written */
        char *model;              /* "virtio", ...; NULL if none */
        char *mac;                /* lower case; NULL if none */
        char *alias;              /* NULL if none */
        unsigned vlan;            /* first <vlan><tag id>; 0 = none */
        VirtTeaming teaming;
        char *teaming_persistent; /* transient: alias of the persistent NIC */
        char *pci;                /* hostdev with a PCI source: "0000:01:10.1" */
        bool managed;             /* hostdev managed='yes' */
} VirtIface;

typedef struct VirtNamedSet {
        unsigned id;     /* memnode cellid / vcpupin vcpu */
        char *mode;      /* memnode mode; NULL for vcpupin */
        char *set;       /* nodeset / cpuset, raw ("0-3,^2") */
} VirtNamedSet;

typedef struct VirtDomain {
        char *name;
        char *uuid;
        bool active;          /* running (or paused): has a live definition */
        unsigned vcpus;       /* current vCPUs */
        unsigned vcpus_max;
        /* NUMA placement, raw strings (NULL when absent), from the live definition when
         * active, else the persistent one. The caller maps CPUs to host nodes. */
        char *vcpu_placement; /* <vcpu placement> */
        char *vcpu_cpuset;    /* <vcpu cpuset> */
        char *numa_mode;      /* <numatune><memory mode> */
        char *numa_nodeset;   /* <numatune><memory nodeset> */
        char *numa_placement; /* <numatune><memory placement> */
        VirtNamedSet *memnodes; /* <numatune><memnode cellid mode nodeset> */
        size_t n_memnodes;
        VirtNamedSet *vcpupins; /* <cputune><vcpupin vcpu cpuset> */
        size_t n_vcpupins;
        /* network interfaces: persistent definition, and live one when active */
        VirtIface *ifaces;
        size_t n_ifaces;
        VirtIface *live_ifaces;
        size_t n_live_ifaces;
        /* accelnet's setting, from the persistent definition's <metadata>: an element
         * <vm> in namespace ACCELNET_METADATA_URI (any prefix) exists; its `performance`
         * attribute as written (not judged here), NULL when absent. */
        bool accel;
        char *accel_performance;
} VirtDomain;

/* Returns 0, -AN_ERROR_NO_SUCH_VM, or another error. The VirtDomain is owned. Reads the
 * domain's XML once when it is inactive, twice (live and persistent) when it is active. */
int virt_domain_get(VirtConn *vc, const char *name, VirtDomain **ret);
/* The same facts from the XML alone (no libvirt): config_xml is the persistent definition
 * (VIR_DOMAIN_XML_INACTIVE), live_xml the running one or NULL for an inactive domain
 * (->active is live_xml != NULL). Name, UUID, placement and the live interfaces come from
 * the live definition when given. 0, -EBADMSG (not well-formed, not a <domain>, no <name>:
 * virt_last_error() says which), -EINVAL (config_xml NULL), -ENOMEM. */
int virt_domain_parse(const char *config_xml, const char *live_xml, VirtDomain **ret);
VirtDomain *virt_domain_free(VirtDomain *d);
/* Every domain with its facts (as virt_domain_get), read with up to `threads` calls to
 * libvirt in flight; sorted by name. Domains that vanish between the list and their read are
 * left out. *ret (an array of owned VirtDomain) is free()d after each element. */
int virt_domains_read_all(VirtConn *vc, unsigned threads, VirtDomain ***ret, size_t *ret_n);
DEFINE_TRIVIAL_CLEANUP_FUNC(VirtDomain *, virt_domain_free);

/* The facts after accelnet's own change (a VF attached or detached, the setting written),
 * for a caller that knows what it did and need not read the domain again. */
int virt_domain_note_vf(VirtDomain *d, const char *pci, const char *mac, unsigned vlan, const char *alias, bool live);
void virt_domain_forget_vf(VirtDomain *d, const char *pci);
int virt_domain_note_accel(VirtDomain *d, const char *performance);

/* First interface with that MAC (case-insensitive) in the array; borrowed or NULL. */
const VirtIface *virt_iface_find_mac(const VirtIface *v, size_t n, const char *mac);
/* First hostdev interface with that PCI source address (any spelling pci_addr_parse
 * accepts); borrowed or NULL. */
const VirtIface *virt_iface_find_pci(const VirtIface *v, size_t n, const char *pci);

/* ---- accelnet's setting in the domain's <metadata> ---- */

/* performance non-NULL: writes <accelnet:vm performance='PERFORMANCE'/> (namespace
 * ACCELNET_METADATA_URI) into the persistent definition, and into the live one too when the
 * domain runs (when the driver refuses the live change, the persistent one alone is made).
 * NULL: removes the element from both. Idempotent. PERFORMANCE is a tier name (Low, Medium,
 * High; any case, written as given): -EINVAL otherwise, naming it. Returns 0,
 * -AN_ERROR_NO_SUCH_VM, or a mapped libvirt error. */
int virt_domain_set_accel(VirtConn *vc, const char *domain, const char *performance);

/* ---- VF attach / detach ---- */

/* Where a VF stands after attach: live now, or in the persistent config only. */
typedef enum VirtLive {
        VIRT_LIVE_ATTACHED,           /* live now (and in the persistent config) */
        VIRT_LIVE_NOT_RUNNING,        /* applies at next start: domain not running */
        VIRT_LIVE_NOT_TEAMED_AT_BOOT, /* applies at next start: the running virtio NIC
                                       * has no <teaming type='persistent'/> (failover is
                                       * negotiated at boot) */
        VIRT_LIVE_UNSUPPORTED,        /* applies at next start: the driver or host cannot
                                       * attach live (test driver, no passthrough) */
        VIRT_LIVE_FAILED,             /* applies at next start: live attach failed */
        _VIRT_LIVE_MAX,
        _VIRT_LIVE_INVALID = -22,
} VirtLive;

const char *virt_live_to_string(VirtLive l);
VirtLive virt_live_from_string(const char *s);

typedef struct VirtAttachArgs {
        const char *domain;
        const char *vf_pci;      /* "0000:01:10.1" */
        const char *mac;         /* MAC the VF gets (normally the virtio NIC's) */
        unsigned vlan;           /* 0 = none, else 1..4094 */
        const char *alias;       /* hostdev alias, must start with "ua-accelnet-" */
        const char *virtio_mac;  /* the virtio NIC to pair with */
} VirtAttachArgs;

typedef struct VirtAttachResult {
        bool changed_config;  /* false: the hostdev was already in the persistent config */
        VirtLive live;
        char virtio_alias[64]; /* alias the virtio NIC has (or got) in the config */
        char message[256];    /* why not live (libvirt's message), "" when live */
} VirtAttachResult;

/* Adds the VF to the persistent config, paired with the virtio NIC (alias and
 * <teaming type='persistent'/> on the virtio NIC, <teaming type='transient'> on the VF),
 * then live when the domain runs and its live virtio NIC is teamed. Idempotent.
 * Errors: -AN_ERROR_NO_SUCH_VM; -AN_ERROR_GET_NETWORK_ADAPTER_FAILED when no interface
 * has virtio_mac; -EINVAL bad arguments; -EEXIST the VF is attached under another
 * alias, or the domain has another VF paired with this virtio NIC; libvirt errors.
 * A failed live attach is not an error: see result->live. */
int virt_domain_attach_vf(VirtConn *vc, const VirtAttachArgs *args, VirtAttachResult *ret);

typedef struct VirtDetachResult {
        bool changed_config;  /* removed from the persistent config */
        bool detached_live;   /* removed from the running domain */
} VirtDetachResult;

/* Removes the VF (by PCI address) from the running domain and the persistent config,
 * and the <teaming> of its virtio partner in the persistent config (its alias stays).
 * Live removal is complete when the live XML no longer lists the device; waits at most
 * timeout_usec (polling every 100 ms, blocking the calling thread: call it from a worker)
 * and then returns -ETIMEDOUT. When the live removal fails (-ETIMEDOUT, or -EOPNOTSUPP
 * e.g. the test driver) the persistent config is still updated and *ret is still filled:
 * the VF must then be treated as in use (a DEVICE_REMOVED event follows if the guest lets
 * go). Idempotent: a VF that is not there is success with nothing changed. */
int virt_domain_detach_vf(VirtConn *vc, const char *domain, const char *vf_pci, uint64_t timeout_usec,
                          VirtDetachResult *ret);

/* ---- domain XML given to the hook at migration (no connection needed; untrusted) ---- */

typedef struct VirtXmlVf {
        char pci[20];    /* "0000:01:10.1" (PCI_ADDR_STRLEN) */
        char mac[18];    /* lower case; "" when the hostdev has none */
        unsigned vlan;   /* 1..4094; 0 = none */
} VirtXmlVf;

typedef struct VirtXmlAccel {
        VirtXmlVf *vfs;  /* accelnet's VF hostdevs: <interface type='hostdev'> under
                          * <domain><devices> with an alias starting with ACCELNET_ALIAS_PREFIX */
        size_t n_vfs;
        bool accel;        /* <accelnet:vm> in <metadata> (namespace ACCELNET_METADATA_URI) */
        char *performance; /* its attribute as written (a tier name, any case); NULL if none */
} VirtXmlAccel;

/* Reads accelnet's part of a domain XML from another host. Every value returned is checked:
 * the PCI source address (bus 0..0xff, slot 0..0x1f, function 0..7, domain 32 bits), the
 * MAC (xx:xx:xx:xx:xx:xx, unicast, not all zero), the VLAN (one <tag id> in 1..4094, no
 * trunk) and the performance (Low, Medium or High). Returns 0; -EBADMSG when the XML is not
 * a well-formed <domain> document within DOMXML_MAX_SIZE (pass it on unchanged: libvirt
 * judges it); -EINVAL when one of the values is bad (virt_last_error() names it:
 * "VLAN tag id '99999' of interface 'ua-accelnet-vf' is not in 1..4094"); -ENOMEM.
 * *ret is written only on success; release it with virt_xml_accel_done(). */
int virt_xml_accel_parse(const char *xml, VirtXmlAccel *ret);
void virt_xml_accel_done(VirtXmlAccel *a);

/* The XML with the source address of accelnet's hostdev at old_vf changed to new_vf. Only
 * that changes: the alias stays (it is per VM, never per VF), and everything else of the
 * document (comments, other namespaces, the DOCTYPE, entity references) is written back as
 * it was. -ENOENT when old_vf is not one of accelnet's hostdevs in it; -EINVAL for a bad
 * address (either argument, or a bad value in the hostdevs as virt_xml_accel_parse judges);
 * -EBADMSG as virt_xml_accel_parse. */
int virt_xml_retarget_vf(const char *xml, const char *old_vf, const char *new_vf, char **ret);
/* The XML without accelnet's hostdev at `vf` (an incoming VM that finds no free VF here
 * arrives on virtio): that <interface> element goes (each one at that address), everything
 * else stays as it was (the
 * virtio NIC with its teaming and alias, the accelnet setting). Errors as
 * virt_xml_retarget_vf. */
int virt_xml_drop_vf(const char *xml, const char *vf, char **ret);
