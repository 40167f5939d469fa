// Deciding, without doing: desired jobs + remote listings + local records ->
// the actions that make remote state match the INI, never duplicating it
// (docs/architecture.md §Remote state). Pure; no I/O.
//
// Per job, in order:
// - Template: the recorded template if it still exists remotely (edited when
//   its content differs); else an unclaimed remote template with the same
//   fingerprint is adopted; else one is created.
// - Schedule: the recorded schedule if it still exists; else an unclaimed
//   remote schedule of the job's template (an exact fingerprint match
//   preferred) is adopted; else one is created. A schedule whose content or
//   template differs is edited; then paused or resumed to match `enabled`.
// - A disabled job that has no schedule yet creates nothing.
// Remote objects are claimed by one job at most, jobs taking them in name
// order, so two jobs with identical templates get one template each.
// Jobs recorded locally but gone from the INI are reported, never touched.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hdc::reconcile {

struct DesiredJob {
  std::string name;
  std::string account = "default";  // config::JobSpec::account
  nlohmann::json template_body;     // canonical (reconcile/template_builder.h)
  std::string template_fingerprint;
  nlohmann::json schedule;  // {"startTime", "recurrenceInterval", "recurrence"[, "callbackUrl"]}
  std::string schedule_fingerprint;
  bool enabled = true;
};

struct RemoteTemplateView {
  std::string template_id;
  std::string fingerprint;  // of the normalised body
};

struct RemoteScheduleView {
  std::string report_id;
  std::string template_id;
  std::string fingerprint;  // of the normalised schedule
  bool is_active = true;
};

struct LocalJob {
  std::string name;
  std::optional<std::string> template_id;
  std::optional<std::string> report_id;
};

enum class ActionKind {
  kAdoptTemplate,
  kCreateTemplate,
  kEditTemplate,
  kAdoptSchedule,
  kCreateSchedule,
  kEditSchedule,
  kPauseSchedule,
  kResumeSchedule,
  kForgetTemplate,  // recorded locally, gone remotely
  kForgetSchedule,
  kOrphanJob,  // recorded locally, gone from the INI: left alone remotely
};

std::string_view ActionName(ActionKind kind);
// Whether the action changes remote state (adopt/forget/orphan do not).
bool ChangesRemote(ActionKind kind);

struct Action {
  ActionKind kind;
  std::string job;
  // The remote object acted on; empty for a template or schedule still to be
  // created (a schedule created after its template takes the new id).
  std::string template_id;
  std::string report_id;
  // For adopt actions: whether the adopted object still needs an edit.
  std::string detail;
};

std::vector<Action> Plan(const std::vector<DesiredJob>& desired,
                         const std::vector<RemoteTemplateView>& remote_templates,
                         const std::vector<RemoteScheduleView>& remote_schedules,
                         const std::vector<LocalJob>& local);

// "create template for job kernel-crashes", one line per action.
std::string Describe(const Action& action);

}  // namespace hdc::reconcile
