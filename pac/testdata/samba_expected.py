#!/usr/bin/python3
# samba_expected.py PAC_FILE...: for each PAC file, write PAC_FILE.json with
# what Samba's own NDR decoder (the samba.dcerpc.krb5pac Python bindings)
# reads from it. The Go tests compare package pac's decoding with these
# files, so the expected values come from an independent implementation.
# Run with the Python that has Samba's modules (Debian: /usr/bin/python3
# with python3-samba).
import json
import sys

from samba.dcerpc import krb5pac
from samba.ndr import ndr_unpack


def s(x):
    return "" if x is None else str(x)


def groups(arr):
    if arr is None or arr.rids is None:
        return []
    return [{"rid": g.rid, "attributes": g.attributes} for g in arr.rids]


def logon_info(info):
    b = info.info3.base
    out = {
        "effective_name": s(b.account_name.string),
        "full_name": s(b.full_name.string),
        "logon_script": s(b.logon_script.string),
        "profile_path": s(b.profile_path.string),
        "home_directory": s(b.home_directory.string),
        "home_drive": s(b.home_drive.string),
        "logon_count": b.logon_count,
        "bad_password_count": b.bad_password_count,
        "user_id": b.rid,
        "primary_group_id": b.primary_gid,
        "group_ids": groups(b.groups),
        "user_flags": b.user_flags,
        "logon_server": s(b.logon_server.string),
        "logon_domain_name": s(b.logon_domain.string),
        "logon_domain_id": s(b.domain_sid),
        "user_account_control": b.acct_flags,
        "logon_time": b.logon_time,
        "password_last_set": b.last_password_change,
        "extra_sids": [{"sid": s(x.sid), "attributes": x.attributes}
                       for x in (info.info3.sids or [])][:info.info3.sidcount],
        "resource_group_domain_sid": s(info.resource_groups.domain_sid),
        "resource_group_ids": groups(info.resource_groups.groups),
    }
    return out


def main():
    for path in sys.argv[1:]:
        blob = open(path, "rb").read()
        pac = ndr_unpack(krb5pac.PAC_DATA, blob)
        out = {"buffers": []}
        for buf in pac.buffers:
            out["buffers"].append(buf.type)
            t = buf.type
            if t == krb5pac.PAC_TYPE_LOGON_INFO:
                out["logon_info"] = logon_info(buf.info.info)
            elif t == krb5pac.PAC_TYPE_LOGON_NAME:
                out["client_info"] = {"name": s(buf.info.account_name),
                                      "client_id": buf.info.logon_time}
            elif t == krb5pac.PAC_TYPE_UPN_DNS_INFO:
                u = buf.info
                d = {"upn": s(u.upn_name), "dns_domain_name": s(u.dns_domain_name),
                     "flags": u.flags}
                if u.flags & 2:
                    d["sam_name"] = s(u.ex.samaccountname)
                    d["sid"] = s(u.ex.objectsid)
                out["upn_dns_info"] = d
            elif t == krb5pac.PAC_TYPE_CONSTRAINED_DELEGATION:
                c = buf.info.info
                out["delegation_info"] = {
                    "target": s(c.proxy_target.string),
                    "transited": [s(x.string) for x in (c.transited_services or [])],
                }
            elif t in (krb5pac.PAC_TYPE_SRV_CHECKSUM, krb5pac.PAC_TYPE_KDC_CHECKSUM,
                       krb5pac.PAC_TYPE_TICKET_CHECKSUM, getattr(krb5pac, "PAC_TYPE_FULL_CHECKSUM", 19)):
                out.setdefault("signatures", {})[str(t)] = {
                    "type": buf.info.type, "value": bytes(buf.info.signature).hex()}
            elif t == getattr(krb5pac, "PAC_TYPE_ATTRIBUTES_INFO", 17):
                out["attributes"] = {"flags_length": buf.info.flags_length,
                                     "flags": buf.info.flags}
            elif t == getattr(krb5pac, "PAC_TYPE_REQUESTER_SID", 18):
                out["requestor_sid"] = s(buf.info.sid)
        with open(path + ".json", "w") as f:
            json.dump(out, f, indent=1, sort_keys=True)
            f.write("\n")


main()
