// Doing what the plan says, without ever creating a duplicate.
//
// Each run lists the remote templates and schedules, plans (plan.h) and
// applies the actions. Before every call that changes remote state an intent
// is committed to the database; after the call the remote id and the intent's
// end are committed together. A create whose outcome is unknown (lost
// response, crash) is never repeated blindly: the intent stays pending, the
// run reports a temporary error, and the next run finds the object by listing
// and adopts it. Problems of one job do not stop the others; they are
// collected in the summary.
// Not thread-safe; one run at a time (the state directory lock ensures it).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/hdc_client.h"
#include "config/job_spec.h"
#include "db/database.h"
#include "db/jobs_table.h"
#include "reconcile/plan.h"
#include "util/clock.h"
#include "util/result.h"

namespace hdc::reconcile {

struct ReconcileOptions {
  std::string callback_url;  // [service] callback_url, for jobs with callback = yes
  // With several accounts, the account whose tenant `api` talks to: only its
  // recorded jobs and their interrupted intents are this run's (another
  // account's jobs are not orphans here). Empty: every recorded job is.
  std::string account;
  // Test hook called at named points ("after-create-template",
  // "after-create-schedule", ...); returning an error stops the run there as
  // a crash would (nothing after it is committed).
  std::function<util::Status(std::string_view point)> fault_hook;
};

struct ReconcileSummary {
  std::vector<Action> actions;       // what was planned
  std::vector<std::string> applied;  // Describe() of each action carried out
  std::vector<util::Status> problems;
  // The worst problem (for exit codes), OK when none.
  util::Status Worst() const;
  bool in_sync() const;  // nothing to change remotely
};

// The desired state of the jobs (canonical JSON and fingerprints).
std::vector<DesiredJob> BuildDesired(const std::vector<config::JobSpec>& jobs,
                                     const std::string& callback_url);

class Reconciler {
 public:
  Reconciler(api::HdcClient& api, db::Database& db, util::Clock& clock, ReconcileOptions options);

  // Lists remote state and plans, changing nothing (hdc-reportctl plan).
  util::Result<std::vector<Action>> PlanOnly(const std::vector<config::JobSpec>& jobs);
  // Plans and applies.
  util::Result<ReconcileSummary> Run(const std::vector<config::JobSpec>& jobs);

 private:
  struct Remote {
    std::vector<RemoteTemplateView> templates;
    std::vector<RemoteScheduleView> schedules;
  };
  util::Result<Remote> ListRemote();
  // The recorded jobs of options_.account (all of them when it is empty).
  util::Result<std::vector<LocalJob>> LoadLocal();
  // Intents left pending by an interrupted run: the listing shows whether
  // they took effect, and planning adopts what they created. With several
  // accounts, only the intents of this account's jobs (`jobs`, `local`).
  util::Status AbandonIntents(const std::vector<db::Intent>& pending,
                              const std::vector<config::JobSpec>& jobs,
                              const std::vector<LocalJob>& local);
  util::Status Apply(const Action& action, const DesiredJob& job, std::string& template_id);
  util::Status CreateSchedule(const DesiredJob& job, const std::string& template_id);
  util::Status EditSchedule(const Action& action, const DesiredJob& job,
                            const std::string& template_id);
  util::Status PauseOrResumeSchedule(const Action& action, const DesiredJob& job,
                                     const std::string& template_id);
  // Records the intent durably, makes the call, then records the outcome.
  util::Status WithIntent(const DesiredJob& job, const char* what, const std::string& fingerprint,
                          const nlohmann::json& body,
                          const std::function<util::Result<std::string>()>& call,
                          const std::function<util::Status(const std::string&)>& record);
  // Records the job's schedule as this daemon created or changed it.
  util::Status RecordSchedule(const DesiredJob& job, const std::string& template_id,
                              const std::string& report_id, bool is_active);
  util::Status Hook(std::string_view point);
  std::string Now() const;

  api::HdcClient& api_;
  db::Database& db_;
  util::Clock& clock_;
  ReconcileOptions options_;
  bool crashed_ = false;  // the fault hook stopped this run
};

}  // namespace hdc::reconcile
