# FindBLIS: locate BLIS, preferring pkg-config (blis.pc) and falling back to
# Debian's layout (/usr/include/x86_64-linux-gnu/blis-openmp, .../lib/.../blis-openmp).
# Defines BLIS_FOUND and the imported target BLIS::BLIS.
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(PC_BLIS QUIET blis)
endif()

find_path(BLIS_INCLUDE_DIR blis.h
  HINTS ${PC_BLIS_INCLUDE_DIRS}
  PATHS /usr/include/${CMAKE_LIBRARY_ARCHITECTURE}/blis-openmp
        /usr/include/${CMAKE_LIBRARY_ARCHITECTURE}/blis-pthread
        /usr/include/${CMAKE_LIBRARY_ARCHITECTURE}
        /usr/include/blis /usr/local/include/blis)
find_library(BLIS_LIBRARY NAMES blis
  HINTS ${PC_BLIS_LIBRARY_DIRS}
  PATHS /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/blis-openmp
        /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/blis-pthread
        /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE})

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(BLIS
  REQUIRED_VARS BLIS_LIBRARY BLIS_INCLUDE_DIR
  FAIL_MESSAGE "BLIS not found. On Debian: apt-get install libblis-openmp-dev")

if(BLIS_FOUND AND NOT TARGET BLIS::BLIS)
  add_library(BLIS::BLIS UNKNOWN IMPORTED)
  set_target_properties(BLIS::BLIS PROPERTIES
    IMPORTED_LOCATION "${BLIS_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${BLIS_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES "m")
endif()
mark_as_advanced(BLIS_INCLUDE_DIR BLIS_LIBRARY)
