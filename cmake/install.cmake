# install() rules: `cmake --install` (and `make install`, and CPack) put the
# executables, systemd units, sysusers.d/tmpfiles.d snippets, the annotated
# configuration, man pages and documentation where an operator expects them.
# DESTDIR and CMAKE_INSTALL_PREFIX (GNUInstallDirs) are honoured.
#
# Components: `daemon` (hdc-reportd, hdc-reportctl and everything to run them;
# the package hdc-reportd) and `emulator` (hdc-emulator; the package
# hdc-reportd-emulator, so production hosts need not carry it).
#
# Paths by prefix (set the prefix when configuring, -DCMAKE_INSTALL_PREFIX=...;
# the units and the example configuration are written for it, so a later
# `cmake --install --prefix` elsewhere would leave them pointing at the first):
#
#   prefix        executables      units, sysusers.d, tmpfiles.d     config               state
#   /usr          /usr/bin         /usr/lib/systemd/system, ...      /etc/hdc-reportd     /var/lib/hdc-reportd
#   /usr/local    /usr/local/bin   /usr/local/lib/systemd/system...  /etc/hdc-reportd     /var/lib/hdc-reportd
#   /opt/NAME     /opt/NAME/bin    /opt/NAME/lib/systemd/system...   /etc/opt/NAME        /var/opt/NAME
#   other P       P/bin            P/lib/systemd/system, ...         P/etc/hdc-reportd    P/var/lib/hdc-reportd
#
# systemd, systemd-sysusers and systemd-tmpfiles search /usr/local/lib/... as
# well as /usr/lib/..., so a /usr/local install works after `systemctl
# daemon-reload`; the config stays in /etc/hdc-reportd, where the executables
# look by default. For other prefixes the units and the installed
# configuration name the paths above, but systemd only finds the units when
# linked into /etc/systemd/system (systemctl link), StateDirectory= still
# means /var/lib/hdc-reportd, and hdc-reportd and hdc-reportctl need --config.
# -DHDC_INSTALL_CONFDIR=... and -DHDC_INSTALL_STATEDIR=... override the choice.
include(GNUInstallDirs)

if(CMAKE_INSTALL_PREFIX STREQUAL "/usr" OR CMAKE_INSTALL_PREFIX STREQUAL "/usr/local")
  set(_hdc_confdir "/etc/hdc-reportd")
  set(_hdc_statedir "/var/lib/hdc-reportd")
elseif(CMAKE_INSTALL_PREFIX MATCHES "^/opt/")
  # FHS: /etc/opt/<package> and /var/opt/<package> (GNUInstallDirs' choice).
  set(_hdc_confdir "${CMAKE_INSTALL_FULL_SYSCONFDIR}")
  set(_hdc_statedir "${CMAKE_INSTALL_FULL_LOCALSTATEDIR}")
else()
  set(_hdc_confdir "${CMAKE_INSTALL_FULL_SYSCONFDIR}/hdc-reportd")
  set(_hdc_statedir "${CMAKE_INSTALL_FULL_LOCALSTATEDIR}/lib/hdc-reportd")
endif()
if(HDC_INSTALL_CONFDIR)
  set(_hdc_confdir "${HDC_INSTALL_CONFDIR}")
endif()
if(HDC_INSTALL_STATEDIR)
  set(_hdc_statedir "${HDC_INSTALL_STATEDIR}")
endif()
set(HDC_CONFDIR "${_hdc_confdir}")
set(HDC_STATEDIR "${_hdc_statedir}")
# The prefix the units and configuration were written for (checked by CPack).
set(HDC_CONFIGURED_PREFIX "${CMAKE_INSTALL_PREFIX}")

# A placeholder until the project names a contact: set it when publishing.
set(HDC_PACKAGE_MAINTAINER "hdc-reportd maintainers <hdc-reportd@example.invalid>"
    CACHE STRING "Maintainer field of the packages and their changelog")

