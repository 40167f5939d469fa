#include "emulator/executions.h"

#include <algorithm>

#include "emulator/hash.h"

namespace hdc::emulator {
namespace {

using std::chrono::hours;

bool Paused(const RemoteSchedule& s, TimePoint t) {
  for (const auto& [from, to] : s.pauses) {
    if (t >= from && t < to) return true;
  }
  return false;
}

// Index of the first slot at or after t (may be negative for t < start).
std::int64_t FirstSlotAtOrAfter(const ScheduleSpec& spec, TimePoint t) {
  const auto interval = std::chrono::duration_cast<util::Duration>(hours(spec.interval_hours));
  if (t <= spec.start) return 0;
  return ((t - spec.start) + interval - util::Duration(1)) / interval;
}

TimePoint Slot(const ScheduleSpec& spec, std::int64_t k) {
  return spec.start + k * std::chrono::duration_cast<util::Duration>(hours(spec.interval_hours));
}

}  // namespace

std::string_view RunStatusName(RunStatus s) {
  switch (s) {
    case RunStatus::kPending:
      return "Pending";
    case RunStatus::kInProgress:
      return "In Progress";
    case RunStatus::kCompleted:
      return "Completed";
    case RunStatus::kFailed:
      return "Failed";
  }
  return "Pending";
}

TimePoint DoneAt(TimePoint slot, const Settings& settings) {
  return slot + settings.pending_duration + settings.running_duration;
}

namespace {

bool Fails(std::int64_t report_id, TimePoint slot, const Settings& settings, std::uint64_t seed) {
  const auto ms = static_cast<std::uint64_t>(slot.time_since_epoch().count());
  return Unit(Hash({seed, 0xfa11, static_cast<std::uint64_t>(report_id), ms})) <
         settings.failure_probability;
}

}  // namespace

RunStatus StatusAt(std::int64_t report_id, TimePoint slot, TimePoint now, const Settings& settings,
                   std::uint64_t seed) {
  if (now < slot + settings.pending_duration) return RunStatus::kPending;
  if (now < DoneAt(slot, settings)) return RunStatus::kInProgress;
  const auto completed = CompletedAt(report_id, slot, settings, seed);
  return completed && now >= *completed ? RunStatus::kCompleted : RunStatus::kFailed;
}

std::optional<TimePoint> CompletedAt(std::int64_t report_id, TimePoint slot,
                                     const Settings& settings, std::uint64_t seed) {
  const TimePoint done = DoneAt(slot, settings);
  if (!Fails(report_id, slot, settings, seed)) return done;
  if (settings.flip_failed_after.count() > 0) return done + settings.flip_failed_after;
  return std::nullopt;
}

std::vector<Execution> ExecutionsOf(const RemoteSchedule& s, TimePoint now,
                                    const Settings& settings, std::uint64_t seed) {
  std::vector<Execution> out;
  for (const auto& run : s.past_runs) {
    if (run.slot <= now) out.push_back({s.id, run.template_id, run.slot, RunStatus::kPending});
  }
  const std::int64_t first = FirstSlotAtOrAfter(s.spec, s.effective_from);
  for (std::int64_t k = first; k < s.spec.recurrence; ++k) {
    const TimePoint t = Slot(s.spec, k);
    if (t > now) break;
    if (!Paused(s, t)) out.push_back({s.id, s.template_id, t, RunStatus::kPending});
  }
  for (auto& e : out) e.status = StatusAt(s.id, e.slot, now, settings, seed);
  std::stable_sort(out.begin(), out.end(),
                   [](const Execution& a, const Execution& b) { return a.slot < b.slot; });
  return out;
}

std::optional<TimePoint> NextCompletion(const RemoteSchedule& s, TimePoint after,
                                        const Settings& settings, std::uint64_t seed) {
  std::optional<TimePoint> best;
  auto consider = [&](TimePoint slot) {
    const auto c = CompletedAt(s.id, slot, settings, seed);
    if (c && *c > after && (!best || *c < *best)) best = c;
  };
  for (const auto& run : s.past_runs) consider(run.slot);
  // A run completes at most lead + flip after its slot; later slots complete
  // no earlier than their DoneAt, so stop once that passes the best so far.
  auto lead = settings.pending_duration + settings.running_duration;
  if (settings.failure_probability > 0 && settings.flip_failed_after.count() > 0)
    lead += settings.flip_failed_after;
  const TimePoint open_pause = !s.pauses.empty() && s.pauses.back().second == TimePoint::max()
                                   ? s.pauses.back().first
                                   : TimePoint::max();
  std::int64_t k = std::max(FirstSlotAtOrAfter(s.spec, s.effective_from),
                            FirstSlotAtOrAfter(s.spec, after - lead));
  for (; k < s.spec.recurrence; ++k) {
    const TimePoint t = Slot(s.spec, k);
    if (t >= open_pause || (best && DoneAt(t, settings) > *best)) break;
    if (!Paused(s, t)) consider(t);
  }
  return best;
}

void ReplaceSpec(RemoteSchedule& s, const ScheduleSpec& spec, std::int64_t template_id,
                 TimePoint now, const Settings& settings, std::uint64_t seed) {
  std::vector<PastRun> runs;
  for (const auto& e : ExecutionsOf(s, now, settings, seed))
    runs.push_back({e.slot, e.template_id});
  s.past_runs = std::move(runs);
  s.spec = spec;
  s.template_id = template_id;
  s.effective_from = now + util::Duration(1);  // a slot exactly now already ran
  s.modified = now;
}

}  // namespace hdc::emulator
