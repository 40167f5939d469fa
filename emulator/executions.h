// Executions derived from a schedule and the emulator clock (docs/hdc-api.md §Schedule body):
// one run at startTime + k × interval for k < recurrence, at or after the
// schedule's creation (or last edit), none while paused; runs of earlier
// versions of the schedule are kept. A run is Pending, then In Progress, then
// Completed or Failed (seeded per run), as the settings' durations say.
// Nothing is stored: the list is recomputed from the clock. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "emulator/settings.h"
#include "emulator/state.h"

namespace hdc::emulator {

enum class RunStatus { kPending, kInProgress, kCompleted, kFailed };

struct Execution {
  std::int64_t report_id = 0;
  std::int64_t template_id = 0;
  TimePoint slot;  // ReportDatetime
  RunStatus status = RunStatus::kPending;
};

std::string_view RunStatusName(RunStatus s);  // "In Progress" with a space

// Runs with slot <= now, oldest first.
std::vector<Execution> ExecutionsOf(const RemoteSchedule& s, TimePoint now,
                                    const Settings& settings, std::uint64_t seed);
RunStatus StatusAt(std::int64_t report_id, TimePoint slot, TimePoint now, const Settings& settings,
                   std::uint64_t seed);
// When a run reaches its final state (slot + pending + running).
TimePoint DoneAt(TimePoint slot, const Settings& settings);
// When a run turns Completed: DoneAt(slot), or DoneAt(slot) +
// flip_failed_after for a Failed run that flips; nullopt for a run that
// stays Failed.
std::optional<TimePoint> CompletedAt(std::int64_t report_id, TimePoint slot,
                                     const Settings& settings, std::uint64_t seed);
// The earliest CompletedAt > after among the schedule's runs (earlier
// versions' runs and unpaused slots); nullopt when no further run will turn
// Completed (as far as the schedule is known now).
std::optional<TimePoint> NextCompletion(const RemoteSchedule& s, TimePoint after,
                                        const Settings& settings, std::uint64_t seed);
// Freezes the runs so far into past_runs and restarts the slots from `now`
// with the new spec (edit schedule).
void ReplaceSpec(RemoteSchedule& s, const ScheduleSpec& spec, std::int64_t template_id,
                 TimePoint now, const Settings& settings, std::uint64_t seed);

}  // namespace hdc::emulator
