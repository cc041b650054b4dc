package middleware

import (
	"errors"
	"fmt"
	"testing"

	"github.com/negotiate-go/negotiate"
)

// TestSentinelsAreNoServerFault holds every failure the middleware finds
// on its own to negotiate.IsServerFault, which the package documentation
// tells a custom forbidden handler to call: only a failed ccache store is
// the server's fault. (Authorization refusals once counted as "internal",
// and such a handler answered 500.)
func TestSentinelsAreNoServerFault(t *testing.T) {
	tests := []struct {
		err    error
		reason string
		fault  bool
	}{
		{ErrNoCredentials, "no_credentials", false},
		{ErrTokenTooLarge, "token_too_large", false},
		{ErrBadBase64, "bad_base64", false},
		{ErrNTLMOffered, "ntlm_offered", false},
		{ErrNoPrincipal, "no_principal", false},
		{ErrNoDelegation, "no_delegated_credential", false},
		{ErrRealmNotAllowed, "realm_not_allowed", false},
		{ErrPrincipalNotAllowed, "principal_not_allowed", false},
		{ErrNoLocalName, "no_local_name", false},
		{ErrNotAuthorized, "not_authorized", false},
		{ErrCCacheStore, "ccache_store_failed", true},
	}
	for _, tt := range tests {
		for _, err := range []error{tt.err, fmt.Errorf("request: %w", tt.err)} {
			if got := negotiate.IsServerFault(err); got != tt.fault {
				t.Errorf("negotiate.IsServerFault(%v) = %v, want %v", err, got, tt.fault)
			}
			if got := isServerFault(err); got != tt.fault {
				t.Errorf("isServerFault(%v) = %v, want %v", err, got, tt.fault)
			}
			if got := Reason(err); got != tt.reason {
				t.Errorf("Reason(%v) = %q, want %q", err, got, tt.reason)
			}
		}
	}
}

func TestReason(t *testing.T) {
	tests := []struct {
		err    error
		reason string
		is     error // a negotiate sentinel err must match, if any
	}{
		{nil, "", nil},
		{ErrNoCredentials, "no_credentials", nil},
		{ErrTokenTooLarge, "token_too_large", negotiate.ErrDefectiveToken},
		{ErrBadBase64, "bad_base64", negotiate.ErrDefectiveToken},
		{ErrNTLMOffered, "ntlm_offered", negotiate.ErrBadMech},
		{ErrNoPrincipal, "no_principal", negotiate.ErrIncomplete},
		{ErrNoDelegation, "no_delegated_credential", nil},
		{fmt.Errorf("%w in /dir: %w", ErrCCacheStore, gssErr(negotiate.ErrReplay)), "ccache_store_failed", negotiate.ErrInternal},
		{fmt.Errorf("wrapped: %w", ErrBadBase64), "bad_base64", negotiate.ErrDefectiveToken},
		{gssErr(negotiate.ErrReplay), "replay", negotiate.ErrReplay},
		{gssErr(negotiate.ErrServerCredentials), "server_credentials", negotiate.ErrServerCredentials},
		{errors.New("other"), "unknown", nil},
	}
	for _, tt := range tests {
		if got := Reason(tt.err); got != tt.reason {
			t.Errorf("Reason(%v) = %q, want %q", tt.err, got, tt.reason)
		}
		if tt.is != nil && !errors.Is(tt.err, tt.is) {
			t.Errorf("errors.Is(%v, %v) = false", tt.err, tt.is)
		}
	}
	for _, err := range []error{ErrNoCredentials, ErrTokenTooLarge, ErrBadBase64, ErrNTLMOffered, ErrNoPrincipal, ErrNoDelegation} {
		if isServerFault(err) {
			t.Errorf("isServerFault(%v) = true", err)
		}
	}
	if !isServerFault(fmt.Errorf("%w in /dir: %w", ErrCCacheStore, errors.New("disk full"))) {
		t.Error("isServerFault(ErrCCacheStore) = false")
	}
	if !isServerFault(gssErr(negotiate.ErrInternal)) {
		t.Error("isServerFault(ErrInternal) = false")
	}
}
