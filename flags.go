package negotiate

import (
	"strconv"
	"strings"
)

// flagNames are the names String gives the flags, in bit order.
var flagNames = []struct {
	flag Flags
	name string
}{
	{FlagDelegate, "delegate"},
	{FlagMutual, "mutual"},
	{FlagReplay, "replay"},
	{FlagSequence, "sequence"},
	{FlagConf, "conf"},
	{FlagInteg, "integ"},
	{FlagAnon, "anon"},
	{FlagDelegPolicy, "deleg-policy"},
}

// String names the flags that are set, joined by "|", as in
// "mutual|replay|integ"; bits without a name are written in hex. The empty
// set is "0".
func (f Flags) String() string {
	if f == 0 {
		return "0"
	}
	var b strings.Builder
	for _, n := range flagNames {
		if f&n.flag != 0 {
			if b.Len() > 0 {
				b.WriteByte('|')
			}
			b.WriteString(n.name)
			f &^= n.flag
		}
	}
	if f != 0 {
		if b.Len() > 0 {
			b.WriteByte('|')
		}
		b.WriteString("0x" + strconv.FormatUint(uint64(f), 16))
	}
	return b.String()
}
