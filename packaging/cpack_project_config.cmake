# Read by cpack before each generator runs (CPACK_PROJECT_CONFIG_FILE, set in
# cmake/package.cmake). Refuses packages that would not work once installed.
if(CPACK_GENERATOR MATCHES "^(DEB|RPM)$")
  if(NOT CPACK_HDC_CONFIGURED_PREFIX STREQUAL CPACK_PACKAGING_INSTALL_PREFIX)
    message(FATAL_ERROR
      "hdc-reportd: this build tree was configured with CMAKE_INSTALL_PREFIX="
      "${CPACK_HDC_CONFIGURED_PREFIX}, so its units would name "
      "${CPACK_HDC_CONFIGURED_PREFIX}/bin/hdc-reportd; the ${CPACK_GENERATOR} package "
      "installs into ${CPACK_PACKAGING_INSTALL_PREFIX}. Reconfigure with "
      "-DCMAKE_INSTALL_PREFIX=${CPACK_PACKAGING_INSTALL_PREFIX} (make package does).")
  endif()
  if(NOT CPACK_HDC_MAN_PAGES_BUILT)
    message(FATAL_ERROR
      "hdc-reportd: the man pages were not built (scdoc missing when configuring): "
      "run make package-deps, then reconfigure.")
  endif()
endif()
