package pac

import "encoding/binary"

// HasLogonInfo reports whether b, a whole PAC, lists a logon-information
// buffer, by reading the PACTYPE header alone (MS-PAC 2.3, 2.4): a test
// that allocates nothing, for callers that decode a PAC only when it says
// who the user is. A PAC it reports true for may still fail to Parse.
func HasLogonInfo(b []byte) bool {
	if len(b) < 8 {
		return false
	}
	n := binary.LittleEndian.Uint32(b)
	if uint64(n) > uint64(len(b)-8)/16 {
		return false
	}
	for i := range int(n) {
		if BufferType(binary.LittleEndian.Uint32(b[8+16*i:])) == TypeLogonInfo {
			return true
		}
	}
	return false
}
