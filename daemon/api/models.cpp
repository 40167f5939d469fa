#include "api/models.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <map>

#include "http/client.h"
#include "util/strings.h"
#include "util/time_format.h"

namespace hdc::api {
namespace {

using nlohmann::json;

constexpr int kMaxDepth = 64;

using util::EqualsIgnoreCase;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

util::Status Bad(std::string_view path, const std::string& problem) {
  return util::BadDataError(std::string(path) + ": " + problem);
}

// An ID as a string, from a JSON number or string.
std::optional<std::string> IdText(const json* value) {
  if (value == nullptr) return std::nullopt;
  if (value->is_string() && !value->get<std::string>().empty()) return value->get<std::string>();
  if (value->is_number_unsigned()) return std::to_string(value->get<std::uint64_t>());
  if (value->is_number_integer()) return std::to_string(value->get<std::int64_t>());
  return std::nullopt;
}

std::string TextOf(const json* value) {
  if (value == nullptr || value->is_null()) return "";
  if (value->is_string()) return value->get<std::string>();
  return value->dump();
}

// The envelope's data member, refusing errors and a missing member.
util::Result<json> Data(const json& envelope, std::string_view path) {
  if (!envelope.is_object()) return Bad(path, "expected a JSON object");
  const std::string errors = EnvelopeErrors(envelope);
  if (!errors.empty()) return Bad(path, "the server reported errors: " + errors);
  const json* data = Member(envelope, "data");
  if (data == nullptr) return Bad(path, "no 'data' in the response");
  return *data;
}

// A JSON value that may arrive as a JSON-encoded string.
util::Result<json> Embedded(const json* value, std::string_view path, std::string_view what) {
  if (value == nullptr) return Bad(path, std::string("missing '") + std::string(what) + "'");
  if (value->is_object()) return *value;
  if (value->is_string()) {
    HDC_ASSIGN_OR_RETURN(auto inner, ParseJson(value->get<std::string>(), path));
    if (inner.is_object()) return inner;
  }
  return Bad(path,
             std::string("'") + std::string(what) + "' is neither an object nor a JSON string");
}

// "12", 12 or 12.0 as an integer; nullopt for a number no int64 holds (1e76,
// 2^64 - 1), which the server cannot have meant.
std::optional<std::int64_t> IntOf(const json* value) {
  if (value == nullptr) return std::nullopt;
  if (value->is_number_unsigned()) {
    const std::uint64_t n = value->get<std::uint64_t>();
    if (n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(n);
  }
  if (value->is_number_integer()) return value->get<std::int64_t>();
  if (value->is_number_float()) {
    // -2^63 <= d < 2^63, both exact as doubles; false for NaN as well.
    constexpr double kLimit = 9223372036854775808.0;
    const double d = value->get<double>();
    if (!(d >= -kLimit && d < kLimit)) return std::nullopt;
    return static_cast<std::int64_t>(d);
  }
  if (value->is_string()) {
    try {
      size_t used = 0;
      const std::string text = value->get<std::string>();
      const long long n = std::stoll(text, &used);
      if (used == text.size()) return n;
    } catch (...) {
    }
  }
  return std::nullopt;
}

util::Result<json> NormaliseSchedule(const json& raw, std::string_view path) {
  const auto start = Member(raw, "startTime");
  const auto interval = IntOf(Member(raw, "recurrenceInterval"));
  const auto recurrence = IntOf(Member(raw, "recurrence"));
  if (start == nullptr || !start->is_string() || !interval || !recurrence) {
    return Bad(path, "schedule lacks startTime, recurrenceInterval or recurrence");
  }
  auto time = util::ParseTimestamp(start->get<std::string>());
  if (!time.ok()) return Bad(path, "schedule startTime: " + time.status().message());
  json schedule{{"startTime", util::FormatTimestamp(*time)},
                {"recurrenceInterval", *interval},
                {"recurrence", *recurrence}};
  const json* callback = Member(raw, "callbackUrl");
  if (callback && callback->is_string() && !callback->get<std::string>().empty()) {
    schedule["callbackUrl"] = callback->get<std::string>();
  }
  return schedule;
}

ExecutionStatus ParseStatus(std::string_view raw) {
  std::string key;
  for (char c : raw) {
    if (!std::isspace(static_cast<unsigned char>(c))) {
      key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  if (key == "completed") return ExecutionStatus::kCompleted;
  if (key == "pending") return ExecutionStatus::kPending;
  if (key == "inprogress") return ExecutionStatus::kInProgress;
  if (key == "failed") return ExecutionStatus::kFailed;
  return ExecutionStatus::kUnknown;
}

// How far an execution has got: a ready one beats everything.
int Rank(const Execution& e) {
  if (e.ready()) return 4;
  switch (e.status) {
    case ExecutionStatus::kFailed:
      return 3;
    case ExecutionStatus::kInProgress:
      return 2;
    case ExecutionStatus::kPending:
      return 1;
    default:
      return 0;
  }
}

std::optional<util::TimePoint> OptionalTime(const json* value) {
  if (value == nullptr || !value->is_string()) return std::nullopt;
  auto t = util::ParseTimestamp(Trim(value->get<std::string>()));
  if (!t.ok()) return std::nullopt;
  return *t;
}

}  // namespace

std::string_view StatusName(ExecutionStatus status) {
  switch (status) {
    case ExecutionStatus::kPending:
      return "Pending";
    case ExecutionStatus::kInProgress:
      return "In Progress";
    case ExecutionStatus::kCompleted:
      return "Completed";
    case ExecutionStatus::kFailed:
      return "Failed";
    case ExecutionStatus::kUnknown:
      return "Unknown";
  }
  return "Unknown";
}

const json* Member(const json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (EqualsIgnoreCase(Trim(it.key()), key)) return &it.value();
  }
  return nullptr;
}

util::Result<json> ParseJson(std::string_view text, std::string_view path) {
  if (!http::JsonDepthWithin(text, kMaxDepth)) {
    return Bad(path, "JSON nested deeper than " + std::to_string(kMaxDepth) + " levels");
  }
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    return Bad(path, text.empty() ? "empty response body" : "response is not valid JSON");
  }
  return value;
}

std::string EnvelopeErrors(const json& envelope) {
  const json* errors = Member(envelope, "errors");
  if (errors == nullptr || errors->is_null()) return "";
  if (!errors->is_array()) return TextOf(errors);
  std::string out;
  for (const json& item : *errors) {
    std::string text;
    if (item.is_object()) {
      const std::string code = TextOf(Member(item, "code"));
      const std::string message = TextOf(Member(item, "message"));
      text = code.empty() ? message : code + (message.empty() ? "" : ": " + message);
      if (text.empty()) text = item.dump();
    } else {
      text = TextOf(&item);
    }
    out += (out.empty() ? "" : "; ") + text;
  }
  return out;
}

util::Result<std::string> ParseCreatedTemplateId(std::string_view text, std::string_view path) {
  HDC_ASSIGN_OR_RETURN(auto doc, ParseJson(text, path));
  HDC_ASSIGN_OR_RETURN(auto data, Data(doc, path));
  auto id = IdText(Member(data, "templateId"));
  if (!id) return Bad(path, "no templateId in the response");
  return *id;
}

util::Result<std::string> ParseReportId(std::string_view text, std::string_view path) {
  HDC_ASSIGN_OR_RETURN(auto doc, ParseJson(text, path));
  HDC_ASSIGN_OR_RETURN(auto data, Data(doc, path));
  auto id = IdText(Member(data, "reportId"));
  if (!id) return Bad(path, "no reportId in the response");
  return *id;
}

namespace {

util::Result<RemoteTemplate> TemplateFrom(const json& item, std::string_view path) {
  RemoteTemplate t;
  auto id = IdText(Member(item, "templateId"));
  if (!id) return Bad(path, "a template without templateId");
  t.template_id = *id;
  HDC_ASSIGN_OR_RETURN(t.body, Embedded(Member(item, "template"), path, "template"));
  t.created = TextOf(Member(item, "createdDatetime"));
  t.modified = TextOf(Member(item, "modifiedDatetime"));
  return t;
}

}  // namespace

util::Result<std::vector<RemoteTemplate>> ParseTemplateList(std::string_view text,
                                                            std::string_view path) {
  HDC_ASSIGN_OR_RETURN(auto doc, ParseJson(text, path));
  HDC_ASSIGN_OR_RETURN(auto data, Data(doc, path));
  if (data.is_null()) return std::vector<RemoteTemplate>{};
  if (!data.is_array()) return Bad(path, "expected 'data' to be an array");
  std::vector<RemoteTemplate> out;
  for (const json& item : data) {
    HDC_ASSIGN_OR_RETURN(auto t, TemplateFrom(item, path));
    out.push_back(std::move(t));
  }
  return out;
}

util::Result<RemoteTemplate> ParseTemplate(std::string_view text, std::string_view path) {
  HDC_ASSIGN_OR_RETURN(auto doc, ParseJson(text, path));
  HDC_ASSIGN_OR_RETURN(auto data, Data(doc, path));
  const json& item = data.is_array() && data.size() == 1 ? data[0] : data;
  return TemplateFrom(item, path);
}

util::Result<std::vector<RemoteSchedule>> ParseScheduleList(std::string_view text,
                                                            std::string_view path) {
  HDC_ASSIGN_OR_RETURN(auto doc, ParseJson(text, path));
  HDC_ASSIGN_OR_RETURN(auto data, Data(doc, path));
  if (data.is_null()) return std::vector<RemoteSchedule>{};
  if (!data.is_array()) return Bad(path, "expected 'data' to be an array");
  std::vector<RemoteSchedule> out;
  for (const json& item : data) {
    RemoteSchedule s;
    auto report_id = IdText(Member(item, "reportId"));
    auto template_id = IdText(Member(item, "templateId"));
    if (!report_id || !template_id) return Bad(path, "a schedule without reportId or templateId");
    s.report_id = *report_id;
    s.template_id = *template_id;
    HDC_ASSIGN_OR_RETURN(auto raw, Embedded(Member(item, "schedule"), path, "schedule"));
    HDC_ASSIGN_OR_RETURN(s.schedule, NormaliseSchedule(raw, path));
    const json* active = Member(item, "isActive");
    s.is_active = active == nullptr || !active->is_boolean() || active->get<bool>();
    out.push_back(std::move(s));
  }
  return out;
}

util::Result<std::vector<Execution>> ParseReportData(std::string_view text, std::string_view path) {
  HDC_ASSIGN_OR_RETURN(auto doc, ParseJson(text, path));
  HDC_ASSIGN_OR_RETURN(auto data, Data(doc, path));
  if (data.is_null()) return std::vector<Execution>{};
  if (!data.is_array()) return Bad(path, "expected 'data' to be an array");
  std::map<util::TimePoint, Execution> by_time;  // collapses duplicates, sorts
  for (const json& item : data) {
    const json* when = Member(item, "ReportDatetime");
    if (when == nullptr || !when->is_string())
      return Bad(path, "an execution without ReportDatetime");
    auto time = util::ParseTimestamp(Trim(when->get<std::string>()));
    if (!time.ok()) return Bad(path, "ReportDatetime: " + time.status().message());
    Execution e;
    e.time = std::chrono::floor<std::chrono::seconds>(*time);
    e.report_datetime = util::FormatTimestamp(e.time);
    e.raw_status = TextOf(Member(item, "ReportStatus"));
    e.status = ParseStatus(e.raw_status);
    e.location = std::string(Trim(TextOf(Member(item, "ReportLocation"))));
    if (e.status != ExecutionStatus::kCompleted) e.location.clear();
    auto [it, inserted] = by_time.try_emplace(e.time, e);
    if (!inserted && Rank(e) > Rank(it->second)) it->second = e;
  }
  std::vector<Execution> out;
  for (auto& [time, e] : by_time) out.push_back(std::move(e));
  return out;
}

util::Result<CabPage> ParseCabPage(std::string_view text, std::string_view path) {
  HDC_ASSIGN_OR_RETURN(auto doc, ParseJson(text, path));
  const json* value = Member(doc, "Value");
  if (value == nullptr || !value->is_array()) return Bad(path, "expected {\"Value\": [...]}");
  CabPage page;
  for (const json& item : *value) {
    CabLink cab;
    cab.application_id = IdText(Member(item, "applicationId")).value_or("");
    cab.submission_id = TextOf(Member(item, "submissionId"));
    cab.failure_hash = TextOf(Member(item, "failureHash"));
    cab.cab_id_hash = TextOf(Member(item, "cabIdHash"));
    cab.cab_url = TextOf(Member(item, "cabUrl"));
    cab.date = OptionalTime(Member(item, "date"));
    cab.expiration = OptionalTime(Member(item, "cabExpirationTime"));
    if (cab.cab_id_hash.empty() || cab.cab_url.empty()) {
      return Bad(path, "a cab entry without cabIdHash or cabUrl");
    }
    page.cabs.push_back(std::move(cab));
  }
  page.next_link = TextOf(Member(doc, "@nextLink"));
  return page;
}

}  // namespace hdc::api
