package middleware

import (
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
