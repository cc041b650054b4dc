//go:build !asan

package integration

// asanBuild reports a build with -asan (see asan_test.go).
const asanBuild = false
