// hdc-emulator: parses flags, picks the clock, runs the server until SIGINT
// or SIGTERM (Ctrl+C or Ctrl+Break on Windows). With --port 0 the bound port
// is the first line on stdout.
#include <atomic>
#include <csignal>
#include <iostream>

#include "emulator/cli.h"
#include "emulator/server.h"
#include "util/clock.h"
#include "util/logging.h"
#include "util/scaled_clock.h"
#include "util/time_format.h"

#ifdef _WIN32
namespace {
// Windows runs console signal handlers on a thread of their own, so the
// handler may wake the main thread.
std::atomic<bool> stop_requested{false};
void RequestStop(int) {
  stop_requested = true;
  stop_requested.notify_all();
}
}  // namespace
#endif

int main(int argc, char** argv) {
  using namespace hdc;
  auto cl = emulator::ParseCommandLine(std::vector<std::string>(argv + 1, argv + argc));
  if (!cl.ok()) {
    std::cerr << "hdc-emulator: " << cl.status().ToString() << "\n";
    return cl.status().exit_code();
  }
  if (cl->help) {
    std::cout << emulator::Usage();
    return 0;
  }
  util::SetupLogging(util::DefaultLogOptions());
  util::SystemClock system_clock;
  util::TimePoint start = system_clock.Now();
  if (!cl->start.empty()) {
    auto t = util::ParseTimestamp(cl->start);
    if (!t.ok()) {
      std::cerr << "hdc-emulator: --start: " << t.status().ToString() << "\n";
      return 64;
    }
    start = *t;
  }
  util::ManualClock manual_clock(start);
  util::ScaledClock scaled_clock(system_clock, cl->scale);
  if (cl->clock == "scale") scaled_clock.Set(start);
  util::Clock& clock = cl->clock == "manual"  ? static_cast<util::Clock&>(manual_clock)
                       : cl->clock == "scale" ? static_cast<util::Clock&>(scaled_clock)
                                              : static_cast<util::Clock&>(system_clock);
#ifdef _WIN32
  std::signal(SIGINT, RequestStop);
  std::signal(SIGTERM, RequestStop);
  std::signal(SIGBREAK, RequestStop);
#else
  // Block the stop signals before any thread starts, then wait for one.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
#endif
  emulator::Server server(cl->server, clock);
  if (auto st = server.Start(); !st.ok()) {
    std::cerr << "hdc-emulator: " << st.ToString() << "\n";
    return st.exit_code();
  }
  std::cout << server.port() << std::endl;
  util::GetLogger("emulator")
      ->info("serving {} (blobs {})", server.base_url(), server.blob_base_url());
#ifdef _WIN32
  stop_requested.wait(false);
#else
  int received = 0;
  sigwait(&signals, &received);
#endif
  server.Stop();
  return 0;
}
