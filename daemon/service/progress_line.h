// The live progress line of `hdc-reportd --once` on a terminal: redrawn in
// place a few times a second from a render function, erased when done.
// Never written when stderr is not a terminal (logs, pipes, the journal).
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <thread>

namespace hdc::service {

class ProgressLine {
 public:
  // enabled = false makes this a no-op (the caller passes StderrIsTerminal()).
  ProgressLine(std::ostream& out, std::function<std::string()> render, bool enabled);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

 private:
  std::ostream& out_;
  std::function<std::string()> render_;
  std::jthread thread_;
};

}  // namespace hdc::service
