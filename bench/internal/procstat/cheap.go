package procstat

/*
#include <malloc.h>

// In-use bytes of every arena plus the chunks malloc mapped on their own.
static size_t c_heap_in_use(void) {
	struct mallinfo2 m = mallinfo2();
	return m.uordblks + m.hblkhd;
}
*/
import "C"

// CHeapInUse returns the bytes the calling process holds from glibc's
// allocator (mallinfo2: in-use arena bytes plus mmapped chunks). A leak of
// GSS-API buffers, names or credentials shows here, not in Go's heap.
func CHeapInUse() int64 { return int64(C.c_heap_in_use()) }
