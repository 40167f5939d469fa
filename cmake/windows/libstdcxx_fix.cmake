# GCC 12's libstdc++ can lose a wake-up on systems without a futex, which
# hangs a thread removing a std::stop_callback another thread is running
# (cmake/windows/libstdc++/atomic-wait-lost-wakeup.patch says how). This
# shadows the two headers with patched copies in the build tree, for every
# target of the Windows build; a compiler whose headers the patch does not
# fit stops the configuration rather than building with the hang.
if(NOT (CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13))
  return()
endif()
set(hdc_patch ${CMAKE_CURRENT_LIST_DIR}/libstdc++/atomic-wait-lost-wakeup.patch)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${hdc_patch})
set(hdc_libstdcxx "")
foreach(dir ${CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES})
  if(NOT hdc_libstdcxx AND EXISTS ${dir}/bits/atomic_wait.h)
    set(hdc_libstdcxx ${dir})
  endif()
endforeach()
if(NOT hdc_libstdcxx)
  message(FATAL_ERROR "libstdc++ fix: no bits/atomic_wait.h in the compiler's include "
                      "directories (${CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES})")
endif()
# Patched in a scratch folder, then copied into the include folder only where
# the result differs: an unchanged header keeps its time stamp, so a
# reconfiguration does not rebuild the whole tree.
set(hdc_fix_dir ${CMAKE_BINARY_DIR}/libstdc++-fix)
set(hdc_fix_scratch ${CMAKE_BINARY_DIR}/libstdc++-fix-scratch)
file(REMOVE_RECURSE ${hdc_fix_scratch})
file(COPY ${hdc_libstdcxx}/bits/atomic_wait.h ${hdc_libstdcxx}/bits/atomic_timed_wait.h
     DESTINATION ${hdc_fix_scratch}/bits)
execute_process(COMMAND patch -s -p1 -d ${hdc_fix_scratch} -i ${hdc_patch}
                RESULT_VARIABLE hdc_patch_rc ERROR_VARIABLE hdc_patch_err
                OUTPUT_VARIABLE hdc_patch_err)
if(NOT hdc_patch_rc EQUAL 0)
  message(FATAL_ERROR "libstdc++ fix: ${hdc_patch} does not apply to "
                      "${hdc_libstdcxx}/bits (${hdc_patch_err}); see whether this "
                      "compiler still loses wake-ups and refresh or drop the patch")
endif()
# Tests check that the fixed copy is the one compiled in.
file(APPEND ${hdc_fix_scratch}/bits/atomic_wait.h
     "\n#define HDC_LIBSTDCXX_ATOMIC_WAIT_FIXED 1\n")
file(MAKE_DIRECTORY ${hdc_fix_dir}/bits)
foreach(header atomic_wait.h atomic_timed_wait.h)
  file(COPY_FILE ${hdc_fix_scratch}/bits/${header} ${hdc_fix_dir}/bits/${header}
       ONLY_IF_DIFFERENT)
endforeach()
file(REMOVE_RECURSE ${hdc_fix_scratch})
include_directories(BEFORE SYSTEM ${hdc_fix_dir})
