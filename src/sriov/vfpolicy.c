/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The backend-independent half of VF policy: handles, argument checks, dispatch, and the
 * one-attribute-per-request policy application. */

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>

#include "shared/log.h"
#include "shared/string-table.h"
#include "vfpolicy-internal.h"

static const char *const vf_attr_table[_VF_ATTR_MAX] = {
        [VF_ATTR_MAC] = "mac",
        [VF_ATTR_VLAN] = "vlan",
        [VF_ATTR_SPOOFCHK] = "spoofchk",
        [VF_ATTR_TRUST] = "trust",
        [VF_ATTR_RATE] = "rate",
};
DEFINE_STRING_TABLE_LOOKUP(vf_attr, VfAttr);

static const char *const vf_link_state_table[_VF_LINK_STATE_MAX] = {
        [VF_LINK_STATE_AUTO] = "auto",
        [VF_LINK_STATE_ENABLE] = "enable",
        [VF_LINK_STATE_DISABLE] = "disable",
};
DEFINE_STRING_TABLE_LOOKUP(vf_link_state, VfLinkState);

/* ---- small parsers ------------------------------------------------------------------ */

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        c = (char) tolower((unsigned char) c);
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

int vf_mac_parse(const char *s, uint8_t ret[6]) {
        uint8_t mac[6];

        if (!s || strlen(s) != VF_MAC_STRLEN - 1)
                return -EINVAL;
        for (size_t i = 0; i < 6; i++) {
                int hi = hexval(s[i * 3]), lo = hexval(s[i * 3 + 1]);
                if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':'))
                        return -EINVAL;
                mac[i] = (uint8_t) (hi << 4 | lo);
        }
        memcpy(ret, mac, sizeof mac);
        return 0;
}

char *vf_mac_format(const uint8_t mac[6], char buf[static VF_MAC_STRLEN]) {
        snprintf(buf, VF_MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                 mac[4], mac[5]);
        return buf;
}

bool vf_ifname_valid(const char *s) {
        size_t n;

        if (!s)
                return false;
        n = strlen(s);
        if (n == 0 || n >= 16 || streq(s, ".") || streq(s, ".."))
                return false;
        for (const char *p = s; *p; p++)
                if (*p == '/' || *p == ':' || isspace((unsigned char) *p) || !isprint((unsigned char) *p))
                        return false;
        return true;
}

/* ---- handles -------------------------------------------------------------------------- */

int vf_netlink_open(const SriovBackend *b, const char *root, VfNetlink **ret) {
        _cleanup_free_ VfNetlink *nl = NULL;
        int r;

        assert_return(b && b->vf_open && b->vf_close && b->vf_list && b->vf_set && ret, -EINVAL);
        nl = calloc(1, sizeof *nl);
        if (!nl)
                return -ENOMEM;
        nl->backend = b;
        r = b->vf_open(root ? root : "/", &nl->handle);
        if (r < 0) {
                log_debug_errno(r, "Opening the %s VF backend failed: %s", b->name, strerror(-r));
                return r;
        }
        *ret = TAKE_PTR(nl);
        return 0;
}

VfNetlink *vf_netlink_free(VfNetlink *nl) {
        if (!nl)
                return NULL;
        nl->backend->vf_close(nl->handle);
        return mfree(nl);
}

const SriovBackend *vf_netlink_backend(const VfNetlink *nl) {
        return nl ? nl->backend : NULL;
}

/* ---- reading ---------------------------------------------------------------------------- */

