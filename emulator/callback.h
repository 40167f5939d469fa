// The completion callback (docs/hdc-api.md §Schedule body): when an execution of a schedule
// with a callback URL reaches Completed (also a Failed run flipping to
// Completed later, see flip_failed_after), POST
// {"reportId":7,"ReportDatetime":"...","ReportStatus":"Completed"} to it.
// Only loopback URLs (127.0.0.0/8, localhost, [::1]) are called; others are
// logged and skipped. One worker thread waits on the emulator clock for the
// next completion; Wake() makes it re-plan after a schedule change.
// Thread-safe.
#pragma once

#include <mutex>
#include <stop_token>
#include <thread>

#include "emulator/context.h"

namespace hdc::emulator {

class CallbackWorker {
 public:
  explicit CallbackWorker(Context& ctx);
  ~CallbackWorker();
  void Start();
  void Stop();
  void Wake();

 private:
  // Announces completions after `from` (the clock when Start() ran, so a
  // thread that starts late still sees every completion after Start).
  void Run(std::stop_token stop, util::TimePoint from);
  // Sends the callbacks for completions in (from, to]; returns the next
  // completion time after `to`, or max when none is planned.
  util::TimePoint Fire(util::TimePoint from, util::TimePoint to);

  Context& ctx_;
  std::mutex mu_;
  std::stop_source wake_;
  std::jthread thread_;
};

}  // namespace hdc::emulator
