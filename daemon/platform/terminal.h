// Is standard error a terminal? (The live progress line of --once is shown
// only there, never in logs, pipes or the journal.)
#pragma once

namespace hdc::platform {

bool StderrIsTerminal();

}  // namespace hdc::platform
