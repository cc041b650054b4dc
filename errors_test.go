package negotiate_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/negotiate-go/negotiate"
)

// TestCategories checks every sentinel's category and fault side, wrapped
// and bare, and that an error wrapping none is "unknown" and no server
// fault (an authorization refusal of the middleware, say: IsServerFault
// once said true for those, and a forbidden handler written by the docs
// answered 500).
func TestCategories(t *testing.T) {
	tests := []struct {
		err         error
		category    string
		serverFault bool
	}{
		{negotiate.ErrDefectiveToken, "defective_token", false},
		{negotiate.ErrReplay, "replay", false},
		{negotiate.ErrClockSkew, "clock_skew", false},
		{negotiate.ErrTicketExpired, "ticket_expired", false},
		{negotiate.ErrWrongService, "wrong_service", false},
		{negotiate.ErrStaleKeytab, "stale_keytab", false},
		{negotiate.ErrKeytabEnctype, "keytab_enctype", false},
		{negotiate.ErrBadMech, "bad_mech", false},
		{negotiate.ErrAnonymous, "anonymous", false},
		{negotiate.ErrIncomplete, "incomplete", false},
		{negotiate.ErrServerCredentials, "server_credentials", true},
		{negotiate.ErrInternal, "internal", true},
		{errors.New("realm not allowed"), negotiate.Unknown, false},
	}
	for _, tt := range tests {
		for _, err := range []error{tt.err, fmt.Errorf("gss: accept: %w", tt.err)} {
			if got := negotiate.Category(err); got != tt.category {
				t.Errorf("Category(%v) = %q, want %q", err, got, tt.category)
			}
			if got := negotiate.IsServerFault(err); got != tt.serverFault {
				t.Errorf("IsServerFault(%v) = %v, want %v", err, got, tt.serverFault)
			}
		}
	}
	if negotiate.Category(nil) != "" || negotiate.IsServerFault(nil) {
		t.Error("nil has a category or is a server fault")
	}
}
