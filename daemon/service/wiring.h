// The composition root's shared pieces: configuration -> each module's own
// options, logging set-up, the state directory and its lock.
#pragma once

#include <memory>
#include <string>

#include "api/connection.h"
#include "config/ini_loader.h"
#include "platform/dir_lock.h"
#include "util/result.h"

namespace hdc::service {

api::ConnectionOptions ConnectionOptionsFrom(const config::Config& config);
void SetupLoggingFrom(const config::ServiceConfig& service);
// Creates the state directory (0750) and takes its lock.
util::Result<std::unique_ptr<platform::DirLock>> PrepareStateDir(const std::string& state_dir);

}  // namespace hdc::service
