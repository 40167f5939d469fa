// The hdc-emulator command line: flags → ServerOptions plus the clock choice.
// Parsing takes the argument list, not the process, so tests call it.
#pragma once

#include <string>
#include <vector>

#include "emulator/server.h"
#include "util/result.h"

namespace hdc::emulator {

struct CommandLine {
  ServerOptions server;
  std::string clock = "real";  // real | manual | scale
  double scale = 1.0;
  std::string start;  // manual/scaled clock start; empty: now
  bool help = false;
};

util::Result<CommandLine> ParseCommandLine(const std::vector<std::string>& args);
std::string Usage();

}  // namespace hdc::emulator
