// The names of what lies directly under state_dir, in one place; who writes
// each one is said beside it. For operators: docs/operations.md §Paths.
#pragma once

#include <string>
#include <string_view>

namespace hdc::util::state_files {

inline constexpr std::string_view kLock = "lock";                       // platform/dir_lock.h
inline constexpr std::string_view kDatabase = "state.db";               // db::Database
inline constexpr std::string_view kStore = "store";                     // store::StoreLayout
inline constexpr std::string_view kControlAddress = "control-address";  // the daemon's listener
inline constexpr std::string_view kCallbackToken = "callback-token";    // service/callback_token.h

// state_dir + "/" + name.
inline std::string PathOf(const std::string& state_dir, std::string_view name) {
  return state_dir + "/" + std::string(name);
}

}  // namespace hdc::util::state_files
