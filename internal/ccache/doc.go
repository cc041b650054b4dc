// Package ccache reads Kerberos credential caches in the FILE format of MIT
// krb5 and Heimdal, versions 3 and 4 (the file starts 0x05 0x03 or 0x05 0x04;
// integers are big-endian). It reads enough to list the credentials, their
// client and server principals and times, and to tell when a cache's
// tickets end: what a sweeper of expired delegated credentials needs. It
// never decodes tickets and keeps no keys. [Cache.Marshal] writes the same
// subset back, for tests and fixtures.
//
// It is pure Go and reads untrusted input defensively: every length and
// count is checked against the bytes that remain, so a hostile file can
// neither make it panic nor make it allocate more than a small multiple of
// the file's size.
//
// # Format
//
// The format is documented by MIT krb5 in "Credential cache file format"
// (doc/formats/ccache_file_format.rst) and implemented in
// src/lib/krb5/ccache/ccmarshal.c:
//
//	file       ::= version(16) [header, v4 only] principal(default) credential*
//	header     ::= length(16) { tag(16) length(16) value }
//	principal  ::= name_type(32) count(32) realm(data) component(data)*count
//	credential ::= client(principal) server(principal) keyblock
//	               authtime(32) starttime(32) endtime(32) renew_till(32)
//	               is_skey(8) ticket_flags(32)
//	               addresses: count(32) { addrtype(16) data }
//	               authdata:  count(32) { ad_type(16) data }
//	               ticket(data) second_ticket(data)
//	keyblock   ::= enctype(16) [enctype(16) again, v3 only] data
//	data       ::= length(32) bytes
//
// The credentials run to the end of the file; there is no count. Times are
// seconds since 1970 as unsigned 32-bit integers (MIT krb5 1.17 and later
// read them so, which carries them past 2038). Configuration entries are
// credentials whose server is in the realm "X-CACHECONF:"; they carry no
// ticket and an endtime of 0. A credential removed in place (MIT 1.19 and
// later, Heimdal) has an endtime of 0 and an authtime of -1; see
// [Credential.IsRemoved].
package ccache
