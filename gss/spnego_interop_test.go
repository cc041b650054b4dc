package gss_test

import (
	"encoding/asn1"
	"testing"

	"github.com/negotiate-go/negotiate"
	"github.com/negotiate-go/negotiate/gss"
)

// MIT's SPNEGO initiator (what curl and browsers on Linux use) against this
// package's acceptor, which unwraps the optimistic token itself: the
// acceptor names the client, and MIT's initiator completes on the reply.
func TestMITInitiatorAgainstOurSPNEGO(t *testing.T) {
	skipUnderHeimdal(t)
	acc := newAcceptor(t)
	ctx, tok, err := gss.StartLibrarySPNEGO(realm.AliceCCache, "HTTP@localhost")
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	res, err := acc.Accept(tok)
	if err != nil {
		t.Fatal(err)
	}
	if res.Principal != "alice@EXAMPLE.TEST" {
		t.Errorf("principal %q", res.Principal)
	}
	complete, err := ctx.Finish(res.OutputToken)
	if err != nil || !complete {
		t.Fatalf("MIT's SPNEGO initiator on our reply: complete=%v, %v", complete, err)
	}
}

// skipUnderHeimdal skips a test of MIT's own SPNEGO mechanism. Built
// against Heimdal, this package's credentials are Kerberos-only
// (gss_krb5_import_cred), so the library's SPNEGO has nothing to use; the
// package's own SPNEGO framing is what every other test exercises.
func skipUnderHeimdal(t *testing.T) {
	if gss.Library() == "Heimdal" {
		t.Skip("tests MIT's SPNEGO mechanism; under Heimdal the package's credentials are Kerberos-only")
	}
}

// This package's SPNEGO initiator against MIT's SPNEGO acceptor: MIT names
// the client, and our initiator completes on MIT's reply.
func TestOurSPNEGOAgainstMITAcceptor(t *testing.T) {
	skipUnderHeimdal(t)
	acc := newAcceptor(t)
	ini, err := gss.NewInitiator(gss.WithCCache(realm.AliceCCache))
	if err != nil {
		t.Fatal(err)
	}
	defer ini.Close()
	ctx, tok := start(t, ini)
	reply, principal, err := gss.AcceptWithLibrarySPNEGO(acc, tok)
	if err != nil {
		t.Fatal(err)
	}
	if principal != "alice@EXAMPLE.TEST" {
		t.Errorf("MIT's acceptor named %q", principal)
	}
	if err := ctx.Finish(reply); err != nil {
		t.Fatalf("our initiator on MIT's reply: %v", err)
	}
}

// A delegated credential used in memory must act as the user who
// delegated it, whatever the process's default ccache holds. MIT's own
// SPNEGO, given the same credential, authenticates as the default ccache's
// owner: this is the test that keeps that from coming back.
func TestDelegatedCredentialActsAsTheUser(t *testing.T) {
	t.Setenv("KRB5CCNAME", realm.BobCCache) // a trap: bob is not the user
	front := newAcceptor(t)
	back := newAcceptor(t, gss.WithHostname("other.localhost"))

	for _, raw := range []bool{false, true} {
		res, err := front.Accept(token(t, "HTTP@localhost", negotiate.FlagDelegate, false))
		if err != nil {
			t.Fatal(err)
		}
		if res.Delegated == nil {
			t.Fatal("no delegated credential")
		}
		opts := []gss.InitiatorOption{gss.WithCredential(res.Delegated)}
		if raw {
			opts = append(opts, gss.WithRawKerberos())
		}
		ini, err := gss.NewInitiator(opts...)
		if err != nil {
			t.Fatal(err)
		}
		ctx, tok, err := ini.Start("HTTP@other.localhost", 0)
		if err != nil {
			t.Fatal(err)
		}
		hop, err := back.Accept(tok)
		if err != nil {
			t.Fatal(err)
		}
		if hop.Principal != "alice@EXAMPLE.TEST" {
			t.Errorf("raw=%v: the second hop saw %q, want alice@EXAMPLE.TEST", raw, hop.Principal)
		}
		if err := ctx.Finish(hop.OutputToken); err != nil {
			t.Errorf("raw=%v: %v", raw, err)
		}
		ctx.Close()
		ini.Close() // borrowed: must not release the credential
		if err := res.Delegated.Store("FILE:" + t.TempDir() + "/still-alive"); err != nil {
			t.Errorf("Initiator.Close released a borrowed credential: %v", err)
		}
		res.Delegated.Release()
		if _, _, err := ini.Start("HTTP@other.localhost", 0); err == nil {
			t.Error("Start with a released credential succeeded")
		}
	}
}

