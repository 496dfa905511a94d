# `cmake --install` of the kit: libpyro's headers and static library, the kit's programs, and the
# CMake package (find_package(pyro CONFIG) → pyro::pyro) plus pyro.pc for pkg-config users.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(PYRO_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/pyro
    CACHE STRING "Where pyroConfig.cmake is installed, relative to the prefix")

install(TARGETS pyro EXPORT pyroTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/libpyro/include/pyro
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.hpp")
install(FILES ${PYRO_GENERATED_INCLUDE_DIR}/pyro/version.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/pyro)

# The programs a course runs: the name server and every lab program that is built.
foreach(program IN ITEMS pyro-ns pyro-nsc echo-server echo-client observable-server observer
                         notifier introspect-server introspect-client colorsquare-receive
                         colorsquare-transmit)
    if(TARGET ${program})
        install(TARGETS ${program} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
    endif()
endforeach()

install(EXPORT pyroTargets NAMESPACE pyro:: DESTINATION ${PYRO_INSTALL_CMAKEDIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/pyroConfig.cmake.in
                              ${CMAKE_CURRENT_BINARY_DIR}/pyroConfig.cmake
                              INSTALL_DESTINATION ${PYRO_INSTALL_CMAKEDIR})
# 0.x releases may change the API between minor versions.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/pyroConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/pyroConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/pyroConfigVersion.cmake
        DESTINATION ${PYRO_INSTALL_CMAKEDIR})

# The prefix relative to the .pc file, so `cmake --install --prefix ANY` gives a working file.
set(PYRO_PC_PREFIX "\${pcfiledir}")
string(REPLACE "/" ";" pyro_pc_dirs "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
foreach(dir IN LISTS pyro_pc_dirs)
    string(APPEND PYRO_PC_PREFIX "/..")
endforeach()
configure_file(${CMAKE_CURRENT_LIST_DIR}/pyro.pc.in ${CMAKE_CURRENT_BINARY_DIR}/pyro.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/pyro.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
