// spdlog's implementation, compiled once for the whole daemon.
//
// hdc_util and everything that links it get SPDLOG_COMPILED_LIB
// (daemon/CMakeLists.txt), so spdlog's headers only declare; this file
// defines, as spdlog's own src/*.cpp do, the parts the daemon uses: the
// logger and its registry (with the default console logger the registry
// makes), the pattern formatter, and the two sinks util/logging.cpp builds
// on (base_sink with a mutex, the single-threaded rotating file sink).
#ifndef SPDLOG_COMPILED_LIB
#error "util/spdlog_impl.cpp needs SPDLOG_COMPILED_LIB, which hdc_util sets"
#endif

#include <mutex>

#include <spdlog/common-inl.h>
#include <spdlog/details/backtracer-inl.h>
#include <spdlog/details/file_helper-inl.h>
#include <spdlog/details/log_msg-inl.h>
#include <spdlog/details/log_msg_buffer-inl.h>
#include <spdlog/details/null_mutex.h>
#include <spdlog/details/os-inl.h>
#include <spdlog/details/periodic_worker-inl.h>
#include <spdlog/details/registry-inl.h>
#include <spdlog/logger-inl.h>
#include <spdlog/pattern_formatter-inl.h>
#include <spdlog/sinks/base_sink-inl.h>
#include <spdlog/sinks/rotating_file_sink-inl.h>
#include <spdlog/sinks/sink-inl.h>
#include <spdlog/spdlog-inl.h>
#ifdef _WIN32
#include <spdlog/sinks/wincolor_sink-inl.h>
#else
#include <spdlog/sinks/ansicolor_sink-inl.h>
#endif

template class spdlog::sinks::base_sink<std::mutex>;
template class spdlog::sinks::base_sink<spdlog::details::null_mutex>;
template class spdlog::sinks::rotating_file_sink<spdlog::details::null_mutex>;
