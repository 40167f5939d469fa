#include <string>

#include <pthread.h>

#include "platform/thread_name.h"

namespace hdc::platform {

void NameThisThread(std::string_view name) {
  constexpr std::size_t kMaxName = 15;  // TASK_COMM_LEN - 1
  const std::string cut(name.substr(0, kMaxName));
  (void)::pthread_setname_np(::pthread_self(), cut.c_str());
}

}  // namespace hdc::platform
