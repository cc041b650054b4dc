//go:build !cgo

package gss

// Package gss calls the system GSS-API library through cgo, so it cannot
// build with CGO_ENABLED=0. The identifier below is undefined on purpose:
// the compiler's error names what the build needs.
var _ = gss_needs_cgo__build_with_CGO_ENABLED_1_and_install_gcc_pkg_config_and_libkrb5_dev
