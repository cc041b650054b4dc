//go:build asan

package integration

// asanBuild reports a build with -asan, whose quarantine and shadow memory
// make resident-memory figures meaningless; LeakSanitizer checks instead.
const asanBuild = true
