package negotiate_test

import (
	"errors"
	"fmt"

	"github.com/negotiate-go/negotiate"
)

// An acceptor's error is told by its category, never by its text: a
// client's token (403) or the server's fault (500).
func ExampleCategory() {
	err := fmt.Errorf("gss: accept: %w", negotiate.ErrReplay)
	fmt.Println(negotiate.Category(err), negotiate.IsServerFault(err))
	fmt.Println(errors.Is(err, negotiate.ErrReplay))

	err = fmt.Errorf("gss: keytab gone: %w", negotiate.ErrServerCredentials)
	fmt.Println(negotiate.Category(err), negotiate.IsServerFault(err))

	fmt.Println(negotiate.Category(errors.New("something else")))
	// Output:
	// replay false
	// true
	// server_credentials true
	// unknown
}

func ExampleFlags_String() {
	fmt.Println(negotiate.FlagMutual | negotiate.FlagReplay | negotiate.FlagInteg)
	fmt.Println(negotiate.FlagDelegate | 1<<20)
	fmt.Println(negotiate.Flags(0))
	// Output:
	// mutual|replay|integ
	// delegate|0x100000
	// 0
}
