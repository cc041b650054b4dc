package gss

// This file is the whole C surface of the package: thin Go wrappers around
// the GSS-API calls, the way an HTTP acceptor and its client need them (the
// minor status kept, handles shared between calls). Everything above this
// file is plain Go.
//
// Memory rules, following go-gssapi-c's CONTRIBUTING.md:
//   - every buffer or handle the library allocates has an owner comment and
//     is released right after the success check, or handed to an owner;
//   - data is copied out with C.GoBytes / C.GoStringN before release;
//   - Go bytes are passed as (pointer, length) to a C helper that builds the
//     gss_buffer_desc on the C stack, so no Go memory is held past the call.

/*
#cgo pkg-config: krb5-gssapi
#include <stdlib.h>
#include <string.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <gssapi/gssapi_ext.h>

static gss_OID nt_hostbased_service(void) { return GSS_C_NT_HOSTBASED_SERVICE; }
static gss_OID nt_krb5_principal(void) { return (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME; }

static OM_uint32 import_name(OM_uint32 *minor, char *s, size_t len, gss_OID type, gss_name_t *out) {
	gss_buffer_desc b = { len, s };
	return gss_import_name(minor, &b, type, out);
}

static OM_uint32 accept_token(OM_uint32 *minor, gss_ctx_id_t *ctx, gss_cred_id_t cred,
		void *tok, size_t len, gss_name_t *src, gss_OID *mech, gss_buffer_t out,
		OM_uint32 *flags, OM_uint32 *time_rec, gss_cred_id_t *deleg) {
	gss_buffer_desc in = { len, tok };
	return gss_accept_sec_context(minor, ctx, cred, &in, GSS_C_NO_CHANNEL_BINDINGS,
		src, mech, out, flags, time_rec, deleg);
}

// A credential store (RFC 5588 extension as implemented by MIT krb5) with up
// to two entries; keys and values are copied into C memory and freed by
// free_store.
typedef struct { gss_key_value_set_desc set; gss_key_value_element_desc elems[2]; } store_t;

static store_t *new_store(void) { return calloc(1, sizeof(store_t)); }

static void store_add(store_t *s, const char *key, char *value) {
	s->elems[s->set.count].key = key;
	s->elems[s->set.count].value = value;
	s->set.count++;
	s->set.elements = s->elems;
}

static void free_store(store_t *s) {
	for (OM_uint32 i = 0; i < s->set.count; i++) free((void *)s->elems[i].value);
	free(s);
}

static OM_uint32 acquire_acceptor(OM_uint32 *minor, gss_name_t name, store_t *s, gss_cred_id_t *out) {
	return gss_acquire_cred_from(minor, name, GSS_C_INDEFINITE, GSS_C_NO_OID_SET,
		GSS_C_ACCEPT, &s->set, out, NULL, NULL);
}

// Initiator credentials: Kerberos only, because the SPNEGO framing around
// the Kerberos token is this package's own (see spnego.go).
static OM_uint32 acquire_initiator(OM_uint32 *minor, gss_OID mech, store_t *s, gss_cred_id_t *out) {
	gss_OID_set_desc mechs = { 1, mech };
	return gss_acquire_cred_from(minor, GSS_C_NO_NAME, GSS_C_INDEFINITE,
		mech ? &mechs : GSS_C_NO_OID_SET, GSS_C_INITIATE, &s->set, out, NULL, NULL);
}

static gss_OID mech_krb5(void) { return (gss_OID)gss_mech_krb5; }

static gss_OID_desc spnego_oid = { 6, "\x2b\x06\x01\x05\x05\x02" };
static gss_OID mech_spnego(void) { return &spnego_oid; }

static OM_uint32 init_token(OM_uint32 *minor, gss_cred_id_t cred, gss_ctx_id_t *ctx,
		gss_name_t target, gss_OID mech, OM_uint32 req_flags, void *in, size_t len,
		gss_buffer_t out, OM_uint32 *ret_flags) {
	gss_buffer_desc input = { len, in };
	return gss_init_sec_context(minor, cred, ctx, target, mech, req_flags, 0,
		GSS_C_NO_CHANNEL_BINDINGS, len ? &input : GSS_C_NO_BUFFER, NULL, out, ret_flags, NULL);
}

static OM_uint32 verify_mic(OM_uint32 *minor, gss_ctx_id_t ctx, void *msg, size_t msglen,
		void *mic, size_t miclen) {
	gss_buffer_desc m = { msglen, msg }, t = { miclen, mic };
	return gss_verify_mic(minor, ctx, &m, &t, NULL);
}

static OM_uint32 store_initiator(OM_uint32 *minor, gss_cred_id_t cred, store_t *s) {
	return gss_store_cred_into(minor, cred, GSS_C_INITIATE, GSS_C_NO_OID,
		1, 0, &s->set, NULL, NULL);
}
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
	typ := C.nt_hostbased_service()
	if kind == principalName {
		typ = C.nt_krb5_principal()
	}
	cs := C.CString(s) // owned here: freed below, the library copies it
	defer C.free(unsafe.Pointer(cs))
	var st status
	var name nameID = C.GSS_C_NO_NAME
	st.major = C.import_name(&st.minor, cs, C.size_t(len(s)), typ, &name)
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

// displayName returns the printable form of name, "alice@EXAMPLE.TEST".
func displayName(name nameID) (string, error) {
	var st status
	var buf C.gss_buffer_desc // owned by us: released below
	st.major = C.gss_display_name(&st.minor, name, &buf, nil)
	if st.failed() {
		return "", st.err("gss_display_name")
	}
	s := C.GoStringN((*C.char)(buf.value), C.int(buf.length))
	C.gss_release_buffer(&st.minor, &buf)
	return s, nil
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

// credStore builds a cred store from key/value pairs (at most two). The
// caller frees it with C.free_store.
func credStore(kv ...string) *C.store_t {
	s := C.new_store()
	for i := 0; i+1 < len(kv); i += 2 {
		C.store_add(s, storeKey(kv[i]), C.CString(kv[i+1])) // value owned by s
	}
	return s
}

// storeKey returns a C string constant for a cred-store key. The keys live for
// the whole process, so they are allocated once.
func storeKey(k string) *C.char {
	switch k {
	case "keytab":
		return keyKeytab
	case "rcache":
		return keyRcache
	case "ccache":
		return keyCcache
	}
	panic("gss: unknown cred store key " + k)
}

var (
	keyKeytab = C.CString("keytab")
	keyRcache = C.CString("rcache")
	keyCcache = C.CString("ccache")
)

// acquireAcceptor acquires acceptor credentials for name (GSS_C_NO_NAME for
// any key in the keytab) from the given keytab and replay cache; empty
// strings leave the library defaults. The caller owns the credential.
func acquireAcceptor(name nameID, keytab, rcache string) (credID, error) {
	var kv []string
	if keytab != "" {
		kv = append(kv, "keytab", keytab)
	}
	if rcache != "" {
		kv = append(kv, "rcache", rcache)
	}
	store := credStore(kv...)
	defer C.free_store(store)
	var st status
	var cred credID = C.GSS_C_NO_CREDENTIAL
	st.major = C.acquire_acceptor(&st.minor, name, store, &cred)
	if st.failed() {
		return C.GSS_C_NO_CREDENTIAL, st.err("gss_acquire_cred_from")
	}
	return cred, nil
}

// storeCred writes the initiator elements of cred into ccache
// (gss_store_cred_into), overwriting what the cache held.
func storeCred(cred credID, ccache string) error {
	store := credStore("ccache", ccache)
	defer C.free_store(store)
	var st status
	st.major = C.store_initiator(&st.minor, cred, store)
	if st.failed() {
		return st.err("gss_store_cred_into")
	}
	return nil
}

// accepted is what one gss_accept_sec_context call produced. Its handles are
// owned by the caller.
type accepted struct {
	src      nameID
	deleg    credID
	mech     string
	output   []byte
	flags    uint32
	lifetime time.Duration // 0 when indefinite
	complete bool
}

// acceptToken runs one gss_accept_sec_context on a fresh context with cred and
// deletes the context before it returns: an HTTP request carries one token,
// so there is no next leg to keep it for. On success the caller owns
// a.src and a.deleg.
func acceptToken(cred credID, token []byte) (a accepted, err error) {
	var st status
	var ctx C.gss_ctx_id_t = C.GSS_C_NO_CONTEXT // owned by us: deleted below
	var out C.gss_buffer_desc                   // owned by us: released below
	var mech C.gss_OID                          // static storage of the library: not freed
	var flags, timeRec C.OM_uint32
	var src nameID   // owned by the caller on success: see a.src
	var deleg credID // owned by the caller on success: see a.deleg

	var tok unsafe.Pointer
	if len(token) > 0 {
		tok = unsafe.Pointer(&token[0])
	}
	st.major = C.accept_token(&st.minor, &ctx, cred, tok, C.size_t(len(token)),
		&src, &mech, &out, &flags, &timeRec, &deleg)
	a.src, a.deleg = src, deleg

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
	if timeRec != C.GSS_C_INDEFINITE {
		a.lifetime = time.Duration(timeRec) * time.Second
	}
	if mech != nil {
		a.mech = oidString(unsafe.Slice((*byte)(mech.elements), mech.length))
	}
	return a, nil
}

// acquireInitiator acquires initiator credentials from ccache ("" for the
// library's default cache): for the Kerberos mechanism alone, or for every
// mechanism when allMechs is set. The caller owns the credential.
func acquireInitiator(ccache string, allMechs bool) (credID, error) {
	var kv []string
	if ccache != "" {
		kv = append(kv, "ccache", ccache)
	}
	store := credStore(kv...)
	defer C.free_store(store)
	mech := C.mech_krb5()
	if allMechs {
		mech = nil
	}
	var st status
	var cred credID
	st.major = C.acquire_initiator(&st.minor, mech, store, &cred)
	if st.failed() {
		return nil, st.err("gss_acquire_cred_from")
	}
	return cred, nil
}

// initStep runs one gss_init_sec_context step on *ctx (nil to start a
// context, which the caller then owns and deletes with deleteContext). The
// mechanism is Kerberos, or the library's SPNEGO when librarySPNEGO is set.
func initStep(cred credID, ctx *ctxID, target nameID, librarySPNEGO bool, flags uint32, input []byte) (out []byte, complete bool, err error) {
	mech := C.mech_krb5()
	if librarySPNEGO {
		mech = C.mech_spnego()
	}
	var in unsafe.Pointer
	if len(input) > 0 {
		in = unsafe.Pointer(&input[0])
	}
	c := *ctx // a local: *ctx may sit in a Go struct that holds Go pointers
	var st status
	var buf C.gss_buffer_desc // owned by us: released below
	st.major = C.init_token(&st.minor, cred, &c, target, mech, C.OM_uint32(flags),
		in, C.size_t(len(input)), &buf, nil)
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
