// An exclusive lock on a state directory, held for the life of the process.
//
// A second daemon, or a second --once started by a timer, must fail at once
// with the directory and the holder in the message. POSIX: fcntl lock on
// <dir>/lock plus a per-process table (an fcntl lock does not stop a second
// open from the same process). Windows: the lock file opened without sharing.
#pragma once

#include <memory>
#include <string>

#include "util/result.h"

namespace hdc::platform {

class DirLock {
 public:
  virtual ~DirLock() = default;  // releases the lock
  virtual const std::string& directory() const = 0;
};

// Takes the lock or fails with kTemporary: "state directory /var/lib/x is in
// use by process 1234 (lock file /var/lib/x/lock)". The directory must exist.
util::Result<std::unique_ptr<DirLock>> LockDirectory(const std::string& directory);

}  // namespace hdc::platform
