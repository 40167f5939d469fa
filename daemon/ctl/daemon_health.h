// What hdc-reportctl status says about a running hdc-reportd: where its
// loopback control listener is, and what GET /healthz?format=json answers.
//
// The daemon writes its bound address ("127.0.0.1:PORT") as one line to
// <state_dir>/control-address after binding and removes it on a clean exit;
// without that file the configuration's [service] control_listen is asked
// (empty: no listener). The answer is 200 (healthy) or 503 (unhealthy) with
// a JSON body: healthy, problems and warnings (one line each; a warning, such
// as a certificate near its expiry, leaves the daemon healthy), auth, pending_downloads,
// and per job its last cycle. The daemon's state never changes status's
// exit code: "not running" and an unreadable answer are reported, not failed.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "ctl/output.h"
#include "util/result.h"

namespace hdc::ctl {

// One job's last cycle as the daemon reports it.
struct DaemonJob {
  std::string name;
  bool healthy = true;
  std::optional<std::string> last_success;
  std::optional<std::string> last_attempt;
  std::optional<std::string> next_due;
  std::int64_t consecutive_failures = 0;
  std::string last_error;  // "" when the last attempt succeeded
};

struct DaemonHealth {
  std::optional<std::string> address;  // nullopt: no listener configured
  bool running = false;                // something answered HTTP there
  // Why nothing answered, or why the answer could not be read.
  std::optional<std::string> error;
  // Set only when the answer was read: the body as received, and its parts.
  std::optional<Json> health;
  bool healthy = false;  // a 200 whose body says healthy
  std::vector<std::string> problems;
  std::vector<std::string> warnings;
  std::vector<DaemonJob> jobs;
};

// The first line of <state_dir>/control-address, else control_listen;
// nullopt when that is empty too.
std::optional<std::string> ControlAddress(const std::string& state_dir,
                                          const std::string& control_listen);

// Asks http://ADDRESS/healthz?format=json once, with `timeout` for the
// connection and for each read. A wildcard address (0.0.0.0, [::]) is asked
// on loopback. Never fails: the outcome is in the result.
DaemonHealth ProbeDaemon(const std::optional<std::string>& address, const std::string& user_agent,
                         std::chrono::milliseconds timeout = std::chrono::seconds(2));

// Reads a /healthz answer (200 or 503) into `health`; kBadData naming what
// is wrong (not JSON, a missing or mistyped field), leaving `health` as it was.
util::Status ParseHealth(int http_status, const std::string& body, DaemonHealth& health);

// "daemon: running at ADDR, healthy", "daemon: running at ADDR, UNHEALTHY"
// and each problem indented, "daemon: not running (no answer from ADDR)",
// "daemon: answered at ADDR but its health could not be read (WHY)", or
// "daemon: no control listener (control_listen is empty)".
void PrintDaemon(std::ostream& out, const DaemonHealth& health);

// {"running", "address", "health" (the body as received, or null), "error"}.
Json DaemonJson(const DaemonHealth& health);

// The status table's columns for a job's last cycle, and the job's cells
// ("-" where the daemon does not say, or does not know the job).
const std::vector<std::string>& DaemonJobHeaders();
std::vector<std::string> DaemonJobCells(const DaemonHealth& health, const std::string& job);

}  // namespace hdc::ctl
