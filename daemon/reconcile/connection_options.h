// The INI's [account] and [service] settings -> the options of one
// connection to the remote service (tokens, HTTP, the API). Here because
// reconcile is the lowest module that sees both config and api, and both
// executables (hdc-reportd and hdc-reportctl plan) connect the same way.
#pragma once

#include <string>

#include "api/connection.h"
#include "config/ini_loader.h"

namespace hdc::reconcile {

// `user_agent` is "<program>/<version>".
api::ConnectionOptions ConnectionOptionsFrom(const config::Config& config, std::string user_agent);

}  // namespace hdc::reconcile
