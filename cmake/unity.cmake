# HDC_UNITY (CMakeLists.txt): the files a unity batch cannot take, compiled
# on their own. Each defines a file-local name (in an anonymous namespace)
# that a neighbour of its batch defines too, as files may; renaming one of
# them for the batch's sake would make the code worse to read.
function(hdc_unity_alone directory)
  foreach(file ${ARGN})
    set_source_files_properties(${CMAKE_SOURCE_DIR}/${directory}/${file}
      DIRECTORY ${CMAKE_SOURCE_DIR}/${directory}
      PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
  endforeach()
endfunction()

# IsSpace and kOperators, as in filter_expr.cpp.
hdc_unity_alone(daemon config/ini_parser.cpp config/template_json.cpp)
# Each routes file names its handlers Create, List, Edit and IdParam.
hdc_unity_alone(emulator template_routes.cpp)
# Its Connection (a class with linkage) holds anonymous-namespace types, which
# GCC's -Wsubobject-linkage refuses outside a file's own translation unit.
hdc_unity_alone(daemon service/control_server.cpp)
# kJob, as in poll_test.cpp.
hdc_unity_alone(tests integration/report_fetch_test.cpp)
# Unit test files with helpers named like a batch neighbour's: ErrorOf
# (filter_expr_test), OpenIn and Exec (database_test), kStart and Get
# (scheduler_test, poco_client_test), Ok (poco_client_test), ReadAll and
# Fixture (sweeper_test), Slurp (atomic_writer_test), kStart (clock_test),
# Discard (log_file_test), Rejected (time_format_test), Fixture
# (blob_download_test), ScopedEnv (poco_client_test).
hdc_unity_alone(tests
  unit/download/row_ingest_test.cpp unit/platform/notify_test.cpp
  unit/config/ini_parser_test.cpp
  unit/db/failure_export_test.cpp unit/db/listings_test.cpp
  unit/http/retry_test.cpp unit/http/poco_client_tls_test.cpp
  unit/service/callback_token_test.cpp unit/service/control_server_test.cpp
  unit/store/fault_fs_test.cpp unit/store/link_guard_test.cpp
  unit/store/power_cut_fs_test.cpp unit/store/recovery_test.cpp
  unit/util/rate_limiter_test.cpp unit/util/logging_test.cpp unit/util/url_test.cpp)
# Windows: Wide, Narrow and ErrorText, as in filesystem_windows.cpp (one
# shared helper for the UTF-8/UTF-16 conversions would be better still).
hdc_unity_alone(daemon platform/dir_lock_windows.cpp platform/service_host_windows.cpp
                platform/process_guard_windows.cpp)
