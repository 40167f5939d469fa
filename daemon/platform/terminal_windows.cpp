#include <io.h>
#include <stdio.h>

#include "platform/terminal.h"

namespace hdc::platform {

bool StderrIsTerminal() { return _isatty(_fileno(stderr)) != 0; }

}  // namespace hdc::platform
