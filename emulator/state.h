// The emulator's remote objects: templates (with their edit history),
// schedules (with pauses and the runs of earlier versions), API clients and
// issued tokens. A plain value guarded by the server's mutex; it round-trips
// through JSON for --state-file and GET /_emulator/state.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/clock.h"
#include "util/result.h"

namespace hdc::emulator {

using util::TimePoint;

struct TemplateVersion {
  TimePoint from;    // in force for executions at or after this time
  std::string json;  // the body as accepted
};

// Templates and schedules belong to the tenant whose client created them:
// another tenant's client neither lists nor reaches them (a Hardware Dev
// Center account sees its own). Ids are unique across tenants. An empty
// tenant (a state file written before tenants were kept) belongs to all.
bool OwnedBy(std::string_view owner, std::string_view tenant);

struct RemoteTemplate {
  std::int64_t id = 0;
  std::string tenant;
  std::vector<TemplateVersion> versions;  // oldest first, never empty
  TimePoint created, modified;
};

struct ScheduleSpec {
  TimePoint start;
  std::int64_t interval_hours = 24;
  std::int64_t recurrence = 1;
  std::string callback_url;
};

struct PastRun {
  TimePoint slot;
  std::int64_t template_id = 0;
};

struct RemoteSchedule {
  std::int64_t id = 0;
  std::string tenant;
  std::int64_t template_id = 0;
  ScheduleSpec spec;
  bool active = true;
  TimePoint created, modified;
  TimePoint effective_from;                             // slots of `spec` before this are not run
  std::vector<std::pair<TimePoint, TimePoint>> pauses;  // [from, to); to = max while paused
  std::vector<PastRun> past_runs;                       // runs of earlier versions (kept on edit)
};

struct Client {
  std::string tenant, id, secret;
  std::string certificate_pem;  // set: a certificate client, which signs in with an assertion
  // Set: a federated client, which signs in with a token of the emulator's
  // workload issuer for this subject (emulator/client_assertion.h).
  std::string federated_subject;
  bool revoked = false;     // token requests refused, issued tokens dead
  bool data_access = true;  // false: HDC answers 403
};

struct Token {
  std::string client_id;
  TimePoint expires;
};

struct RemoteState {
  std::map<std::int64_t, RemoteTemplate> templates;
  std::map<std::int64_t, RemoteSchedule> schedules;
  std::vector<Client> clients;
  std::map<std::string, Token> tokens;
  std::int64_t next_template_id = 1001;
  std::int64_t next_report_id = 5001;
  std::uint64_t token_counter = 0;
  // "CLIENT_ID JTI" of accepted client assertions, until they expire (a
  // replay is refused); not persisted.
  std::map<std::string, TimePoint> assertion_jtis;

  Client* FindClient(std::string_view id);
  // The template text in force at time t (the first version if t is earlier).
  const TemplateVersion* TemplateAt(std::int64_t template_id, TimePoint t) const;
  // Templates and schedules (not clients, not tokens).
  nlohmann::json ObjectsToJson() const;
  // Everything but clients, for --state-file.
  nlohmann::json ToJson() const;
  static util::Result<RemoteState> FromJson(const nlohmann::json& j);
};

// The schedule as the list endpoint shows it (camelCase JSON text).
std::string ScheduleText(const ScheduleSpec& spec);

// Atomic write (temporary file + rename).
util::Status SaveStateFile(const std::string& path, const RemoteState& state);
// A missing file gives an empty state.
util::Result<RemoteState> LoadStateFile(const std::string& path);

}  // namespace hdc::emulator
