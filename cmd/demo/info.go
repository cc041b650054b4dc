package main

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/negotiate-go/negotiate/middleware"
)

// infoReply is the JSON of GET /info. Every key is always there: a string
// with nothing to say is "", a list is [], never null or missing.
type infoReply struct {
	Principal      string   `json:"principal"`
	LocalName      string   `json:"local_name"`
	UserSID        string   `json:"user_sid"`        // from the ticket's PAC (AD); "" without one
	GroupSIDs      []string `json:"group_sids"`      // from the PAC
	UPN            string   `json:"upn"`             // from the PAC
	AuthIndicators []string `json:"auth_indicators"` // MIT KDCs' authentication indicators
	Delegation     string   `json:"delegation"`      // "none", "forwarded" or "proxy"
	CCache         string   `json:"ccache"`          // the stored ccache, with -delegation-dir
	Session        bool     `json:"session"`         // authenticated by a session cookie
	ChannelBound   bool     `json:"channel_bound"`   // the token was bound to the TLS channel
	Mech           string   `json:"mech"`            // the mechanism's OID
	Expires        string   `json:"expires"`         // RFC 3339, or "" for no limit
}

// info answers what the middleware learned about the request, as JSON.
func (a *app) info(w http.ResponseWriter, r *http.Request) {
	auth, _ := middleware.FromContext(r.Context())
	reply := infoReply{
		Principal:      auth.Principal,
		LocalName:      auth.LocalName,
		GroupSIDs:      []string{},
		AuthIndicators: append([]string{}, auth.AuthIndicators...),
		Delegation:     delegation(auth),
		CCache:         auth.CCache,
		Session:        auth.FromSession,
		ChannelBound:   false, // the demo serves plain HTTP
		Mech:           auth.Mech,
	}
	if pac := auth.PAC; pac != nil {
		reply.UserSID, reply.UPN = pac.UserSID, pac.UPN
		reply.GroupSIDs = append(reply.GroupSIDs, pac.GroupSIDs...)
	}
	if !auth.Expiry.IsZero() {
		reply.Expires = auth.Expiry.UTC().Format(time.RFC3339)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(reply); err != nil {
		a.log.Warn("/info", "error", err)
	}
}

// delegation names the credential /delegated would act with: "forwarded"
// for the one the client forwarded with this request, or the ccache that
// -delegation-dir kept of it (a session request has only that), and
// "none" without either.
//
// The demo's acceptor is made without gss.WithConstrainedDelegation, so
// every credential it gets is one the client forwarded. TODO(S4U2Proxy):
// with -constrained-delegation, "proxy" from negotiate.Result's
// DelegationKind, once middleware.Auth carries it.
func delegation(auth *middleware.Auth) string {
	if auth.Delegated != nil || auth.CCache != "" {
		return "forwarded"
	}
	return "none"
}
