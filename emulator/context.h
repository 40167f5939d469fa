// Internal: what every route handler shares (private to emulator/).
//
// `mu` guards `settings` and `state`; hold it only to read or change them,
// never while writing a response. After changing `state`, call Changed()
// without holding `mu` (it persists the state file and, unless told
// otherwise, wakes the callback worker). The request log and blob metadata cache have their own
// locks.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "emulator/client_assertion.h"
#include "emulator/dataset.h"
#include "emulator/faults.h"
#include "emulator/sas.h"
#include "emulator/server.h"
#include "emulator/settings.h"
#include "emulator/state.h"
#include "util/clock.h"

namespace hdc::emulator {

struct RequestRecord {
  std::string host, method, path;
  int status = 0;
  bool authorization = false;
};

class RequestLog {
 public:
  void Add(RequestRecord r) {
    std::lock_guard lock(mu_);
    records_.push_back(std::move(r));
  }
  std::vector<RequestRecord> Records() const {
    std::lock_guard lock(mu_);
    return records_;
  }
  void Clear() {
    std::lock_guard lock(mu_);
    records_.clear();
  }

 private:
  mutable std::mutex mu_;
  std::vector<RequestRecord> records_;
};

struct BlobMeta {
  std::uint64_t size = 0;
  std::string md5;  // base64
  std::string etag;
};

struct Context {
  Context(const ServerOptions& o, util::Clock& c)
      : options(o), clock(c), dataset(o.seed), sas(o.seed), faults(o.seed), settings(o.settings) {}

  Settings GetSettings() {
    std::lock_guard lock(mu);
    return settings;
  }
  // After a change of `state`: persists it and, with `plan` (schedules or
  // settings changed), wakes the callback worker to re-plan. Tokens and
  // templates do not move completions, so they pass plan = false.
  void Changed(bool plan = true) {
    if (on_change) on_change(plan);
  }

  const ServerOptions options;
  util::Clock& clock;
  const Dataset dataset;
  const SasSigner sas;
  FaultPlan faults;
  RequestLog log;

  std::mutex mu;
  Settings settings;
  RemoteState state;

  std::mutex meta_mu;
  std::map<std::string, BlobMeta> meta;  // by blob path + settings fingerprint

  WorkloadIssuer issuer;  // the federated clients' token issuer

  std::string api_base;   // "http://127.0.0.1:PORT"
  std::string blob_base;  // "http://127.0.0.2:PORT"
  // The workload issuer's iss.
  std::string IssuerUrl() const { return api_base + "/_emulator/issuer"; }
  std::function<void(bool plan)> on_change;
};

}  // namespace hdc::emulator
