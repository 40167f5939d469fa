#include "reconcile/reconciler.h"

#include <map>
#include <set>

#include "db/jobs_table.h"
#include "reconcile/fingerprint.h"
#include "reconcile/normalize.h"
#include "reconcile/template_builder.h"
#include "util/logging.h"
#include "util/time_format.h"

namespace hdc::reconcile {
namespace {

using nlohmann::json;

// The API documents templateId as a number; ids we hold are strings.
json IdValue(const std::string& id) {
  if (!id.empty() && id.size() < 19 && id.find_first_not_of("0123456789") == std::string::npos) {
    return std::stoll(id);
  }
  return id;
}

int Severity(util::ErrorKind kind) {
  switch (kind) {
    case util::ErrorKind::kAuth:
      return 6;
    case util::ErrorKind::kConfig:
      return 5;
    case util::ErrorKind::kBadData:
      return 4;
    case util::ErrorKind::kUnavailable:
      return 3;
    case util::ErrorKind::kTemporary:
      return 2;
    default:
      return 1;
  }
}

}  // namespace

util::Status ReconcileSummary::Worst() const {
  const util::Status* worst = nullptr;
  for (const util::Status& p : problems) {
    if (worst == nullptr || Severity(p.kind()) > Severity(worst->kind())) worst = &p;
  }
  return worst ? *worst : util::Status::Ok();
}

bool ReconcileSummary::in_sync() const {
  for (const Action& a : actions) {
    if (ChangesRemote(a.kind)) return false;
  }
  return true;
}

std::vector<DesiredJob> BuildDesired(const std::vector<config::JobSpec>& jobs,
                                     const std::string& callback_url) {
  std::vector<DesiredJob> out;
  for (const config::JobSpec& job : jobs) {
    DesiredJob d;
    d.name = job.name;
    d.account = job.account;
    d.template_body = BuildTemplate(job);
    d.template_fingerprint = Fingerprint(NormaliseTemplate(d.template_body));
    d.schedule = BuildSchedule(job, callback_url);
    d.schedule_fingerprint = Fingerprint(d.schedule);
    d.enabled = job.enabled;
    out.push_back(std::move(d));
  }
  return out;
}

Reconciler::Reconciler(api::HdcClient& api, db::Database& db, util::Clock& clock,
                       ReconcileOptions options)
    : api_(api), db_(db), clock_(clock), options_(std::move(options)) {}

std::string Reconciler::Now() const { return util::FormatTimestamp(clock_.Now(), true); }

util::Status Reconciler::Hook(std::string_view point) {
  if (!options_.fault_hook) return util::Status::Ok();
  util::Status status = options_.fault_hook(point);
  crashed_ = !status.ok();
  return status;
}

util::Result<Reconciler::Remote> Reconciler::ListRemote() {
  auto templates = api_.ListTemplates();
  if (!templates.ok()) return templates.status();
  auto schedules = api_.ListSchedules();
  if (!schedules.ok()) return schedules.status();
  Remote remote;
  for (const api::RemoteTemplate& t : *templates) {
    remote.templates.push_back({t.template_id, Fingerprint(NormaliseTemplate(t.body))});
  }
  for (const api::RemoteSchedule& s : *schedules) {
    remote.schedules.push_back({s.report_id, s.template_id, Fingerprint(s.schedule), s.is_active});
  }
  return remote;
}

util::Result<std::vector<LocalJob>> Reconciler::LoadLocal() {
  db::JobsTable table(db_);
  HDC_ASSIGN_OR_RETURN(auto records, table.LoadAll());
  std::set<std::string> others;  // recorded under another account
  if (!options_.account.empty()) {
    HDC_ASSIGN_OR_RETURN(auto accounts, table.Accounts());
    for (const auto& a : accounts) {
      if (a.account != options_.account) others.insert(a.name);
    }
  }
  std::vector<LocalJob> local;
  for (const db::JobRecord& r : records) {
    if (!others.contains(r.name)) local.push_back({r.name, r.template_id, r.report_id});
  }
  return local;
}

util::Result<std::vector<Action>> Reconciler::PlanOnly(const std::vector<config::JobSpec>& jobs) {
  auto remote = ListRemote();
  if (!remote.ok()) return remote.status();
  auto local = LoadLocal();
  if (!local.ok()) return local.status();
  return Plan(BuildDesired(jobs, options_.callback_url), remote->templates, remote->schedules,
              *local);
}

util::Status Reconciler::AbandonIntents(const std::vector<db::Intent>& pending,
                                        const std::vector<config::JobSpec>& jobs,
                                        const std::vector<LocalJob>& local) {
  std::set<std::string> ours;
  for (const config::JobSpec& job : jobs) ours.insert(job.name);
  for (const LocalJob& l : local) ours.insert(l.name);
  db::JobsTable table(db_);
  for (const db::Intent& intent : pending) {
    if (!options_.account.empty() && !ours.contains(intent.job_name)) continue;
    util::GetLogger("reconcile")
        ->warn("resuming after an interrupted '{}' for job {} (intent {}): adopting by listing",
               intent.action, intent.job_name, intent.id);
    HDC_RETURN_IF_ERROR(table.FinishIntent(intent.id, "abandoned", std::nullopt, Now()));
  }
  return util::Status::Ok();
}

util::Result<ReconcileSummary> Reconciler::Run(const std::vector<config::JobSpec>& jobs) {
  auto log = util::GetLogger("reconcile");
  crashed_ = false;
  db::JobsTable table(db_);
  auto pending = table.PendingIntents();
  if (!pending.ok()) return pending.status();
  auto remote = ListRemote();
  if (!remote.ok()) return remote.status();
  auto local = LoadLocal();
  if (!local.ok()) return local.status();
  HDC_RETURN_IF_ERROR(AbandonIntents(*pending, jobs, *local));
  const std::vector<DesiredJob> desired = BuildDesired(jobs, options_.callback_url);
  ReconcileSummary summary;
  summary.actions = Plan(desired, remote->templates, remote->schedules, *local);

  std::map<std::string, const DesiredJob*> by_name;
  for (const DesiredJob& d : desired) by_name[d.name] = &d;
  std::map<std::string, std::string> template_ids;  // job -> template id as it becomes known
  std::map<std::string, bool> failed;
  for (const LocalJob& l : *local) {
    if (l.template_id) template_ids[l.name] = *l.template_id;
  }
  for (const Action& action : summary.actions) {
    if (action.kind == ActionKind::kOrphanJob) {
      log->warn("{}: left alone remotely", Describe(action));
      continue;
    }
    if (failed[action.job]) continue;
    std::string& template_id = template_ids[action.job];
    if (!action.template_id.empty()) template_id = action.template_id;
    util::Status status = Apply(action, *by_name.at(action.job), template_id);
    if (crashed_) return status;  // an injected crash: nothing more is committed
    if (!status.ok()) {
      log->error("job {}: {}", action.job, status.ToString());
      summary.problems.push_back(status.WithContext("job " + action.job + ": "));
      failed[action.job] = true;
      continue;
    }
    summary.applied.push_back(Describe(action));
    if (ChangesRemote(action.kind) || action.kind == ActionKind::kAdoptTemplate ||
        action.kind == ActionKind::kAdoptSchedule) {
      log->info("{}", Describe(action));
    }
  }
  for (const DesiredJob& d : desired) {
    if (failed[d.name]) continue;
    HDC_RETURN_IF_ERROR(table.SaveJob(d.name, d.template_fingerprint, d.schedule_fingerprint,
                                      d.enabled, Now(), d.account));
  }
  return summary;
}

util::Status Reconciler::Apply(const Action& action, const DesiredJob& job,
                               std::string& template_id) {
  db::JobsTable table(db_);
  switch (action.kind) {
    case ActionKind::kAdoptTemplate:
      template_id = action.template_id;
      return table.SetTemplate(job.name, template_id, job.template_fingerprint, true, Now());
    case ActionKind::kCreateTemplate:
      return WithIntent(
          job, "create-template", job.template_fingerprint, job.template_body,
          [&] { return api_.CreateTemplate(job.template_body); },
          [&](const std::string& id) {
            template_id = id;
            return table.SetTemplate(job.name, id, job.template_fingerprint, false, Now());
          });
    case ActionKind::kEditTemplate:
      return WithIntent(
          job, "edit-template", job.template_fingerprint, job.template_body,
          [&]() -> util::Result<std::string> {
            HDC_RETURN_IF_ERROR(api_.EditTemplate(action.template_id, job.template_body));
            return action.template_id;
          },
          [&](const std::string& id) {
            return table.SetTemplate(job.name, id, job.template_fingerprint, false, Now());
          });
    case ActionKind::kAdoptSchedule:
      return table.SetSchedule(
          job.name,
          {.report_id = action.report_id,
           .template_id = action.template_id,
           .fingerprint = action.detail == "identical" ? job.schedule_fingerprint : "",
           .is_active = true,
           .adopted = true},
          Now());
    case ActionKind::kCreateSchedule:
      return CreateSchedule(job, template_id);
    case ActionKind::kEditSchedule:
      return EditSchedule(action, job, template_id);
    case ActionKind::kPauseSchedule:
    case ActionKind::kResumeSchedule:
      return PauseOrResumeSchedule(action, job, template_id);
    case ActionKind::kForgetTemplate:
      template_id.clear();
      return table.ForgetTemplate(job.name);
    case ActionKind::kForgetSchedule:
      return table.ForgetSchedule(job.name);
    case ActionKind::kOrphanJob:
      return util::Status::Ok();
  }
  return util::InternalError("unknown action");
}

util::Status Reconciler::CreateSchedule(const DesiredJob& job, const std::string& template_id) {
  if (template_id.empty()) return util::InternalError("no template id for the schedule");
  const json body = BuildCreateScheduleBody(job.schedule, 0).at("schedule");
  json request{{"templateId", IdValue(template_id)}, {"schedule", body}};
  return WithIntent(
      job, "create-schedule", job.schedule_fingerprint, request,
      [&] { return api_.CreateSchedule(request); },
      [&](const std::string& id) {
        return RecordSchedule(job, template_id, id, /*is_active=*/true);
      });
}

util::Status Reconciler::EditSchedule(const Action& action, const DesiredJob& job,
                                      const std::string& template_id) {
  json request = BuildEditScheduleBody(job.schedule, 0);
  request["templateId"] = IdValue(template_id);
  return WithIntent(
      job, "edit-schedule", job.schedule_fingerprint, request,
      [&]() -> util::Result<std::string> {
        HDC_RETURN_IF_ERROR(api_.EditSchedule(action.report_id, request));
        return action.report_id;
      },
      [&](const std::string& id) {
        return RecordSchedule(job, template_id, id, /*is_active=*/true);
      });
}

util::Status Reconciler::PauseOrResumeSchedule(const Action& action, const DesiredJob& job,
                                               const std::string& template_id) {
  const bool resume = action.kind == ActionKind::kResumeSchedule;
  return WithIntent(
      job, resume ? "resume" : "pause", job.schedule_fingerprint, json::object(),
      [&]() -> util::Result<std::string> {
        HDC_RETURN_IF_ERROR(resume ? api_.ResumeSchedule(action.report_id)
                                   : api_.PauseSchedule(action.report_id));
        return action.report_id;
      },
      [&](const std::string& id) { return RecordSchedule(job, template_id, id, resume); });
}

util::Status Reconciler::WithIntent(const DesiredJob& job, const char* what,
                                    const std::string& fingerprint, const json& body,
                                    const std::function<util::Result<std::string>()>& call,
                                    const std::function<util::Status(const std::string&)>& record) {
  db::JobsTable table(db_);
  auto intent = table.AddIntent(job.name, what, fingerprint, Canonical(body), Now());
  if (!intent.ok()) return intent.status();
  auto remote_id = call();
  if (!remote_id.ok()) {
    // A refusal is final; anything else may or may not have happened.
    if (remote_id.status().kind() == util::ErrorKind::kBadData) {
      HDC_RETURN_IF_ERROR(table.FinishIntent(*intent, "abandoned", std::nullopt, Now()));
    }
    return remote_id.status();
  }
  HDC_RETURN_IF_ERROR(Hook(std::string("after-") + what));
  auto tx = db_.BeginWrite();
  if (!tx.ok()) return tx.status();
  HDC_RETURN_IF_ERROR(record(*remote_id));
  HDC_RETURN_IF_ERROR(table.FinishIntent(*intent, "done", *remote_id, Now()));
  return tx->Commit();
}

util::Status Reconciler::RecordSchedule(const DesiredJob& job, const std::string& template_id,
                                        const std::string& report_id, bool is_active) {
  return db::JobsTable(db_).SetSchedule(job.name,
                                        {.report_id = report_id,
                                         .template_id = template_id,
                                         .fingerprint = job.schedule_fingerprint,
                                         .is_active = is_active,
                                         .adopted = false},
                                        Now());
}

}  // namespace hdc::reconcile