static int list_vfs(VfNetlink *nl, const char *pf_ifname, unsigned flags, VfInfo **ret, size_t *ret_n) {
        VfInfo *v = NULL;
        size_t n = 0;
        int r;

        assert_return(nl && ret && ret_n, -EINVAL);
        if (!vf_ifname_valid(pf_ifname))
                return -EINVAL;
        r = nl->backend->vf_list(nl->handle, pf_ifname, flags, &v, &n);
        if (r < 0) {
                log_debug_errno(r, "Listing VFs of %s failed: %s", pf_ifname, strerror(-r));
                return r;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

int vf_netlink_list(VfNetlink *nl, const char *pf_ifname, VfInfo **ret, size_t *ret_n) {
        return list_vfs(nl, pf_ifname, 0, ret, ret_n);
}

int vf_netlink_list_stats(VfNetlink *nl, const char *pf_ifname, VfInfo **ret, size_t *ret_n) {
        return list_vfs(nl, pf_ifname, VF_LIST_STATS, ret, ret_n);
}

int vf_netlink_get(VfNetlink *nl, const char *pf_ifname, uint32_t vf, VfInfo *ret) {
        _cleanup_free_ VfInfo *v = NULL;
        size_t n = 0;
        int r;

        assert_return(ret, -EINVAL);
        r = vf_netlink_list(nl, pf_ifname, &v, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                if (v[i].index == vf) {
                        *ret = v[i];
                        return 0;
                }
        return -EINVAL;
}

/* ---- writing ----------------------------------------------------------------------------- */

static const char *const vf_set_kind_names[_VF_SET_KIND_MAX] = {
        [VF_SET_MAC] = "mac",
        [VF_SET_VLAN] = "vlan",
        [VF_SET_SPOOFCHK] = "spoofchk",
        [VF_SET_TRUST] = "trust",
        [VF_SET_RATE] = "rate",
        [VF_SET_LINK_STATE] = "link state",
};

static void log_result(const char *pf, const VfSetRequest *req, int r) {
        if (r < 0)
                log_debug_errno(r, "%s vf %" PRIu32 ": setting %s failed: %s", pf, req->vf,
                                vf_set_kind_names[req->kind], strerror(-r));
        else
                log_debug("%s vf %" PRIu32 ": %s set", pf, req->vf, vf_set_kind_names[req->kind]);
}

/* Hands validated requests to the backend; results[i] always filled. */
static int vf_netlink_send(VfNetlink *nl, const char *pf, const VfSetRequest *reqs, size_t n, int *results) {
        int r = nl->backend->vf_set(nl->handle, pf, reqs, n, results);
        for (size_t i = 0; i < n; i++) {
                if (r < 0)
                        results[i] = r;
                else if (results[i] > 0)
                        results[i] = 0;
                log_result(pf, &reqs[i], results[i]);
        }
        return r;
}

static int vf_netlink_set(VfNetlink *nl, const char *pf, const VfSetRequest *req) {
        int result;

        assert_return(nl, -EINVAL);
        if (!vf_ifname_valid(pf) || req->vf >= (uint32_t) INT32_MAX)
                return -EINVAL;
        (void) vf_netlink_send(nl, pf, req, 1, &result);
        return result;
}

int vf_netlink_set_mac(VfNetlink *nl, const char *pf, uint32_t vf, const char *mac) {
        VfSetRequest req = { .kind = VF_SET_MAC, .vf = vf };

        if (vf_mac_parse(mac, req.mac) < 0)
                return -EINVAL;
        return vf_netlink_set(nl, pf, &req);
}

int vf_netlink_set_vlan(VfNetlink *nl, const char *pf, uint32_t vf, uint32_t vlan, uint32_t qos) {
        VfSetRequest req = { .kind = VF_SET_VLAN, .vf = vf, .vlan = vlan, .qos = qos };

        /* The kernel's own limits (rtnetlink do_setvfinfo), checked before anything is sent. */
        if (vlan > 4095 || qos > 7)
                return -EINVAL;
        return vf_netlink_set(nl, pf, &req);
}

int vf_netlink_set_spoofchk(VfNetlink *nl, const char *pf, uint32_t vf, bool on) {
        VfSetRequest req = { .kind = VF_SET_SPOOFCHK, .vf = vf, .on = on };
        return vf_netlink_set(nl, pf, &req);
}

int vf_netlink_set_trust(VfNetlink *nl, const char *pf, uint32_t vf, bool on) {
        VfSetRequest req = { .kind = VF_SET_TRUST, .vf = vf, .on = on };
        return vf_netlink_set(nl, pf, &req);
}

int vf_netlink_set_rate(VfNetlink *nl, const char *pf, uint32_t vf, uint32_t min_mbps, uint32_t max_mbps) {
        VfSetRequest req = { .kind = VF_SET_RATE, .vf = vf, .min_tx_rate = min_mbps, .max_tx_rate = max_mbps };
        return vf_netlink_set(nl, pf, &req);
}

int vf_netlink_set_link_state(VfNetlink *nl, const char *pf, uint32_t vf, VfLinkState state) {
        VfSetRequest req = { .kind = VF_SET_LINK_STATE, .vf = vf, .link_state = state };

        if ((int) state < 0 || state >= _VF_LINK_STATE_MAX)
                return -EINVAL;
        return vf_netlink_set(nl, pf, &req);
}

/* ---- policies ------------------------------------------------------------------------------ */

int vf_policy_apply(VfNetlink *nl, const char *pf, uint32_t vf, const VfPolicy *p, VfApplyResult *ret) {
        VfApplyResult res = {};
        VfSetRequest reqs[_VF_ATTR_MAX];
        VfAttr which[_VF_ATTR_MAX];
        int results[_VF_ATTR_MAX];
        uint8_t mac[6];
        size_t n = 0;
        int first = 0;

        assert_return(nl && p && ret, -EINVAL);
        if (!vf_ifname_valid(pf) || (p->mac[0] && vf_mac_parse(p->mac, mac) < 0) || p->vlan > 4095 || p->qos > 7 ||
            vf >= (uint32_t) INT32_MAX)
                return -EINVAL;

        /* One request per attribute, in VfAttr order; the backend carries on past a failing
         * one (the kernel's: one RTM_SETLINK each; the simulation's: one read and write of
         * the PF's file for all of them, each still judged on its own). */
        if (p->mac[0]) {
                reqs[n] = (VfSetRequest){ .kind = VF_SET_MAC, .vf = vf };
                memcpy(reqs[n].mac, mac, 6);
                which[n++] = VF_ATTR_MAC;
        }
        reqs[n] = (VfSetRequest){ .kind = VF_SET_VLAN, .vf = vf, .vlan = p->vlan, .qos = p->qos };
        which[n++] = VF_ATTR_VLAN;
        reqs[n] = (VfSetRequest){ .kind = VF_SET_SPOOFCHK, .vf = vf, .on = p->spoofchk };
        which[n++] = VF_ATTR_SPOOFCHK;
        reqs[n] = (VfSetRequest){ .kind = VF_SET_TRUST, .vf = vf, .on = p->trust };
        which[n++] = VF_ATTR_TRUST;
        reqs[n] = (VfSetRequest){ .kind = VF_SET_RATE, .vf = vf, .min_tx_rate = p->min_tx_rate,
                                  .max_tx_rate = p->max_tx_rate };
        which[n++] = VF_ATTR_RATE;

        (void) vf_netlink_send(nl, pf, reqs, n, results);
        for (size_t i = 0; i < n; i++) {
                int e = results[i];
                res.result[which[i]] = e;
                if (e < 0 && (first == 0 || (first == -EOPNOTSUPP && e != -EOPNOTSUPP)))
                        first = e;
        }
        *ret = res;
        return first;
}

int vf_policy_from_info(const VfInfo *i, VfPolicy *ret) {
        VfPolicy p = {};
        uint8_t mac[6];
        int defaulted = 0;

        assert_return(i && ret, -EINVAL);
        if (vf_mac_parse(i->mac, mac) < 0)
                return -EINVAL;
        vf_mac_format(mac, p.mac);
        p.vlan = i->vlan;
        p.qos = i->qos;
        if (p.vlan > 4095 || p.qos > 7)
                return -EINVAL;
        if (i->spoofchk < 0)
                defaulted = 1;
        p.spoofchk = i->spoofchk != 0; /* unknown → on, the kernel's default */
        if (i->trust < 0)
                defaulted = 1;
        p.trust = i->trust > 0;
        p.min_tx_rate = i->min_tx_rate;
        p.max_tx_rate = i->max_tx_rate;
        *ret = p;
        return defaulted;
}
