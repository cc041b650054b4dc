package gss

// This file and capi_cred.go, with capi.h, capi.c and capi_cred.c, are the
// whole C surface of the package: thin Go wrappers around the GSS-API
// calls, the way an HTTP acceptor and its client need them (the minor
// status kept, handles shared between calls). This file holds names,
// contexts and the library's configuration; capi_cred.go keytabs and
// credentials. Everything above these files is plain Go.
//
// Memory rules, following go-gssapi-c's CONTRIBUTING.md:
//   - every buffer or handle the library allocates has an owner comment and
//     is released right after the success check, or handed to an owner;
//   - data is copied out with C.GoBytes / C.GoStringN before release;
//   - Go bytes are passed as (pointer, length) to a C helper that builds the
//     gss_buffer_desc on the C stack, so no Go memory is held past the call.

/*
#cgo pkg-config: krb5-gssapi krb5
#include "capi.h"
*/
import "C"

import (
	"strings"
	"time"
	"unsafe"
)

// Handles the rest of the package holds. Their zero value (nil) is
// GSS_C_NO_CREDENTIAL / GSS_C_NO_NAME.
type (
	credID = C.gss_cred_id_t
	nameID = C.gss_name_t
	ctxID  = C.gss_ctx_id_t
)

// status is the raw outcome of one GSS-API call.
type status struct {
	major, minor C.OM_uint32
}

// failed reports a calling or routine error (RFC 2744 section 3.9.1);
// supplementary bits alone are informational.
func (s status) failed() bool { return uint32(s.major)&0xffff0000 != 0 }

// err turns a failed status into an *Error for operation op.
func (s status) err(op string) *Error {
	return newError(op, uint32(s.major), uint32(s.minor), displayStatus(s.major, s.minor))
}

// displayStatus asks the library for the text of both halves of a status.
func displayStatus(major, minor C.OM_uint32) string {
	var parts []string
	parts = appendStatusText(parts, major, C.GSS_C_GSS_CODE)
	if minor != 0 {
		parts = appendStatusText(parts, minor, C.GSS_C_MECH_CODE)
	}
	return strings.Join(parts, ": ")
}

func appendStatusText(parts []string, code C.OM_uint32, kind C.int) []string {
	var more C.OM_uint32
	for {
		var minor C.OM_uint32
		var text C.gss_buffer_desc // owned by us: released below
		if C.gss_display_status(&minor, code, kind, C.GSS_C_NO_OID, &more, &text) != C.GSS_S_COMPLETE {
			return parts
		}
		parts = append(parts, C.GoStringN((*C.char)(text.value), C.int(text.length)))
		C.gss_release_buffer(&minor, &text)
		if more == 0 {
			return parts
		}
	}
}

// nameKind selects how importName interprets its string.
type nameKind int

const (
	hostbasedName nameKind = iota // "service@host" (GSS_C_NT_HOSTBASED_SERVICE)
	principalName                 // "service/host@REALM" (GSS_KRB5_NT_PRINCIPAL_NAME)
)

// importName imports s as a GSS name. The caller owns the name and releases
// it with releaseName.
func importName(s string, kind nameKind) (nameID, error) {
	hostbased := C.int(0)
	if kind == hostbasedName {
		hostbased = 1
	}
	cs := C.CString(s) // owned here: freed below, the library copies it
	defer C.free(unsafe.Pointer(cs))
	var st status
	var name nameID = C.GSS_C_NO_NAME
	st.major = C.import_name(&st.minor, cs, hostbased, &name)
	if st.failed() {
		return C.GSS_C_NO_NAME, st.err("gss_import_name")
	}
	return name, nil
}

// releaseName releases *name and clears it. The handle is copied to a local
// first: *name may sit in a Go struct that holds Go pointers, which cgo must
// not see.
func releaseName(name *nameID) {
	if n := *name; n != nil {
		var minor C.OM_uint32
		C.gss_release_name(&minor, &n)
		*name = nil
	}
}

// releaseCred releases *cred and clears it, like releaseName.
func releaseCred(cred *credID) {
	if c := *cred; c != nil {
		var minor C.OM_uint32
		C.gss_release_cred(&minor, &c)
		*cred = nil
	}
}

