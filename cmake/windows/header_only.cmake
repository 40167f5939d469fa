# The header-only libraries of the Windows build, from Debian's -dev packages
# (nlohmann-json3-dev, libspdlog-dev, libfmt-dev, doctest-dev): their headers
# are copied into the build tree (the cross compiler must not see the rest of
# /usr/include, which is glibc's) and exposed as the imported targets the
# Linux build gets from find_package. Both builds use spdlog header-only;
# Debian's spdlog is configured for an external fmt (tweakme.h), which is
# header-only here too.
set(_hdc_headers ${CMAKE_BINARY_DIR}/header-only/include)
foreach(dir nlohmann spdlog fmt doctest)
  if(NOT EXISTS /usr/include/${dir})
    message(FATAL_ERROR "/usr/include/${dir} is missing (make windows-deps installs it)")
  endif()
  file(COPY /usr/include/${dir} DESTINATION ${_hdc_headers})
endforeach()

function(_hdc_header_only target definitions)
  add_library(${target} INTERFACE IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES ${_hdc_headers}
                        INTERFACE_COMPILE_DEFINITIONS "${definitions}")
endfunction()
_hdc_header_only(nlohmann_json::nlohmann_json "")
_hdc_header_only(spdlog::spdlog_header_only "FMT_HEADER_ONLY")
_hdc_header_only(doctest::doctest "")