set(HDC_PACKAGING_DIR ${CMAKE_SOURCE_DIR}/packaging)
set(HDC_GENERATED_INSTALL_DIR ${CMAKE_BINARY_DIR}/install-files)

# The date of the last commit (man page dates, changelog), for reproducible
# output; empty outside git.
set(HDC_SOURCE_DATE_EPOCH "")
if(GIT_FOUND AND EXISTS "${CMAKE_SOURCE_DIR}/.git")
  execute_process(COMMAND ${GIT_EXECUTABLE} log -1 --format=%ct
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
    OUTPUT_VARIABLE HDC_SOURCE_DATE_EPOCH OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
endif()

# hdc_install_rewrite(IN OUT): copies a unit, snippet or config file, with the
# packaged paths (/usr/bin, /etc/hdc-reportd, /var/lib/hdc-reportd) replaced by
# this build's. Re-run when the source changes.
function(hdc_install_rewrite in out)
  set_property(DIRECTORY ${CMAKE_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${in})
  file(READ ${in} text)
  string(REPLACE "/usr/bin/hdc-reportd" "${CMAKE_INSTALL_FULL_BINDIR}/hdc-reportd" text "${text}")
  string(REPLACE "/etc/hdc-reportd" "${HDC_CONFDIR}" text "${text}")
  string(REPLACE "/var/lib/hdc-reportd" "${HDC_STATEDIR}" text "${text}")
  # Written through a copy so the output changes (and reinstalls) only with
  # its content.
  file(WRITE ${out}.tmp "${text}")
  configure_file(${out}.tmp ${out} COPYONLY)
endfunction()

if(WIN32)
  # docs/operations.md §Paths: binaries in %ProgramFiles%\hdc-reportd\ (the
  # install root), examples and documentation beside them; everything mutable
  # lives in %ProgramData%\hdc-reportd\ (see packaging/windows/INSTALL-windows.md).
  install(TARGETS hdc-reportd hdc-reportctl RUNTIME DESTINATION . COMPONENT daemon)
  install(FILES $<TARGET_RUNTIME_DLLS:hdc-reportd> $<TARGET_RUNTIME_DLLS:hdc-reportctl>
          DESTINATION . COMPONENT daemon)
  # The example with paths relative to itself, for %ProgramData%\hdc-reportd\:
  # state_dir = state, jobs_dir = jobs.d, client_secret_file = client-secret.
  set(HDC_CONFDIR ".")
  set(HDC_STATEDIR "state")
  hdc_install_rewrite(${CMAKE_SOURCE_DIR}/config/hdc-reportd.ini
                      ${HDC_GENERATED_INSTALL_DIR}/config/hdc-reportd.ini)
  file(READ ${HDC_GENERATED_INSTALL_DIR}/config/hdc-reportd.ini _hdc_windows_ini)
  string(REPLACE "./jobs.d" "jobs.d" _hdc_windows_ini "${_hdc_windows_ini}")
  string(REPLACE "./client-secret" "client-secret" _hdc_windows_ini "${_hdc_windows_ini}")
  file(WRITE ${HDC_GENERATED_INSTALL_DIR}/config/hdc-reportd.ini "${_hdc_windows_ini}")
  install(FILES ${HDC_GENERATED_INSTALL_DIR}/config/hdc-reportd.ini DESTINATION examples COMPONENT daemon)
  install(DIRECTORY ${CMAKE_SOURCE_DIR}/config/jobs.d DESTINATION examples COMPONENT daemon)
  install(FILES ${CMAKE_SOURCE_DIR}/README.md ${HDC_PACKAGING_DIR}/copyright
                ${HDC_PACKAGING_DIR}/windows/INSTALL-windows.md
          DESTINATION . COMPONENT daemon)
  if(TARGET hdc-emulator)
    install(TARGETS hdc-emulator RUNTIME DESTINATION . COMPONENT emulator)
    install(FILES $<TARGET_RUNTIME_DLLS:hdc-emulator> DESTINATION . COMPONENT emulator)
  endif()
  return()
endif()

# --- Executables -----------------------------------------------------------
install(TARGETS hdc-reportd hdc-reportctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT daemon)
if(TARGET hdc-emulator)
  install(TARGETS hdc-emulator RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT emulator)
endif()

# --- systemd units, sysusers.d, tmpfiles.d ---------------------------------
# lib/, not CMAKE_INSTALL_LIBDIR: these directories are not multiarch.
foreach(unit hdc-reportd.service hdc-reportd-once.service hdc-reportd-once.timer)
  hdc_install_rewrite(${CMAKE_SOURCE_DIR}/systemd/${unit} ${HDC_GENERATED_INSTALL_DIR}/systemd/${unit})
  install(FILES ${HDC_GENERATED_INSTALL_DIR}/systemd/${unit}
          DESTINATION lib/systemd/system COMPONENT daemon)
endforeach()
foreach(kind sysusers.d tmpfiles.d)
  hdc_install_rewrite(${CMAKE_SOURCE_DIR}/systemd/${kind}/hdc-reportd.conf
                      ${HDC_GENERATED_INSTALL_DIR}/${kind}/hdc-reportd.conf)
  install(FILES ${HDC_GENERATED_INSTALL_DIR}/${kind}/hdc-reportd.conf
          DESTINATION lib/${kind} COMPONENT daemon)
endforeach()

# --- Configuration (conffiles in the Debian package) -----------------------
# The annotated service file, and Microsoft's five sample jobs, which ship
# disabled (enabled = no: a job never scheduled creates nothing remotely).
hdc_install_rewrite(${CMAKE_SOURCE_DIR}/config/hdc-reportd.ini
                    ${HDC_GENERATED_INSTALL_DIR}/config/hdc-reportd.ini)
# `make install` over an existing installation keeps the operator's files
# (dpkg and rpm do the same through conffiles and %config(noreplace)); the
# shipped version stays readable in the source tree. CPack installs into an
# empty staging directory, so packages always carry the shipped files.
function(hdc_install_config src dest_dir)
  get_filename_component(name ${src} NAME)
  install(CODE "
    if(EXISTS \"\$ENV{DESTDIR}${dest_dir}/${name}\")
      message(STATUS \"Keeping: \$ENV{DESTDIR}${dest_dir}/${name} (exists; the shipped one is ${src})\")
    else()
      file(INSTALL DESTINATION \"${dest_dir}\" TYPE FILE FILES \"${src}\")
    endif()" COMPONENT daemon)
endfunction()
hdc_install_config(${HDC_GENERATED_INSTALL_DIR}/config/hdc-reportd.ini ${HDC_CONFDIR})
file(GLOB _hdc_job_examples CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/config/jobs.d/*)
list(SORT _hdc_job_examples)
foreach(path ${_hdc_job_examples})
  hdc_install_config(${path} ${HDC_CONFDIR}/jobs.d)
endforeach()
set(HDC_CONFFILES "${HDC_CONFDIR}/hdc-reportd.ini")
foreach(path ${_hdc_job_examples})
  get_filename_component(name ${path} NAME)
  list(APPEND HDC_CONFFILES "${HDC_CONFDIR}/jobs.d/${name}")
endforeach()

# --- Man pages (scdoc sources in man/) --------------------------------------
# Built when scdoc is installed (`make package-deps`); compressed with
# gzip -9n as Debian wants. tests/package/ checks them against --help and the
# config module's key table.
find_program(HDC_SCDOC scdoc)
find_program(HDC_GZIP gzip)
set(HDC_MAN_DIR ${CMAKE_BINARY_DIR}/man)
set(HDC_MAN_PAGES "")
if(HDC_SCDOC AND HDC_GZIP)
  set(_hdc_epoch_env "")
  if(HDC_SOURCE_DATE_EPOCH)
    set(_hdc_epoch_env "SOURCE_DATE_EPOCH=${HDC_SOURCE_DATE_EPOCH}")
  endif()
  foreach(page hdc-reportd.8 hdc-reportd.ini.5 hdc-reportctl.1 hdc-emulator.1)
    set(src ${CMAKE_SOURCE_DIR}/man/${page}.scd)
    set(out ${HDC_MAN_DIR}/${page})
    add_custom_command(OUTPUT ${out} ${out}.gz
      COMMAND ${CMAKE_COMMAND} -E make_directory ${HDC_MAN_DIR}
      COMMAND ${CMAKE_COMMAND} -E env ${_hdc_epoch_env}
              sh -c "\"$0\" < \"$1\" > \"$2\" && \"$3\" -9nc \"$2\" > \"$2.gz\""
              ${HDC_SCDOC} ${src} ${out} ${HDC_GZIP}
      DEPENDS ${src}
      COMMENT "Man page ${page}"
      VERBATIM)
    list(APPEND HDC_MAN_PAGES ${out})
    string(REGEX MATCH "[0-9]$" section ${page})
    if(page STREQUAL "hdc-emulator.1")
      if(TARGET hdc-emulator)
        install(FILES ${out}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section} COMPONENT emulator)
      endif()
    else()
      install(FILES ${out}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section} COMPONENT daemon)
    endif()
  endforeach()
  add_custom_target(hdc-man ALL DEPENDS ${HDC_MAN_PAGES})
  set(HDC_MAN_PAGES_BUILT ON)
else()
  message(STATUS "scdoc or gzip not found: man pages are neither built nor installed "
                 "(make package-deps installs scdoc)")
  set(HDC_MAN_PAGES_BUILT OFF)
endif()

# --- Documentation -----------------------------------------------------------
# packaging/copyright (Debian's machine-readable format: Apache-2.0, whose
# text is LICENSE) and a changelog.gz (Debian format; the version from
# project()) per package.
# string(TIMESTAMP) reads SOURCE_DATE_EPOCH from the environment.
set(_hdc_saved_epoch "$ENV{SOURCE_DATE_EPOCH}")
if(HDC_SOURCE_DATE_EPOCH)
  set(ENV{SOURCE_DATE_EPOCH} ${HDC_SOURCE_DATE_EPOCH})
endif()
string(TIMESTAMP _hdc_changelog_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
set(ENV{SOURCE_DATE_EPOCH} "${_hdc_saved_epoch}")
foreach(package hdc-reportd hdc-reportd-emulator)
  set(HDC_CHANGELOG_PACKAGE ${package})
  set(HDC_CHANGELOG_DATE "${_hdc_changelog_date}")
  configure_file(${HDC_PACKAGING_DIR}/changelog.in ${HDC_GENERATED_INSTALL_DIR}/doc/${package}/changelog @ONLY)
  if(HDC_GZIP)
    execute_process(COMMAND ${HDC_GZIP} -9nf ${HDC_GENERATED_INSTALL_DIR}/doc/${package}/changelog
                    RESULT_VARIABLE _hdc_gzip_result)
    set(_hdc_changelog ${HDC_GENERATED_INSTALL_DIR}/doc/${package}/changelog.gz)
  else()
    set(_hdc_changelog ${HDC_GENERATED_INSTALL_DIR}/doc/${package}/changelog)
  endif()
  if(package STREQUAL "hdc-reportd")
    install(FILES ${CMAKE_SOURCE_DIR}/README.md ${HDC_PACKAGING_DIR}/copyright ${_hdc_changelog}
            DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/${package} COMPONENT daemon)
  elseif(TARGET hdc-emulator)
    install(FILES ${HDC_PACKAGING_DIR}/copyright ${_hdc_changelog}
            DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/${package} COMPONENT emulator)
  endif()
endforeach()
set_property(DIRECTORY ${CMAKE_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${HDC_PACKAGING_DIR}/changelog.in)
