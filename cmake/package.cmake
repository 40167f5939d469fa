# CPack: `make package` writes the packages into HDC_PACKAGE_OUTPUT_DIR
# (default <build>/packages/). The version is project(VERSION), nothing else.
#
#   Linux:   DEB and RPM, one package per install component (cmake/install.cmake):
#            hdc-reportd_<version>_<arch>.deb / hdc-reportd-<version>-1.<arch>.rpm
#            hdc-reportd-emulator_<version>_<arch>.deb / ...
#            Build them from a tree configured with -DCMAKE_INSTALL_PREFIX=/usr
#            (the Makefile's `package` target does), so that the units name
#            /usr/bin/hdc-reportd; packaging/cpack_project_config.cmake refuses
#            anything else.
#   Windows: ZIP and WiX MSI (not built here; see packaging/windows/).
set(HDC_PACKAGE_OUTPUT_DIR "${CMAKE_BINARY_DIR}/packages" CACHE PATH
    "Where `make package` (CPack) writes the packages")

set(CPACK_PACKAGE_NAME hdc-reportd)
set(CPACK_PACKAGE_VENDOR "the hdc-reportd authors")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_HOMEPAGE_URL "https://github.com/hdc-reportd/hdc-reportd")
set(CPACK_PACKAGE_CONTACT "${HDC_PACKAGE_MAINTAINER}")
# Synopses under 80 characters, long descriptions wrapped (lintian, rpmlint).
set(HDC_DAEMON_SUMMARY "Hardware Dev Center driver-failure report and cab downloader")
set(HDC_DAEMON_DESCRIPTION
"hdc-reportd keeps a hardware vendor's Windows driver-failure data flowing
from Microsoft's Hardware Dev Center into a local store, unattended. INI job
files describe the reports; the daemon creates or adopts the matching report
templates and schedules, polls for finished runs, downloads every report and
failure cab into a crash-safe store, records everything in SQLite, and
deletes personal data after at most 30 days.
hdc-reportctl shows plans, runs, cabs and top failures, exports rows,
verifies the store and runs the retention sweep.")
set(HDC_EMULATOR_SUMMARY "Local stand-in for Microsoft Hardware Dev Center (for hdc-reportd)")
set(HDC_EMULATOR_DESCRIPTION
"hdc-emulator serves the parts of Microsoft's Hardware Dev Center that
hdc-reportd uses (the Azure AD token endpoint, the report API and the blob
storage) on loopback, for tests, demonstrations and trying jobs without
touching the production service: deterministic data from a seed, a
controllable clock and fault injection. Production hosts do not need it.")
set(CPACK_PACKAGE_DESCRIPTION "${HDC_DAEMON_DESCRIPTION}")
# CPACK_PACKAGE_DESCRIPTION_SUMMARY is left to CPack's default on Linux: when
# set, CPackDeb puts it before every component's description, so the emulator
# package would carry the daemon's synopsis. The DEB synopses are the first
# line of CPACK_DEBIAN_<COMPONENT>_DESCRIPTION; the RPM ones are set below.
set(CPACK_OUTPUT_FILE_PREFIX "${HDC_PACKAGE_OUTPUT_DIR}")
set(CPACK_RESOURCE_FILE_README "${CMAKE_SOURCE_DIR}/README.md")
set(CPACK_STRIP_FILES ON)
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/;/build[^/]*/")

set(CPACK_COMPONENTS_ALL daemon)
if(TARGET hdc-emulator)
  list(APPEND CPACK_COMPONENTS_ALL emulator)
endif()
set(CPACK_COMPONENT_DAEMON_DISPLAY_NAME "hdc-reportd and hdc-reportctl")
set(CPACK_COMPONENT_DAEMON_DESCRIPTION "${HDC_DAEMON_DESCRIPTION}")
set(CPACK_COMPONENT_DAEMON_REQUIRED ON)
set(CPACK_COMPONENT_EMULATOR_DISPLAY_NAME "hdc-emulator")
set(CPACK_COMPONENT_EMULATOR_DESCRIPTION "${HDC_EMULATOR_DESCRIPTION}")
set(CPACK_COMPONENT_EMULATOR_DISABLED OFF)

# Read by packaging/cpack_project_config.cmake at cpack time.
set(CPACK_HDC_CONFIGURED_PREFIX "${HDC_CONFIGURED_PREFIX}")
set(CPACK_HDC_MAN_PAGES_BUILT "${HDC_MAN_PAGES_BUILT}")
set(CPACK_PROJECT_CONFIG_FILE "${CMAKE_SOURCE_DIR}/packaging/cpack_project_config.cmake")

if(WIN32)
  # docs/operations.md §Paths: %ProgramFiles%\hdc-reportd\ for the binaries;
  # config and state in %ProgramData%\hdc-reportd\ (INSTALL-windows.md).
  set(CPACK_GENERATOR ZIP WIX)
  set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${HDC_DAEMON_SUMMARY}")
  set(CPACK_ARCHIVE_COMPONENT_INSTALL OFF)
  set(CPACK_PACKAGE_INSTALL_DIRECTORY hdc-reportd)
  # The licence page wants .txt (converted to RTF) or .rtf.
  configure_file(${CMAKE_SOURCE_DIR}/packaging/copyright ${CMAKE_BINARY_DIR}/packaging/copyright.txt COPYONLY)
  set(CPACK_RESOURCE_FILE_LICENSE ${CMAKE_BINARY_DIR}/packaging/copyright.txt)
  # Fixed for the life of the product: lets a newer MSI replace an older one.
  set(CPACK_WIX_UPGRADE_GUID "FC705A2B-466E-43A5-A61A-1840E76EEEFF")
  set(CPACK_WIX_PRODUCT_NAME "hdc-reportd")
  set(CPACK_WIX_PROGRAM_MENU_FOLDER ".")
  set(CPACK_WIX_PATCH_FILE ${CMAKE_SOURCE_DIR}/packaging/windows/wix-patch.xml)
  set(CPACK_WIX_ARCHITECTURE x64)
else()
  set(CPACK_GENERATOR DEB RPM)
  set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
  set(CPACK_RESOURCE_FILE_LICENSE ${CMAKE_SOURCE_DIR}/packaging/copyright)

  # --- Debian ---------------------------------------------------------------
  set(CPACK_DEB_COMPONENT_INSTALL ON)
  set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_PACKAGE_SECTION admin)
  set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
  set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${HDC_PACKAGE_MAINTAINER}")
  set(CPACK_DEBIAN_DAEMON_PACKAGE_NAME hdc-reportd)
  set(CPACK_DEBIAN_EMULATOR_PACKAGE_NAME hdc-reportd-emulator)
  set(CPACK_DEBIAN_DAEMON_DESCRIPTION "${HDC_DAEMON_SUMMARY}\n${HDC_DAEMON_DESCRIPTION}")
  set(CPACK_DEBIAN_EMULATOR_DESCRIPTION "${HDC_EMULATOR_SUMMARY}\n${HDC_EMULATOR_DESCRIPTION}")
  # The user comes from systemd-sysusers, or adduser where that is missing
  # (postinst); deb-systemd-helper (init-system-helpers) is essential. The
  # libraries come from dpkg-shlibdeps.
  set(CPACK_DEBIAN_DAEMON_PACKAGE_DEPENDS adduser)
  set(CPACK_DEBIAN_DAEMON_PACKAGE_SUGGESTS hdc-reportd-emulator)
  set(CPACK_DEBIAN_EMULATOR_PACKAGE_SECTION devel)
  # conffiles: everything installed under /etc/hdc-reportd.
  set(_hdc_debian_dir ${CMAKE_BINARY_DIR}/packaging/debian)
  list(JOIN HDC_CONFFILES "\n" _hdc_conffiles)
  file(WRITE ${_hdc_debian_dir}/conffiles.tmp "${_hdc_conffiles}\n")
  configure_file(${_hdc_debian_dir}/conffiles.tmp ${_hdc_debian_dir}/conffiles COPYONLY)
  set(CPACK_DEBIAN_DAEMON_PACKAGE_CONTROL_EXTRA
      ${CMAKE_SOURCE_DIR}/packaging/debian/postinst
      ${CMAKE_SOURCE_DIR}/packaging/debian/prerm
      ${CMAKE_SOURCE_DIR}/packaging/debian/postrm
      ${_hdc_debian_dir}/conffiles)
  set(CPACK_DEBIAN_DAEMON_PACKAGE_CONTROL_STRICT_PERMISSION ON)

  # --- RPM --------------------------------------------------------------------
  set(CPACK_RPM_COMPONENT_INSTALL ON)
  set(CPACK_RPM_FILE_NAME RPM-DEFAULT)
  set(CPACK_RPM_PACKAGE_RELEASE 1)
  set(CPACK_RPM_PACKAGE_LICENSE "Apache-2.0")  # SPDX, as in packaging/copyright
  set(CPACK_RPM_PACKAGE_GROUP "System Environment/Daemons")
  set(CPACK_RPM_PACKAGE_URL "${CPACK_PACKAGE_HOMEPAGE_URL}")
  # Not relocatable: the units, the config and the scriptlets name the paths.
  set(CPACK_PACKAGE_RELOCATABLE OFF)
  set(CPACK_RPM_PACKAGE_RELOCATABLE OFF)
  set(CPACK_RPM_DAEMON_PACKAGE_NAME hdc-reportd)
  set(CPACK_RPM_EMULATOR_PACKAGE_NAME hdc-reportd-emulator)
  set(CPACK_RPM_DAEMON_PACKAGE_SUMMARY "${HDC_DAEMON_SUMMARY}")
  set(CPACK_RPM_DAEMON_PACKAGE_DESCRIPTION "${HDC_DAEMON_DESCRIPTION}")
  set(CPACK_RPM_EMULATOR_PACKAGE_SUMMARY "${HDC_EMULATOR_SUMMARY}")
  set(CPACK_RPM_EMULATOR_PACKAGE_DESCRIPTION "${HDC_EMULATOR_DESCRIPTION}")
  # No /usr/lib/.build-id links: the .deb has none either, and they would
  # clash between packages built from one tree.
  set(CPACK_RPM_SPEC_MORE_DEFINE "%define packager ${HDC_PACKAGE_MAINTAINER}
%define _build_id_links none")
  set(CPACK_RPM_DAEMON_POST_INSTALL_SCRIPT_FILE ${CMAKE_SOURCE_DIR}/packaging/rpm/post.sh)
  set(CPACK_RPM_DAEMON_PRE_UNINSTALL_SCRIPT_FILE ${CMAKE_SOURCE_DIR}/packaging/rpm/preun.sh)
  set(CPACK_RPM_DAEMON_POST_UNINSTALL_SCRIPT_FILE ${CMAKE_SOURCE_DIR}/packaging/rpm/postun.sh)
  set(CPACK_RPM_DAEMON_USER_FILELIST "")
  foreach(path ${HDC_CONFFILES})
    list(APPEND CPACK_RPM_DAEMON_USER_FILELIST "%config(noreplace) ${path}")
  endforeach()
  # Directories the base system owns.
  set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
      /usr/lib/systemd /usr/lib/systemd/system /usr/lib/sysusers.d /usr/lib/tmpfiles.d
      /usr/share/man /usr/share/man/man1 /usr/share/man/man5 /usr/share/man/man8)
endif()

include(CPack)

# The packaging tests' helper (the config key table printer) and the fast
# documentation tests (man pages against --help and the key table).
if(HDC_BUILD_TESTS)
  add_subdirectory(${CMAKE_SOURCE_DIR}/tests/package ${CMAKE_BINARY_DIR}/tests/package)
endif()
