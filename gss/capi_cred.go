package gss

// The C surface for keytabs and credentials: acquiring, storing and
// destroying them, and the S4U calls. capi.go says the memory rules.

/*
#include "capi.h"
*/
import "C"
import (
	"strings"
	"time"
	"unsafe"
)

// keytabHolds says what keytab ("" for the default) holds for principal
// and a ticket of key version kvno and encryption type enctype (a keytab
// that cannot be read holds nothing).
func keytabHolds(keytab, principal string, kvno, enctype int) keytabKeys {
	ckeytab, cprincipal := cString(keytab), C.CString(principal)
	defer C.free(unsafe.Pointer(ckeytab))
	defer C.free(unsafe.Pointer(cprincipal))
	return keytabKeys(C.keytab_probe(ckeytab, cprincipal, C.int(kvno), C.int(enctype)))
}

// keytabEntries returns what keytab ("" for the default) holds: one
// "principal kvno" line per entry, or ok=false if it cannot be read.
func keytabEntries(keytab string) (lines []string, ok bool) {
	ckeytab := cString(keytab)
	defer C.free(unsafe.Pointer(ckeytab))
	list := C.keytab_list(ckeytab) // owned by us: freed below
	if list == nil {
		return nil, false
	}
	defer C.free(unsafe.Pointer(list))
	return strings.Split(strings.TrimSuffix(C.GoString(list), "\n"), "\n"), true
}

// keytabKeys is what keytabHolds finds: the C enum keytab_keys.
type keytabKeys int

const (
	keyOfTheTicket    keytabKeys = C.KEYTAB_HAS_KEY
	otherEnctypesOnly keytabKeys = C.KEYTAB_OTHER_ENCTYPES
	otherVersionsOnly keytabKeys = C.KEYTAB_OTHER_VERSIONS
	noKey             keytabKeys = C.KEYTAB_NO_KEY
)

// acquireAcceptor acquires acceptor credentials for name: a principal
// ("HTTP/host@REALM"), a host-based service ("HTTP@host") when hostbased is
// set, or any key in the keytab when name is "". An empty keytab or rcache
// leaves the library default. The caller owns the credential.
func acquireAcceptor(name string, hostbased bool, keytab, rcache string) (credID, error) {
	cname, ckeytab, crcache := cString(name), cString(keytab), cString(rcache)
	defer C.free(unsafe.Pointer(cname))
	defer C.free(unsafe.Pointer(ckeytab))
	defer C.free(unsafe.Pointer(crcache))
	hb := C.int(0)
	if hostbased {
		hb = 1
	}
	var st status
	var cred credID
	st.major = C.acquire_acceptor(&st.minor, cname, hb, ckeytab, crcache, &cred)
	if st.failed() {
		return nil, st.err("acquire acceptor credentials")
	}
	return cred, nil
}

// storeCred writes the initiator elements of cred into ccache, replacing
// what the cache held.
func storeCred(cred credID, ccache string) error {
	cc := C.CString(ccache)
	defer C.free(unsafe.Pointer(cc))
	var st status
	st.major = C.store_initiator(&st.minor, cred, cc)
	if st.failed() {
		return st.err("store credentials")
	}
	return nil
}

// defaultKeytabName returns the name of the library's default keytab, or
// "" if the library cannot say.
func defaultKeytabName() string {
	n := C.default_keytab_name()
	if n == nil {
		return ""
	}
	defer C.free(unsafe.Pointer(n))
	return C.GoString(n)
}

// destroyCCache destroys the credential cache named ccache and the tickets
// it holds.
func destroyCCache(ccache string) error {
	cc := C.CString(ccache)
	defer C.free(unsafe.Pointer(cc))
	if code := C.destroy_ccache(cc); code != 0 {
		return newError("krb5_cc_destroy", routineFailure<<16, uint32(code), ccache)
	}
	return nil
}

// acquireProxy acquires a service credential for S4U (see acquire_proxy in
// capi.c): accepting with keytab's keys and initiating as name ("" for the
// keytab's first principal, and then accepting any key of the keytab),
// with the service's own TGT, from keytab, kept in ccache. An empty rcache
// leaves the library default. The caller owns the credential, and destroys
// ccache when it is done with it.
func acquireProxy(name, keytab, ccache, rcache string) (credID, error) {
	cname, ckeytab, cccache, crcache := cString(name), C.CString(keytab), C.CString(ccache), cString(rcache)
	defer C.free(unsafe.Pointer(cname))
	defer C.free(unsafe.Pointer(ckeytab))
	defer C.free(unsafe.Pointer(cccache))
	defer C.free(unsafe.Pointer(crcache))
	var st status
	var cred credID
	st.major = C.acquire_proxy(&st.minor, cname, ckeytab, cccache, crcache, &cred)
	if st.failed() {
		return nil, st.err("acquire S4U service credentials")
	}
	return cred, nil
}

// credLifetime returns how long cred has left (GSS_C_INDEFINITE: no end,
// reported as a century).
func credLifetime(cred credID) (time.Duration, error) {
	var st status
	var life C.OM_uint32
	st.major = C.cred_lifetime(&st.minor, cred, &life)
	if st.failed() {
		return 0, st.err("gss_inquire_cred")
	}
	if life == C.GSS_C_INDEFINITE {
		return 100 * 365 * 24 * time.Hour, nil
	}
	return time.Duration(life) * time.Second, nil
}

// impersonateName gets, with the S4U service credential cred, a
// credential for user through S4U2Self. The caller owns it.
func impersonateName(cred credID, user string) (credID, error) {
	cu := C.CString(user)
	defer C.free(unsafe.Pointer(cu))
	var st status
	var out credID
	st.major = C.impersonate(&st.minor, cred, cu, &out)
	if st.failed() {
		return nil, st.err("gss_acquire_cred_impersonate_name")
	}
	return out, nil
}

// evidenceFlags returns the flags of the ticket a proxy credential holds
// for its client (see evidence_flags in capi.c).
func evidenceFlags(cred credID) (uint32, error) {
	var st status
	var flags C.OM_uint32
	st.major = C.evidence_flags(&st.minor, cred, &flags)
	if st.failed() {
		return 0, st.err("read the S4U2Self ticket's flags")
	}
	return uint32(flags), nil
}

// acquireInitiator acquires initiator credentials for mech (an OID TLV of
// oid.go) from ccache ("" for the library's default cache). The caller owns
// the credential.
func acquireInitiator(ccache string, mech []byte) (credID, error) {
	cc := cString(ccache)
	defer C.free(unsafe.Pointer(cc))
	oid := mech[2:] // the library reads the OID during the call and keeps none of it (RFC 2744 section 3.2)
	var st status
	var cred credID
	st.major = C.acquire_initiator(&st.minor, cc, unsafe.Pointer(&oid[0]), C.size_t(len(oid)), &cred)
	if st.failed() {
		return nil, st.err("acquire initiator credentials")
	}
	return cred, nil
}