// displayName returns the principal of name as krb5_unparse_name writes
// it, "alice@EXAMPLE.TEST": with "/", "@" and "\" escaped inside a
// component, so that two principals never give one string (see
// principal_name in capi.h).
func displayName(name nameID) (string, error) {
	var st status
	var buf C.gss_buffer_desc // owned by us: released below
	var skip C.size_t
	st.major = C.principal_name(&st.minor, name, &buf, &skip)
	if st.failed() {
		return "", st.err("principal name")
	}
	s := C.GoStringN((*C.char)(unsafe.Add(buf.value, skip)), C.int(buf.length-skip))
	C.gss_release_buffer(&st.minor, &buf)
	return s, nil
}

// nameAttr is the name of a name attribute (RFC 6680) in C memory,
// allocated once by newNameAttr and kept for the life of the process, so
// that reading an attribute on every accept allocates no C string.
type nameAttr struct{ c *C.char }

func newNameAttr(s string) nameAttr { return nameAttr{C.CString(s)} } // owned by the package: never freed

// nameAttribute returns the values of name's attribute attr, such as
// "urn:mspac:" or "auth-indicators", with whether the library
// authenticated them; none when the name has no such attribute or the
// library offers none.
func nameAttribute(name nameID, attr nameAttr) (values [][]byte, authenticated bool) {
	authenticated = true
	for more := C.int(-1); more != 0; {
		var st status
		var auth C.int
		var buf C.gss_buffer_desc // owned by us: released below
		st.major = C.name_attribute(&st.minor, name, attr.c, &auth, &buf, &more)
		if st.failed() {
			return nil, false
		}
		values = append(values, C.GoBytes(buf.value, C.int(buf.length)))
		C.gss_release_buffer(&st.minor, &buf)
		authenticated = authenticated && auth != 0
	}
	return values, authenticated && len(values) > 0
}

// localName maps name to a local account through auth_to_local
// (gss_localname). It reports ok=false when no rule maps the name.
func localName(name nameID) (local string, ok bool) {
	var minor C.OM_uint32
	var buf C.gss_buffer_desc // owned by us: released below
	if C.gss_localname(&minor, name, C.GSS_C_NO_OID, &buf) != C.GSS_S_COMPLETE {
		return "", false
	}
	local = C.GoStringN((*C.char)(buf.value), C.int(buf.length))
	C.gss_release_buffer(&minor, &buf)
	return local, true
}

// cString returns s in C memory, or NULL for "": the C helpers read NULL
// as "the library default". The caller frees it with C.free.
func cString(s string) *C.char {
	if s == "" {
		return nil
	}
	return C.CString(s)
}

// isHeimdal reports whether the package was built against Heimdal rather
// than MIT krb5.
func isHeimdal() bool { return C.is_heimdal() != 0 }

// configHold keeps the library's parsed krb5.conf alive: see hold_config in
// capi.h. Its zero value holds nothing.
type configHold struct{ ctx C.krb5_context }

func holdConfig() configHold { return configHold{C.hold_config()} }

func (h *configHold) release() {
	C.release_config(h.ctx)
	h.ctx = nil
}

// clockSkew is krb5.conf's clockskew: how far from the acceptor's clock
// the library lets an authenticator's time be. It reads krb5.conf, so call
// it once.
func clockSkew() time.Duration { return time.Duration(C.clock_skew()) * time.Second }

// defaultRealm returns krb5.conf's default realm, or "".
func defaultRealm() string {
	r := C.default_realm()
	if r == nil {
		return ""
	}
	defer C.free(unsafe.Pointer(r))
	return C.GoString(r)
}

// accepted is what one gss_accept_sec_context call produced. Its handles are
// owned by the caller.
type accepted struct {
	src    nameID
	deleg  credID
	mech   string
	output []byte
	flags  uint32
	// lifetime is what the library reports the context has left: 0 or
	// less once the ticket has ended, the library's skew grace included
	// (MIT reports 0 in the last second of that grace). It means nothing
	// when indefinite is set.
	lifetime   time.Duration
	indefinite bool // the library reported GSS_C_INDEFINITE: no end
	complete   bool
	// Read only when acceptToken is asked for them and the library handed
	// back a delegated credential handle; zero otherwise:
	proxy    bool   // deleg is a proxy credential (S4U2Proxy), not a forwarded TGT
	tktFlags uint32 // the flags of the client's ticket: tktForwardable, ...
}

// tktForwardable is the forwardable bit of a ticket's flags.
const tktForwardable = C.TKT_FORWARDABLE