// negTokenResp mirrors a server's NegTokenResp, so that tests can forge one.
type negTokenResp struct {
	NegState      asn1.Enumerated       `asn1:"explicit,tag:0"`
	SupportedMech asn1.ObjectIdentifier `asn1:"explicit,tag:1"`
	ResponseToken []byte                `asn1:"explicit,tag:2"`
	MechListMIC   []byte                `asn1:"explicit,optional,tag:3"`
}

// Each case takes the genuine reply to its own context and spoils it one
// way; Finish must refuse every one, and accept the genuine reply.
func TestFinishRejectsBadReplies(t *testing.T) {
	acc := newAcceptor(t)
	ini, err := gss.NewInitiator(gss.WithCCache(realm.AliceCCache))
	if err != nil {
		t.Fatal(err)
	}
	defer ini.Close()
	edit := func(change func(*negTokenResp)) func(t *testing.T, reply []byte) []byte {
		return func(t *testing.T, reply []byte) []byte {
			var resp negTokenResp
			if _, err := asn1.UnmarshalWithParams(reply, &resp, "explicit,tag:1"); err != nil {
				t.Fatal(err)
			}
			change(&resp)
			out, err := asn1.MarshalWithParams(resp, "explicit,tag:1")
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
	}
	tests := []struct {
		name    string
		spoil   func(t *testing.T, reply []byte) []byte
		succeed bool
	}{
		{"genuine", func(_ *testing.T, reply []byte) []byte { return reply }, true},
		{"reject", edit(func(r *negTokenResp) { r.NegState = 2 }), false},
		{"other mech", edit(func(r *negTokenResp) { r.SupportedMech = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 2, 10} }), false},
		{"forged MIC", edit(func(r *negTokenResp) { r.MechListMIC = []byte("not a MIC of the mech list") }), false},
		{"no token", edit(func(r *negTokenResp) { r.ResponseToken = nil }), false},
		{"flipped AP-REP byte", edit(func(r *negTokenResp) { r.ResponseToken[len(r.ResponseToken)-1] ^= 1 }), false},
		{"garbage", func(*testing.T, []byte) []byte { return []byte("garbage") }, false},
		{"empty", func(*testing.T, []byte) []byte { return nil }, false},
		{"trailing byte", func(_ *testing.T, reply []byte) []byte { return append(reply, 0) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, tok := start(t, ini)
			res, err := acc.Accept(tok)
			if err != nil {
				t.Fatal(err)
			}
			err = ctx.Finish(tt.spoil(t, res.OutputToken))
			if tt.succeed && err != nil {
				t.Errorf("Finish: %v", err)
			}
			if !tt.succeed && err == nil {
				t.Error("Finish accepted it")
			}
		})
	}
}

// The server's reply to one context must not complete another.
func TestFinishRejectsAnotherContextsReply(t *testing.T) {
	acc := newAcceptor(t)
	ini, err := gss.NewInitiator(gss.WithCCache(realm.AliceCCache))
	if err != nil {
		t.Fatal(err)
	}
	defer ini.Close()
	ctx1, tok1 := start(t, ini)
	_, tok2 := start(t, ini)
	if _, err := acc.Accept(tok1); err != nil {
		t.Fatal(err)
	}
	res2, err := acc.Accept(tok2)
	if err != nil {
		t.Fatal(err)
	}
	if err := ctx1.Finish(res2.OutputToken); err == nil {
		t.Error("context 1 completed on the reply to context 2")
	}
}
