# LOOM_FUZZ: the engine built for libFuzzer (clang only): coverage-instrumented for the fuzzer,
# with AddressSanitizer and UndefinedBehaviorSanitizer, and the fuzz targets of tests/fuzz.
# scripts/fuzz.sh configures such a build in build-fuzz and runs the targets. Included before
# the engine so that every Loom source gets the flags; HDF5, zlib and OpenBLAS are Debian's
# and stay uninstrumented (their memory is still checked by ASan's malloc and free).

option(LOOM_FUZZ "Build the engine with sanitizers and the libFuzzer targets (clang only)" OFF)
if(LOOM_FUZZ)
    if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
        message(FATAL_ERROR "LOOM_FUZZ=ON needs clang (CC=clang CXX=clang++), not "
                            "${CMAKE_CXX_COMPILER_ID}")
    endif()
    # UB stops the run (a finding) instead of printing and going on; frame pointers and line
    # tables keep the sanitizers' stack traces whole. -O1 and line tables only, as OSS-Fuzz
    # builds: these come after the build type's flags, so they win, and they halve the build.
    add_compile_options(-fsanitize=fuzzer-no-link,address,undefined
                        -fno-sanitize-recover=undefined -fno-omit-frame-pointer
                        -O1 -gline-tables-only)
    add_link_options(-fsanitize=address,undefined)
    # libFuzzer's convention: code may skip checks no mutated input can pass (a zip member's
    # CRC-32), so that the fuzzer reaches what lies behind them. Never in a release build.
    add_compile_definitions(FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION)
endif()
