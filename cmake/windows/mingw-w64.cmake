# Cross-compiling for 64-bit Windows with Debian's MinGW-w64 (posix threads).
# `make windows` passes -DHDC_WINDEPS=<prefix>: the Windows builds of OpenSSL,
# Poco and SQLite plus the header-only libraries, made once by
# cmake/windows/build-deps.sh and cached outside the clone.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(HDC_MINGW_PREFIX x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${HDC_MINGW_PREFIX}-gcc-posix)
set(CMAKE_CXX_COMPILER ${HDC_MINGW_PREFIX}-g++-posix)
set(CMAKE_RC_COMPILER ${HDC_MINGW_PREFIX}-windres)
set(CMAKE_MC_COMPILER ${HDC_MINGW_PREFIX}-windmc)
set(CMAKE_AR ${HDC_MINGW_PREFIX}-gcc-ar-posix CACHE FILEPATH "")
set(CMAKE_RANLIB ${HDC_MINGW_PREFIX}-gcc-ranlib-posix CACHE FILEPATH "")

# Look for libraries and headers only in the Windows prefixes, for programs
# (sqlite3 code generators, wine) only on the host.
if(HDC_WINDEPS)
  list(APPEND CMAKE_FIND_ROOT_PATH ${HDC_WINDEPS})
endif()
list(APPEND CMAKE_FIND_ROOT_PATH /usr/${HDC_MINGW_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Test executables run under Wine, in the project's Wine prefix (ctest and
# doctest's test discovery go through this).
set(CMAKE_CROSSCOMPILING_EMULATOR ${CMAKE_CURRENT_LIST_DIR}/wine.sh)
