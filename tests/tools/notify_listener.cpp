// notify_listener SOCKET_PATH: a stand-in for systemd's notification socket
// in end-to-end tests. Binds an AF_UNIX datagram socket at SOCKET_PATH and
// prints every datagram it receives as one line, "<ms> <text>", where <ms> is
// CLOCK_MONOTONIC in milliseconds and newlines inside the datagram become
// '|'. Runs until killed; prints "listening" first so a test can wait for it.
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: notify_listener SOCKET_PATH\n");
    return 64;
  }
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (fd < 0 || std::strlen(argv[1]) >= sizeof(addr.sun_path)) {
    std::perror("notify_listener: socket");
    return 1;
  }
  std::strcpy(addr.sun_path, argv[1]);
  unlink(argv[1]);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    std::perror("notify_listener: bind");
    return 1;
  }
  std::printf("listening\n");
  std::fflush(stdout);
  char buffer[4096];
  while (true) {
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n < 0) continue;
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    std::string text(buffer, static_cast<size_t>(n));
    for (char& c : text) {
      if (c == '\n') c = '|';
    }
    std::printf("%lld %s\n", static_cast<long long>(now.tv_sec) * 1000 + now.tv_nsec / 1000000,
                text.c_str());
    std::fflush(stdout);
  }
}
