#include "reconcile/plan.h"

#include <algorithm>
#include <map>
#include <set>

namespace hdc::reconcile {
namespace {

struct Claims {
  std::set<std::string> templates;
  std::set<std::string> schedules;
};

const LocalJob* FindLocal(const std::vector<LocalJob>& local, const std::string& name) {
  for (const LocalJob& l : local) {
    if (l.name == name) return &l;
  }
  return nullptr;
}

template <typename View>
const View* FindById(const std::vector<View>& views, const std::string& id,
                     std::string View::*field) {
  for (const View& v : views) {
    if (v.*field == id) return &v;
  }
  return nullptr;
}

// The template part; returns the id the schedule should use ("" = to be created).
std::string PlanTemplate(const DesiredJob& job, const LocalJob* local,
                         const std::vector<RemoteTemplateView>& remote, Claims& claims,
                         std::vector<Action>& out) {
  if (local && local->template_id) {
    const auto* recorded = FindById(remote, *local->template_id, &RemoteTemplateView::template_id);
    if (recorded && !claims.templates.count(recorded->template_id)) {
      claims.templates.insert(recorded->template_id);
      if (recorded->fingerprint != job.template_fingerprint) {
        out.push_back({ActionKind::kEditTemplate, job.name, recorded->template_id, "", ""});
      }
      return recorded->template_id;
    }
    out.push_back({ActionKind::kForgetTemplate, job.name, *local->template_id, "",
                   "no longer listed remotely"});
  }
  for (const RemoteTemplateView& t : remote) {
    if (t.fingerprint == job.template_fingerprint && !claims.templates.count(t.template_id)) {
      claims.templates.insert(t.template_id);
      out.push_back({ActionKind::kAdoptTemplate, job.name, t.template_id, "", "identical"});
      return t.template_id;
    }
  }
  out.push_back({ActionKind::kCreateTemplate, job.name, "", "", ""});
  return "";
}

const RemoteScheduleView* FindSchedule(const DesiredJob& job, const LocalJob* local,
                                       const std::string& template_id,
                                       const std::vector<RemoteScheduleView>& remote,
                                       Claims& claims, std::vector<Action>& out, bool* adopted) {
  *adopted = false;
  if (local && local->report_id) {
    const auto* recorded = FindById(remote, *local->report_id, &RemoteScheduleView::report_id);
    if (recorded && !claims.schedules.count(recorded->report_id)) return recorded;
    out.push_back({ActionKind::kForgetSchedule, job.name, "", *local->report_id,
                   "no longer listed remotely"});
  }
  if (template_id.empty()) return nullptr;  // a new template has no schedules
  const RemoteScheduleView* candidate = nullptr;
  for (const RemoteScheduleView& s : remote) {
    if (s.template_id != template_id || claims.schedules.count(s.report_id)) continue;
    if (s.fingerprint == job.schedule_fingerprint) {
      candidate = &s;
      break;
    }
    if (candidate == nullptr) candidate = &s;
  }
  *adopted = candidate != nullptr;
  return candidate;
}

void PlanSchedule(const DesiredJob& job, const LocalJob* local, const std::string& template_id,
                  const std::vector<RemoteScheduleView>& remote, Claims& claims,
                  std::vector<Action>& out) {
  bool adopted = false;
  const RemoteScheduleView* schedule =
      FindSchedule(job, local, template_id, remote, claims, out, &adopted);
  if (schedule == nullptr) {
    if (job.enabled) out.push_back({ActionKind::kCreateSchedule, job.name, template_id, "", ""});
    return;
  }
  claims.schedules.insert(schedule->report_id);
  const bool same =
      schedule->fingerprint == job.schedule_fingerprint && schedule->template_id == template_id;
  if (adopted) {
    out.push_back({ActionKind::kAdoptSchedule, job.name, schedule->template_id, schedule->report_id,
                   same ? "identical" : "to be edited"});
  }
  if (!same) {
    out.push_back({ActionKind::kEditSchedule, job.name, template_id, schedule->report_id, ""});
  }
  if (job.enabled && !schedule->is_active) {
    out.push_back({ActionKind::kResumeSchedule, job.name, template_id, schedule->report_id, ""});
  } else if (!job.enabled && schedule->is_active) {
    out.push_back({ActionKind::kPauseSchedule, job.name, template_id, schedule->report_id, ""});
  }
}

}  // namespace

std::string_view ActionName(ActionKind kind) {
  switch (kind) {
    case ActionKind::kAdoptTemplate:
      return "adopt template";
    case ActionKind::kCreateTemplate:
      return "create template";
    case ActionKind::kEditTemplate:
      return "edit template";
    case ActionKind::kAdoptSchedule:
      return "adopt schedule";
    case ActionKind::kCreateSchedule:
      return "create schedule";
    case ActionKind::kEditSchedule:
      return "edit schedule";
    case ActionKind::kPauseSchedule:
      return "pause schedule";
    case ActionKind::kResumeSchedule:
      return "resume schedule";
    case ActionKind::kForgetTemplate:
      return "forget template";
    case ActionKind::kForgetSchedule:
      return "forget schedule";
    case ActionKind::kOrphanJob:
      return "leave alone";
  }
  return "?";
}

bool ChangesRemote(ActionKind kind) {
  switch (kind) {
    case ActionKind::kCreateTemplate:
    case ActionKind::kEditTemplate:
    case ActionKind::kCreateSchedule:
    case ActionKind::kEditSchedule:
    case ActionKind::kPauseSchedule:
    case ActionKind::kResumeSchedule:
      return true;
    default:
      return false;
  }
}

std::vector<Action> Plan(const std::vector<DesiredJob>& desired,
                         const std::vector<RemoteTemplateView>& remote_templates,
                         const std::vector<RemoteScheduleView>& remote_schedules,
                         const std::vector<LocalJob>& local) {
  std::vector<const DesiredJob*> jobs;
  for (const DesiredJob& job : desired) jobs.push_back(&job);
  std::sort(jobs.begin(), jobs.end(),
            [](const DesiredJob* a, const DesiredJob* b) { return a->name < b->name; });
  Claims claims;
  // Recorded objects are claimed first, so adoption never steals them.
  for (const DesiredJob* job : jobs) {
    const LocalJob* l = FindLocal(local, job->name);
    if (l && l->template_id) claims.templates.insert(*l->template_id);
    if (l && l->report_id) claims.schedules.insert(*l->report_id);
  }
  std::vector<Action> out;
  for (const DesiredJob* job : jobs) {
    const LocalJob* l = FindLocal(local, job->name);
    if (l && l->template_id) claims.templates.erase(*l->template_id);
    if (l && l->report_id) claims.schedules.erase(*l->report_id);
    if (!job->enabled && !(l && l->report_id)) {
      // Disabled and never scheduled: nothing to pause, nothing to create,
      // unless an existing schedule of ours can be found to pause.
      bool has_schedule = false;
      for (const RemoteScheduleView& s : remote_schedules) {
        for (const RemoteTemplateView& t : remote_templates) {
          has_schedule |= t.fingerprint == job->template_fingerprint &&
                          s.template_id == t.template_id && !claims.schedules.count(s.report_id);
        }
      }
      if (!has_schedule) continue;
    }
    const std::string template_id = PlanTemplate(*job, l, remote_templates, claims, out);
    PlanSchedule(*job, l, template_id, remote_schedules, claims, out);
  }
  for (const LocalJob& l : local) {
    const bool wanted = std::any_of(desired.begin(), desired.end(),
                                    [&](const DesiredJob& d) { return d.name == l.name; });
    if (!wanted) {
      out.push_back({ActionKind::kOrphanJob, l.name, l.template_id.value_or(""),
                     l.report_id.value_or(""), "no longer in the configuration"});
    }
  }
  return out;
}

std::string Describe(const Action& action) {
  std::string line = std::string(ActionName(action.kind));
  if (!action.template_id.empty() &&
      (action.kind == ActionKind::kAdoptTemplate || action.kind == ActionKind::kEditTemplate ||
       action.kind == ActionKind::kForgetTemplate)) {
    line += " " + action.template_id;
  }
  if (!action.report_id.empty()) line += " " + action.report_id;
  line += " for job " + action.job;
  if (!action.detail.empty()) line += " (" + action.detail + ")";
  return line;
}

}  // namespace hdc::reconcile
