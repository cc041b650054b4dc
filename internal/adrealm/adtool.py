# adtool.py: batch operations on a Samba AD domain's own database (sam.ldb),
# for package adrealm. One Python process does what would otherwise take one
# samba-tool process (about 0.25 s) per object.
#
#   adtool.py SMB.CONF enctypes ACCOUNT VALUE   set msDS-SupportedEncryptionTypes
#   adtool.py SMB.CONF groups NAME...           create global security groups
#   adtool.py SMB.CONF join MEMBER GROUP...     add MEMBER to each GROUP
#   adtool.py SMB.CONF sid NAME...              print each account's objectSid
#
# It prints nothing else on success and exits non-zero with a message on
# failure.
import sys

import ldb
from samba.auth import system_session
from samba.dcerpc import security
from samba.ndr import ndr_unpack
from samba.param import LoadParm
from samba.samdb import SamDB


def account(db, name):
    res = db.search(base=db.domain_dn(), scope=ldb.SCOPE_SUBTREE,
                    expression="(sAMAccountName=%s)" % ldb.binary_encode(name),
                    attrs=["objectSid"])
    if len(res) != 1:
        raise SystemExit("adtool: no account %r" % name)
    return res[0]


def main(argv):
    if len(argv) < 3:
        raise SystemExit("usage: adtool.py SMB.CONF COMMAND ARGS...")
    lp = LoadParm()
    lp.load(argv[1])
    db = SamDB(url=lp.samdb_url(), session_info=system_session(), lp=lp)
    cmd, args = argv[2], argv[3:]
    if cmd == "enctypes":
        name, value = args
        m = ldb.Message()
        m.dn = account(db, name).dn
        m["e"] = ldb.MessageElement(value, ldb.FLAG_MOD_REPLACE,
                                    "msDS-SupportedEncryptionTypes")
        db.modify(m)
    elif cmd == "groups":
        db.transaction_start()
        try:
            for name in args:
                db.newgroup(name)
        except BaseException:
            db.transaction_cancel()
            raise
        db.transaction_commit()
    elif cmd == "join":
        member, groups = args[0], args[1:]
        db.transaction_start()
        try:
            for g in groups:
                db.add_remove_group_members(g, [member],
                                            add_members_operation=True)
        except BaseException:
            db.transaction_cancel()
            raise
        db.transaction_commit()
    elif cmd == "sid":
        for name in args:
            sid = ndr_unpack(security.dom_sid, account(db, name)["objectSid"][0])
            print(sid)
    else:
        raise SystemExit("adtool: unknown command %r" % cmd)


if __name__ == "__main__":
    main(sys.argv)
