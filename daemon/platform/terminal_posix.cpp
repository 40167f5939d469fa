#include <unistd.h>

#include "platform/terminal.h"

namespace hdc::platform {

bool StderrIsTerminal() { return ::isatty(STDERR_FILENO) == 1; }

}  // namespace hdc::platform