// acceptToken runs one gss_accept_sec_context on a fresh context with cred and
// deletes the context before it returns: an HTTP request carries one token,
// so there is no next leg to keep it for. With s4u set it also fills
// a.proxy and a.tktFlags. On success the caller owns a.src and a.deleg.
func acceptToken(cred credID, token []byte, s4u bool) (a accepted, err error) {
	var st status
	var ctx C.gss_ctx_id_t = C.GSS_C_NO_CONTEXT // owned by us: deleted below
	var out C.gss_buffer_desc                   // owned by us: released below
	var mech C.gss_OID                          // static storage of the library: not freed
	var flags, timeRec C.OM_uint32
	var src nameID   // owned by the caller on success: see a.src
	var deleg credID // owned by the caller on success: see a.deleg
	var proxy C.int
	var tktFlags C.OM_uint32
	wantProxy := (*C.int)(nil) // nil: the library is not asked
	if s4u {
		wantProxy = &proxy
	}

	var tok unsafe.Pointer
	if len(token) > 0 {
		tok = unsafe.Pointer(&token[0])
	}
	st.major = C.accept_token(&st.minor, &ctx, cred, tok, C.size_t(len(token)),
		&src, &mech, &out, &flags, &timeRec, &deleg, wantProxy, &tktFlags)
	a.src, a.deleg, a.proxy, a.tktFlags = src, deleg, proxy != 0, uint32(tktFlags)

	var minor C.OM_uint32
	if out.length > 0 {
		a.output = C.GoBytes(out.value, C.int(out.length))
	}
	C.gss_release_buffer(&minor, &out)
	if ctx != C.GSS_C_NO_CONTEXT {
		C.gss_delete_sec_context(&minor, &ctx, nil)
	}

	if st.failed() {
		releaseName(&a.src)
		releaseCred(&a.deleg)
		return accepted{output: a.output}, st.err("gss_accept_sec_context")
	}
	a.complete = st.major&C.GSS_S_CONTINUE_NEEDED == 0
	a.flags = uint32(flags)
	if timeRec == C.GSS_C_INDEFINITE {
		a.indefinite = true
	} else {
		a.lifetime = time.Duration(timeRec) * time.Second
	}
	if mech != nil {
		a.mech = oidString(unsafe.Slice((*byte)(mech.elements), mech.length))
	}
	return a, nil
}

// initStep runs one gss_init_sec_context step of mechanism mech (an OID TLV
// of oid.go) on *ctx (nil to start a context, which the caller then owns
// and deletes with deleteContext).
func initStep(cred credID, ctx *ctxID, target nameID, mech []byte, flags uint32, input []byte) (out []byte, complete bool, err error) {
	oid := mech[2:] // read during the call only, as the input token is
	var in unsafe.Pointer
	if len(input) > 0 {
		in = unsafe.Pointer(&input[0])
	}
	c := *ctx // a local: *ctx may sit in a Go struct that holds Go pointers
	var st status
	var buf C.gss_buffer_desc // owned by us: released below
	st.major = C.init_token(&st.minor, cred, &c, target, unsafe.Pointer(&oid[0]), C.size_t(len(oid)), C.OM_uint32(flags),
		in, C.size_t(len(input)), &buf)
	*ctx = c
	if buf.length > 0 {
		out = C.GoBytes(buf.value, C.int(buf.length))
	}
	var minor C.OM_uint32
	C.gss_release_buffer(&minor, &buf)
	if st.failed() {
		return nil, false, st.err("gss_init_sec_context")
	}
	return out, st.major&C.GSS_S_CONTINUE_NEEDED == 0, nil
}

// deleteContext deletes *ctx and clears it.
func deleteContext(ctx *ctxID) {
	if c := *ctx; c != nil {
		var minor C.OM_uint32
		C.gss_delete_sec_context(&minor, &c, nil)
		*ctx = nil
	}
}

// verifyMIC checks that mic is ctx's integrity token over msg.
func verifyMIC(ctx ctxID, msg, mic []byte) error {
	if len(msg) == 0 || len(mic) == 0 {
		return newError("gss_verify_mic", uint32(C.GSS_S_DEFECTIVE_TOKEN), 0, "empty message or token")
	}
	var st status
	st.major = C.verify_mic(&st.minor, ctx, unsafe.Pointer(&msg[0]), C.size_t(len(msg)),
		unsafe.Pointer(&mic[0]), C.size_t(len(mic)))
	if st.failed() {
		return st.err("gss_verify_mic")
	}
	return nil
}
