package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/negotiate-go/negotiate/internal/ccache"
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

// delegation names the credential /delegated would act with: the kind of
// the one this request brought, "forwarded" for the TGT the client
// forwarded or "proxy" for the proxy credential that
// -constrained-delegation made (middleware.Auth.DelegationKind); on a
// session request, which brings none, the kind of the ccache that
// -delegation-dir kept; "none" without either.
func delegation(auth *middleware.Auth) string {
	switch {
	case auth.Delegated != nil:
		return auth.DelegationKind
	case auth.CCache != "":
		return ccacheKind(strings.TrimPrefix(auth.CCache, "FILE:"))
	}
	return "none"
}

// ccacheKind is the kind of the stored credential in the ccache file at
// path: "proxy" when MIT marked it as one (a proxy_impersonator
// configuration entry, naming the service), else "forwarded", which is
// also the answer for a file the demo cannot read: the middleware names a
// session's file only when the request that began the session delegated.
func ccacheKind(path string) string {
	c, err := ccache.ReadFile(path)
	if err != nil {
		return "forwarded"
	}
	for _, cr := range c.Credentials {
		if cr.IsConfig() && len(cr.Server.Components) >= 2 && cr.Server.Components[1] == "proxy_impersonator" {
			return "proxy"
		}
	}
	return "forwarded"
}
