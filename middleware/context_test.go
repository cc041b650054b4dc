package middleware

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/negotiate-go/negotiate"
)

func TestContextAccessors(t *testing.T) {
	ctx := t.Context()
	if _, ok := FromContext(ctx); ok {
		t.Error("FromContext on an empty context reports ok")
	}
	if _, ok := PrincipalFromContext(ctx); ok {
		t.Error("PrincipalFromContext on an empty context reports ok")
	}
	if _, ok := FailureFromContext(ctx); ok {
		t.Error("FailureFromContext on an empty context reports ok")
	}
	if _, ok := FromContext(NewContext(ctx, nil)); ok {
		t.Error("FromContext of a nil *Auth reports ok")
	}

	good := NewContext(ctx, &Auth{Principal: alice})
	if p, ok := PrincipalFromContext(good); !ok || p != alice {
		t.Errorf("PrincipalFromContext = %q, %v", p, ok)
	}
	if _, ok := FailureFromContext(good); ok {
		t.Error("FailureFromContext of a success reports ok")
	}

	// A failure never yields a principal, even if one were set.
	bad := NewContext(ctx, &Auth{Principal: alice, Err: ErrBadBase64})
	if _, ok := PrincipalFromContext(bad); ok {
		t.Error("PrincipalFromContext of a failure reports ok")
	}
	if err, ok := FailureFromContext(bad); !ok || err != ErrBadBase64 {
		t.Errorf("FailureFromContext = %v, %v", err, ok)
	}
	if _, ok := PrincipalFromContext(NewContext(ctx, &Auth{})); ok {
		t.Error("PrincipalFromContext of an empty principal reports ok")
	}
}

// TestPassedContext checks the context a request that authenticated gets:
// it keeps the values and the cancellation of the request's own context, and
// contexts derived from it still carry the Auth.
func TestPassedContext(t *testing.T) {
	type outerKey struct{}
	mw, err := New(newFake(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	parent, cancel := context.WithCancel(context.WithValue(t.Context(), outerKey{}, "outer"))
	var ran bool
	h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ran = true
		ctx := r.Context()
		if ctx.Value(outerKey{}) != "outer" {
			t.Error("the request's own context value is lost")
		}
		child, stop := context.WithTimeout(ctx, time.Hour)
		defer stop()
		if p, ok := PrincipalFromContext(child); !ok || p != alice {
			t.Errorf("derived context: principal %q, %v", p, ok)
		}
		if a, ok := FromContext(child); !ok || a.LocalName != "alice" || a.Mech != negotiate.MechKerberos || !bytes.Equal(a.OutputToken, apRep) {
			t.Errorf("derived context: Auth %+v, %v", a, ok)
		}
		cancel()
		select {
		case <-child.Done():
		case <-time.After(5 * time.Second):
			t.Error("cancelling the request's context did not reach a derived one")
		}
		if !errors.Is(child.Err(), context.Canceled) {
			t.Errorf("derived context error %v", child.Err())
		}
	}))
	req := httptest.NewRequestWithContext(parent, "GET", "/", nil)
	req.Header.Set("Authorization", neg("alice"))
	h.ServeHTTP(httptest.NewRecorder(), req)
	if !ran {
		t.Fatal("next did not run")
	}
}
