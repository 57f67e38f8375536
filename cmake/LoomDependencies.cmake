# Finds Loom's dependencies and turns the AUTO options into LOOM_HAVE_* booleans.

find_package(OpenMP REQUIRED COMPONENTS CXX)
find_package(nlohmann_json 3 REQUIRED)
find_package(HDF5 REQUIRED COMPONENTS C)
find_package(ZLIB REQUIRED)
# libzip by its header and library: Debian 12's libzip-config.cmake fails unless the separate
# zipcmp, zipmerge and ziptool packages are installed, and bench/gpu/run.sh's unpacked Debian
# packages are found this way without pkg-config.
find_path(LIBZIP_INCLUDE_DIR NAMES zip.h REQUIRED)
find_library(LIBZIP_LIBRARY NAMES zip REQUIRED)
add_library(Loom::libzip UNKNOWN IMPORTED)
set_target_properties(Loom::libzip PROPERTIES IMPORTED_LOCATION "${LIBZIP_LIBRARY}"
                                              INTERFACE_INCLUDE_DIRECTORIES "${LIBZIP_INCLUDE_DIR}")
find_package(Threads REQUIRED)
# ONNX files are decoded by libonnx's generated protobuf classes (the official schema).
find_package(Protobuf REQUIRED)
find_package(ONNX REQUIRED)

# OpenBLAS: Debian ships it as the BLAS alternative; look for libopenblas itself so that the
# reference BLAS is never picked up by accident.
find_library(OPENBLAS_LIBRARY NAMES openblas REQUIRED
             PATH_SUFFIXES openblas-pthread openblas-openmp)
find_path(OPENBLAS_INCLUDE_DIR NAMES cblas.h
          PATHS /usr/include/x86_64-linux-gnu/openblas-pthread /usr/include/openblas
                /usr/include/x86_64-linux-gnu /usr/include REQUIRED)

function(loom_resolve_option option result)
    set(${result} ${ARGN} PARENT_SCOPE)
    if(${option} STREQUAL "OFF")
        set(${result} OFF PARENT_SCOPE)
    endif()
endfunction()

# --- OpenCV (optional: without it image files are unavailable and say so) ---------------
set(LOOM_HAVE_OPENCV OFF)
if(NOT LOOM_OPENCV STREQUAL "OFF")
    find_package(OpenCV QUIET COMPONENTS core imgproc imgcodecs)
    if(OpenCV_FOUND)
        set(LOOM_HAVE_OPENCV ON)
    elseif(LOOM_OPENCV STREQUAL "ON")
        message(FATAL_ERROR "LOOM_OPENCV=ON but OpenCV (core imgproc imgcodecs) was not found")
    endif()
endif()

# --- Gloo (optional: without it training runs in one process and --workers says so) -----
set(LOOM_HAVE_GLOO OFF)
if(NOT LOOM_GLOO STREQUAL "OFF")
    find_package(Gloo QUIET)
    if(Gloo_FOUND)
        set(LOOM_HAVE_GLOO ON)
    elseif(LOOM_GLOO STREQUAL "ON")
        message(FATAL_ERROR "LOOM_GLOO=ON but Gloo was not found (Debian: libgloo-dev)")
    endif()
endif()

# --- Qt 6 (the application, the widgets and every Qt Test suite) ------------------------
set(LOOM_HAVE_QT OFF)
set(LOOM_HAVE_QTEST OFF)
find_package(Qt6 QUIET COMPONENTS Core Test)
if(Qt6Test_FOUND)
    set(LOOM_HAVE_QTEST ON)
endif()
if(NOT LOOM_APP STREQUAL "OFF")
    find_package(Qt6 QUIET COMPONENTS Widgets PrintSupport)
    find_package(QCustomPlotQt6 QUIET)
    if(Qt6Widgets_FOUND AND QCustomPlotQt6_FOUND)
        set(LOOM_HAVE_QT ON)
    elseif(LOOM_APP STREQUAL "ON")
        message(FATAL_ERROR "LOOM_APP=ON but Qt 6 Widgets or QCustomPlotQt6 was not found")
    endif()
endif()

# --- CUDA: the CUDA backend (engine/backend/cuda), cuBLAS and cuDNN ----------------------
set(LOOM_HAVE_CUDA OFF)
if(NOT LOOM_CUDA STREQUAL "OFF")
    if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
        set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
    endif()
    include(CheckLanguage)
    check_language(CUDA)
    find_path(CUDNN_INCLUDE_DIR cudnn.h HINTS /usr/local/cuda/include /usr/include)
    find_library(CUDNN_LIBRARY cudnn HINTS /usr/local/cuda/lib64 /usr/lib/x86_64-linux-gnu)
    if(CMAKE_CUDA_COMPILER AND CUDNN_INCLUDE_DIR AND CUDNN_LIBRARY)
        set(LOOM_HAVE_CUDA ON)
    elseif(LOOM_CUDA STREQUAL "ON")
        message(FATAL_ERROR "LOOM_CUDA=ON but nvcc or cuDNN was not found (looked in /usr/local/cuda)")
    endif()
endif()
if(LOOM_HAVE_CUDA)
    # The architectures the kernels are compiled for: whatever the caller passed (scripts and
    # CI pass 90); else this machine's GPU when it has one; else Turing to Hopper, with
    # Hopper's PTX too so that newer GPUs can compile it when they load it. (Must be set before
    # enable_language, which would otherwise pick nvcc's default.)
    if(NOT CMAKE_CUDA_ARCHITECTURES)
        execute_process(COMMAND nvidia-smi --query-gpu=compute_cap --format=csv,noheader
                        RESULT_VARIABLE loom_smi_result OUTPUT_VARIABLE loom_smi_output
                        ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
        if(loom_smi_result EQUAL 0 AND loom_smi_output MATCHES "^[0-9]")
            set(loom_default_architectures native)
        else()
            set(loom_default_architectures "75-real;80-real;86-real;89-real;90")
        endif()
        set(CMAKE_CUDA_ARCHITECTURES "${loom_default_architectures}" CACHE STRING
            "CUDA architectures to compile for (native: this machine's GPU)" FORCE)
    endif()
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    # .cu files are C++20 like the rest (CMake takes CUDA_STANDARD from CXX_STANDARD). CMake
    # before 3.28 knows no C++20 flag for nvcc, though nvcc 12 and later take one: tell it.
    if(NOT CMAKE_CUDA20_STANDARD_COMPILE_OPTION)
        set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
        set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
    endif()
endif()

find_package(benchmark QUIET)
