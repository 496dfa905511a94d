#include "allocator_policy.hpp"

#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

extern char** environ;

namespace pyro::detail {
namespace {

#if defined(__GLIBC__)
// Blocks up to this size come from the heap rather than from their own mmap (whose pages the
// kernel zeroes and faults in afresh on every call).
constexpr int mmap_threshold = 32 * 1024 * 1024;
// Free memory at the top of the heap is given back only above this: a server keeps what its
// largest recent message needed, up to 64 MB, instead of giving it back after each call.
constexpr int trim_threshold = 64 * 1024 * 1024;
// Grow the heap in steps of this much (address space; pages count only once touched).
constexpr int top_pad = 16 * 1024 * 1024;

bool user_tuned_malloc() {
    if (std::getenv("GLIBC_TUNABLES") != nullptr) {
        return true;
    }
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        if (std::strncmp(*entry, "MALLOC_", 7) == 0) {
            return true;
        }
    }
    return false;
}

bool sanitizer_allocator() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                         \
    __has_feature(memory_sanitizer)
    return true;
#else
    return false;
#endif
#else
    return false;
#endif
}

bool apply() {
    if (user_tuned_malloc() || sanitizer_allocator()) {
        return false;
    }
    ::mallopt(M_MMAP_THRESHOLD, mmap_threshold);
    ::mallopt(M_TRIM_THRESHOLD, trim_threshold);
    ::mallopt(M_TOP_PAD, top_pad);
    return true;
}
#else
bool apply() {
    return false;
}
#endif

} // namespace

void keep_large_message_memory() {
    [[maybe_unused]] static const bool applied = apply();
}

} // namespace pyro::detail
