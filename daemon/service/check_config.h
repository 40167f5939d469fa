// --check-config: load and validate the configuration, print each job's
// template and schedule JSON exactly as they will be sent, and return the
// exit code (0, or 78 with one line on stderr).
#pragma once

#include <iosfwd>
#include <string>

namespace hdc::service {

int RunCheckConfig(const std::string& config_path, std::ostream& out, std::ostream& err);

}  // namespace hdc::service
