/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <strings.h>

#include "shared/macro.h"
#include "shared/strutil.h"
#include "vf.h"

static void settings_to_policy(const VfSettings *v, VfPolicy *ret) {
        *ret = (VfPolicy){ .vlan = v->vlan, .qos = v->qos, .spoofchk = v->spoofchk, .trust = v->trust,
                           .min_tx_rate = v->min_tx_rate, .max_tx_rate = v->max_tx_rate };
        snprintf(ret->mac, sizeof ret->mac, "%s", v->mac);
}

int vf_apply_policy(VfNetlink *nl, const char *pf_ifname, unsigned index, const VfPolicy *p, bool rates_required,
                    AnStatus *st, char *warnings, size_t warnings_size) {
        VfApplyResult res = {};
        StrBuf w = {};
        int r;

        if (warnings_size)
                warnings[0] = 0;
        r = vf_policy_apply(nl, pf_ifname, index, p, &res);
        bool none_sent = true;
        for (int a = 0; a < _VF_ATTR_MAX; a++)
                if (res.result[a] != 0)
                        none_sent = false;
        if (r < 0 && none_sent) /* refused before anything was sent: a bad PF name or policy */
                return an_status_set(st, -AN_ERROR_ENABLE_ACCELNET_FAILED, "VF policy for VF %u of %s refused: %s.",
                                     index, pf_ifname, strerror(-r));
        for (int a = 0; a < _VF_ATTR_MAX; a++) {
                int e = res.result[a];
                if (e == 0)
                        continue;
                bool unsupported = e == -EOPNOTSUPP || e == -EINVAL;
                bool fatal = a == VF_ATTR_MAC || (a == VF_ATTR_VLAN && p->vlan > 0) ||
                             (a == VF_ATTR_RATE && rates_required) || (!unsupported && a != VF_ATTR_RATE);
                if (fatal) {
                        strbuf_done(&w);
                        return an_status_set(st,
                                             a == VF_ATTR_RATE ? -AN_ERROR_CANNOT_PROVISION_PERFORMANCE
                                                               : -AN_ERROR_ENABLE_ACCELNET_FAILED,
                                             "Setting %s of VF %u of %s failed: %s%s.", vf_attr_to_string((VfAttr) a),
                                             index, pf_ifname, strerror(-e),
                                             a == VF_ATTR_RATE ? " (the tier requires its rates: rates_required)" : "");
                }
                strbuf_appendf(&w, "%s%s not supported by the %s driver (%s)", w.len ? "; " : "",
                               vf_attr_to_string((VfAttr) a), pf_ifname, strerror(-e));
        }
        if (w.s && warnings_size)
                snprintf(warnings, warnings_size, "%s", w.s);
        strbuf_done(&w);
        return 0;
}

int vf_restore(VfNetlink *nl, const char *pf_ifname, unsigned index, const VfSettings *saved) {
        VfApplyResult res = {};
        VfPolicy p;

        if (!saved->valid)
                return 0;
        settings_to_policy(saved, &p);
        int r = vf_policy_apply(nl, pf_ifname, index, &p, &res);
        /* The link state too: servicing takes it down before an unplug (drivers without VF
         * link control, igb, say EOPNOTSUPP: nothing was changed there). */
        int k = vf_netlink_set_link_state(nl, pf_ifname, index,
                                          saved->link_state <= STATE_LINK_STATE_MAX ? (VfLinkState) saved->link_state
                                                                                    : VF_LINK_STATE_AUTO);
        if (r == -EOPNOTSUPP)
                r = 0;
        if (k == -EOPNOTSUPP)
                k = 0;
        return r < 0 ? r : k;
}

int vf_read_settings(VfNetlink *nl, const char *pf_ifname, unsigned index, VfSettings *ret) {
        VfInfo info;
        VfPolicy p;
        int r;

        r = vf_netlink_get(nl, pf_ifname, index, &info);
        if (r < 0)
                return r;
        (void) vf_policy_from_info(&info, &p);
        *ret = (VfSettings){ .valid = true, .vlan = p.vlan, .qos = p.qos, .spoofchk = p.spoofchk, .trust = p.trust,
                             .min_tx_rate = p.min_tx_rate, .max_tx_rate = p.max_tx_rate,
                             .link_state = info.link_state > 0 && info.link_state <= (int) STATE_LINK_STATE_MAX
                                                   ? (uint32_t) info.link_state
                                                   : STATE_LINK_STATE_AUTO };
        snprintf(ret->mac, sizeof ret->mac, "%s", p.mac);
        return 0;
}

bool vf_matches_policy(const VfInfo *i, const VfPolicy *p) {
        return strcasecmp(i->mac, p->mac) == 0 && i->vlan == p->vlan && (i->spoofchk < 0 || i->spoofchk == p->spoofchk) &&
               (i->trust < 0 || i->trust == p->trust);
}
