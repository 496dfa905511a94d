# Warnings and sanitizers as INTERFACE targets: every target of the kit links them privately, so
# they never leak to a student's project that consumes pyro::pyro.

add_library(pyro_warnings INTERFACE)
target_compile_options(pyro_warnings INTERFACE -Wall -Wextra -Wpedantic -Wconversion
                                               -Wno-sign-conversion)
# GCC 12 reports -Wmaybe-uninitialized inside std::variant's move constructor at -O2, a known
# false positive (GCC bug 105562 and relatives) that pyro::Value triggers everywhere.
# At -O3 (Release) GCC 12 also reports -Wrestrict inside libstdc++'s `"x" + std::string`, another
# false positive (GCC bug 105651, fixed in GCC 13), so a Release build with PYRO_WERROR=ON failed.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(pyro_warnings INTERFACE -Wno-maybe-uninitialized)
    if(CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
        target_compile_options(pyro_warnings INTERFACE -Wno-restrict)
    endif()
endif()
if(PYRO_WERROR)
    target_compile_options(pyro_warnings INTERFACE -Werror)
endif()

add_library(pyro_sanitizers INTERFACE)
if(PYRO_SANITIZE AND PYRO_TSAN)
    message(FATAL_ERROR "PYRO_SANITIZE and PYRO_TSAN cannot be combined; pick one build directory each")
endif()
if(PYRO_SANITIZE)
    target_compile_options(pyro_sanitizers INTERFACE -fsanitize=address,undefined
                                                     -fno-omit-frame-pointer -fno-sanitize-recover=all)
    target_link_options(pyro_sanitizers INTERFACE -fsanitize=address,undefined)
endif()
if(PYRO_TSAN)
    # -Wno-tsan: GCC notes that Asio's atomic_thread_fence is invisible to TSan; it is harmless.
    target_compile_options(pyro_sanitizers INTERFACE -fsanitize=thread -fno-omit-frame-pointer -Wno-tsan)
    target_link_options(pyro_sanitizers INTERFACE -fsanitize=thread)
endif()

# pyro_add_program(NAME SOURCES...) — one helper for every executable of the kit.
function(pyro_add_program name)
    add_executable(${name} ${ARGN})
    target_link_libraries(${name} PRIVATE pyro::pyro pyro_warnings pyro_sanitizers)
endfunction()
