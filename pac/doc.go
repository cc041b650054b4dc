// Package pac decodes the Microsoft Privilege Attribute Certificate (PAC)
// that an Active Directory KDC puts into every Kerberos ticket: who the
// user is (SID, logon name, UPN) and which groups they are in (group SIDs).
// It is pure Go, with no dependencies beyond the standard library.
//
// # What is decoded
//
// [Parse] decodes the PACTYPE container ([MS-PAC] 2.3, 2.4) and these
// buffers:
//   - 1, logon information: KERB_VALIDATION_INFO ([MS-PAC] 2.5), an NDR
//     type serialization ([MS-RPCE] 2.2.6); see [LogonInfo], whose
//     [LogonInfo.UserSID] and [LogonInfo.GroupSIDs] are what authorization
//     by group needs. [ParseLogonInfo] decodes this buffer alone, as MIT
//     krb5's gss_get_name_attribute returns it for "urn:mspac:logon-info".
//   - 10, client information ([MS-PAC] 2.7): [ClientInfo].
//   - 11, constrained delegation ([MS-PAC] 2.9): [DelegationInfo].
//   - 12, UPN and DNS information ([MS-PAC] 2.10), plain and extended:
//     [UPNDNSInfo].
//   - 6, 7, 16, 19, the server, KDC, ticket and full signatures ([MS-PAC]
//     2.8): [Signature].
//   - 17, attributes ([MS-PAC] 2.14) and 18, requestor ([MS-PAC] 2.15).
//
// Other buffers (credentials, claims, device information) are kept as
// bytes in [PAC.Buffers].
//
// # Trust
//
// This package does not verify the PAC's signatures: it has no keys. Only
// a PAC from a ticket that the GSS-API library accepted and whose server
// signature it checked with the service's key may be used for
// authorization. MIT krb5 (measured with 1.20) does that check, and marks
// the attribute "urn:mspac:" ([MITWholePAC]) authenticated, before it
// hands the PAC out.
//
// # Hostile input
//
// Every length, offset and count is checked against the bytes that remain
// before it is used, so the decoders never panic and never allocate more
// than the input's size allows; a failure wraps [ErrTruncated] or
// [ErrMalformed] and says where it happened. The decoders are fuzzed
// (FuzzParse, FuzzParseLogonInfo).
//
// # References
//
//   - [MS-PAC]: Privilege Attribute Certificate Data Structure.
//   - [MS-RPCE] 2.2.5 and 2.2.6: NDR and its type serialization version 1;
//     C706 chapter 14 (the NDR transfer syntax).
//   - [MS-DTYP] 2.3.10 RPC_UNICODE_STRING, 2.4.2 SID.
//   - [MS-KILE] 3.3.5.6.4: how a KDC fills the PAC.
//
// [MS-PAC]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-pac/
// [MS-RPCE]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-rpce/
// [MS-DTYP]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-dtyp/
// [MS-KILE]: https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-kile/
package pac
