#include <initializer_list>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "service/signals.h"

namespace hdc::service {
namespace {

sigset_t DaemonSignalSet() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR2}) sigaddset(&set, sig);
  return set;
}

}  // namespace

void BlockDaemonSignals() {
  const sigset_t set = DaemonSignalSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

DaemonSignal WaitForSignal() {
  const sigset_t set = DaemonSignalSet();
  while (true) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    switch (sig) {
      case SIGHUP:
        return DaemonSignal::kReload;
      case SIGUSR2:
        return DaemonSignal::kFreezeForTest;
      default:
        return DaemonSignal::kStop;
    }
  }
}

void RaiseStop() { kill(getpid(), SIGTERM); }

}  // namespace hdc::service
