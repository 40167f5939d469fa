// Internal: method + path pattern → handler. Patterns are '/'-separated
// literal segments (matched ignoring case) and "{name}" captures; routes
// are tried in registration order.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace hdc::emulator {

struct Exchange;
using Handler = std::function<void(Exchange&)>;

enum class HostKind { kApi, kBlob };

struct Route {
  std::string method;    // "GET", "POST"; GET routes also answer HEAD
  std::string pattern;   // "/analytics/driver/report/pause/{id}"
  std::string endpoint;  // fault and log name: "schedule.pause"
  HostKind host = HostKind::kApi;
  bool auth = true;  // requires a valid bearer token
  Handler handler;
};

class Router {
 public:
  void Add(Route route);
  // The route for method and path, captures into params. When only the
  // method differs, returns null and sets *path_known.
  const Route* Match(std::string_view method, std::string_view path, HostKind host,
                     std::vector<std::string>* params, bool* path_known) const;

 private:
  static std::vector<std::string> Split(std::string_view path);
  std::vector<Route> routes_;
  std::vector<std::vector<std::string>> segments_;
};

}  // namespace hdc::emulator
