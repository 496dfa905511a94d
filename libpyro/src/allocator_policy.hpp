// How libpyro asks glibc's malloc to keep memory for large messages (issue 12).
#pragma once

namespace pyro::detail {

// Once per process, before the first Daemon or Proxy works: raise glibc's mmap and trim
// thresholds so the megabyte buffers of a large message (frame, parsed value, reply) come from
// the heap and stay there for the next call. With glibc's defaults every 1 MB call released
// those pages to the kernel and touched fresh ones again, ~1,000 page faults per call, which cost
// more than the whole serialization. Left alone when the user tuned malloc (MALLOC_* variables or
// GLIBC_TUNABLES) or when the allocator is not glibc's (sanitizers).
void keep_large_message_memory();

} // namespace pyro::detail
