# Finds Loom's dependencies and turns the AUTO options into LOOM_HAVE_* booleans.

find_package(OpenMP REQUIRED COMPONENTS CXX)
find_package(nlohmann_json 3 REQUIRED)
find_package(HDF5 REQUIRED COMPONENTS C)
find_package(ZLIB REQUIRED)
find_package(Threads REQUIRED)

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

# --- CUDA (the backend itself arrives with the CUDA issue; the switch exists now) --------
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

find_package(benchmark QUIET)
