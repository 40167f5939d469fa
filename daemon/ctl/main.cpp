// hdc-reportctl: the operator's tool over hdc-reportd's configuration and
// state. Subcommands are listed in kCommands; each lives in its own file.
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "ctl/commands.h"
#include "ctl/version.h"

namespace {

constexpr const char* kUsage =
    "usage: hdc-reportctl [--config FILE] [--json] COMMAND\n"
    "\n"
    "Commands:\n"
    "  plan      show what hdc-reportd would create, edit, pause or resume remotely,\n"
    "            changing nothing (exit 0 in sync, 2 changes pending)\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE  configuration file (default /etc/hdc-reportd/hdc-reportd.ini)\n"
    "      --json         machine-readable output\n"
    "  -h, --help         this help\n"
    "  -V, --version      the version\n"
    "\n"
    "Exit codes: 0 done, 2 plan has changes, 64 usage, 65 bad data from the server,\n"
    "69 service unavailable, 75 temporary failure, 77 authentication refused,\n"
    "78 configuration error.\n";

int Usage(const std::string& problem) {
  std::cerr << "hdc-reportctl: " << problem << " (see --help)\n";
  return 64;
}

}  // namespace

int main(int argc, char** argv) {
  hdc::ctl::CommonOptions options;
#ifdef _WIN32
  options.config_path = "C:\\ProgramData\\hdc-reportd\\hdc-reportd.ini";
#else
  options.config_path = "/etc/hdc-reportd/hdc-reportd.ini";
#endif
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string command;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    } else if (a == "-V" || a == "--version") {
      std::cout << "hdc-reportctl " << HDC_VERSION;
      if (std::strlen(HDC_GIT_REVISION) > 0) std::cout << " (git " << HDC_GIT_REVISION << ")";
      std::cout << "\n";
      return 0;
    } else if (a == "--json") {
      options.json = true;
    } else if (a == "-c" || a == "--config") {
      if (++i == args.size()) return Usage(a + " needs a FILE");
      options.config_path = args[i];
    } else if (a.rfind("--config=", 0) == 0) {
      options.config_path = a.substr(9);
    } else if (!a.empty() && a[0] == '-') {
      return Usage("unknown option '" + a + "'");
    } else if (command.empty()) {
      command = a;
    } else {
      return Usage("unexpected argument '" + a + "'");
    }
  }
  if (command.empty()) return Usage("no command given");
  if (command == "plan") return hdc::ctl::CmdPlan(options, std::cout, std::cerr);
  return Usage("unknown command '" + command + "'");
}
