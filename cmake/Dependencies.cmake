# Every third-party dependency, found once, as an imported target. All come from Debian packages
# (scripts/install-deps.sh).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(CLI11 REQUIRED)
find_package(fmt REQUIRED)
find_package(Eigen3 3.3 REQUIRED NO_MODULE)
# BLAS/LAPACK: Debian's generic libblas/liblapack, which the alternatives point at OpenBLAS
# (libopenblas0-openmp); OpenMP for the analysis module's threads, the runtime OpenBLAS uses.
find_package(BLAS REQUIRED)
find_package(LAPACK REQUIRED)
find_package(OpenMP REQUIRED COMPONENTS CXX)
find_package(Torch REQUIRED)
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)
pkg_check_modules(ICU REQUIRED IMPORTED_TARGET icu-uc)
pkg_check_modules(SNDFILE REQUIRED IMPORTED_TARGET sndfile)
pkg_check_modules(CAIRO REQUIRED IMPORTED_TARGET cairo)
pkg_check_modules(RTMIDI REQUIRED IMPORTED_TARGET rtmidi)
find_package(AbletonLink REQUIRED CONFIG)

find_path(OSCPACK_INCLUDE_DIR osc/OscOutboundPacketStream.h PATH_SUFFIXES oscpack REQUIRED)
find_library(OSCPACK_LIBRARY oscpack REQUIRED)
if(NOT TARGET oscpack::oscpack)
  add_library(oscpack::oscpack UNKNOWN IMPORTED)
  set_target_properties(oscpack::oscpack PROPERTIES IMPORTED_LOCATION ${OSCPACK_LIBRARY}
                                                    INTERFACE_INCLUDE_DIRECTORIES ${OSCPACK_INCLUDE_DIR})
endif()

if(TH_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
