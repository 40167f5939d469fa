#include "api/models.h"

#include <doctest/doctest.h>

namespace hdc::api {
namespace {

constexpr std::string_view kPath = "/analytics/driver/reporttemplate";

TEST_CASE("a created template's id is read as number or string, with errors null or []") {
  CHECK(*ParseCreatedTemplateId(R"J({"data":{"templateId":42},"errors":null})J", kPath) == "42");
  CHECK(*ParseCreatedTemplateId(R"J({"data":{"templateId":"42"},"errors":[]})J", kPath) == "42");
  CHECK(*ParseCreatedTemplateId(R"J({"Data":{"TemplateID":7}})J", kPath) == "7");
  CHECK(*ParseReportId(R"J({"data":{"reportId":"9"},"errors":[]})J", "/x") == "9");
}

TEST_CASE("envelope errors and unusable bodies are bad data naming the path") {
  auto with_errors = ParseCreatedTemplateId(
      R"J({"data":null,"errors":[{"code":"InvalidView","message":"unknown view"},"second"]})J",
      kPath);
  REQUIRE_FALSE(with_errors.ok());
  CHECK(with_errors.status().kind() == util::ErrorKind::kBadData);
  CHECK(with_errors.status().message() == std::string(kPath) +
                                              ": the server reported errors: InvalidView: "
                                              "unknown view; second");
  CHECK(ParseCreatedTemplateId("not json", kPath).status().message() ==
        std::string(kPath) + ": response is not valid JSON");
  CHECK(ParseCreatedTemplateId("", kPath).status().message() ==
        std::string(kPath) + ": empty response body");
  CHECK(ParseCreatedTemplateId(R"J({"data":{}})J", kPath).status().message() ==
        std::string(kPath) + ": no templateId in the response");
  CHECK(ParseCreatedTemplateId("[1]", kPath).status().message() ==
        std::string(kPath) + ": expected a JSON object");
  CHECK(ParseCreatedTemplateId(std::string(100000, '[') + std::string(100000, ']'), kPath)
            .status()
            .message() == std::string(kPath) + ": JSON nested deeper than 64 levels");
}

TEST_CASE("template listings decode templates sent as JSON strings or objects") {
  auto list = ParseTemplateList(
      R"J({"data":[{"templateId":42,"template":"{\"view\":\"IHVDriver\",\"projection\":[\"DriverName\"]}",)J"
      R"J("createdDatetime":"2024-04-02T08:15:30.117","modifiedDatetime":"2024-04-03T10:00:01.5"},)J"
      R"J({"templateId":"43","template":{"view":"OEMDriver"}}],"errors":[]})J",
      kPath);
  REQUIRE_MESSAGE(list.ok(), list.status().message());
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].template_id == "42");
  CHECK((*list)[0].body["view"] == "IHVDriver");
  CHECK((*list)[0].created == "2024-04-02T08:15:30.117");
  CHECK((*list)[1].template_id == "43");
  CHECK((*list)[1].body["view"] == "OEMDriver");
  CHECK(ParseTemplateList(R"J({"data":[],"errors":[]})J", kPath)->empty());
  CHECK(ParseTemplateList(R"J({"data":[{"templateId":1,"template":"{broken"}]})J", kPath)
            .status()
            .message() == std::string(kPath) + ": response is not valid JSON");
}

TEST_CASE("a single template matches keys trimmed and case-folded") {
  auto t = ParseTemplate(
      R"J({"data":{"templateId":42," template":"{\"view\":\"IHVDriver\"}"},"errors":[]})J", kPath);
  REQUIRE_MESSAGE(t.ok(), t.status().message());
  CHECK(t->body["view"] == "IHVDriver");
}

TEST_CASE("a schedule whose interval or recurrence no 64-bit integer holds is refused") {
  for (const char* number : {"1e76", "-1e76", "18446744073709551615"}) {
    const std::string text =
        std::string(R"J({"data":[{"reportId":7,"templateId":42,"schedule":{)J") +
        R"J("startTime":"2024-05-01T00:00:00Z","recurrenceInterval":)J" + number +
        R"J(,"recurrence":3}}]})J";
    auto list = ParseScheduleList(text, "/analytics/driver/report");
    CAPTURE(number);
    CHECK_FALSE(list.ok());
  }
}

TEST_CASE("schedule listings normalise camel and Pascal case to the create form") {
  auto list = ParseScheduleList(
      R"J({"data":[{"reportId":7,"templateId":42,"isActive":true,)J"
      R"J("schedule":"{\"startTime\":\"2024-05-01T00:00:00Z\",\"recurrenceInterval\":24,\"recurrence\":30}"},)J"
      R"J({"reportId":"8","templateId":"43","isActive":false,)J"
      R"J("schedule":{"StartTime":"2024-05-01T00:00:00","RecurrenceInterval":"12","Recurrence":2,"CallbackUrl":"https://x/cb"}}]})J",
      "/analytics/driver/report");
  REQUIRE_MESSAGE(list.ok(), list.status().message());
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].report_id == "7");
  CHECK((*list)[0].is_active);
  CHECK((*list)[0].schedule.dump() ==
        R"J({"recurrence":30,"recurrenceInterval":24,"startTime":"2024-05-01T00:00:00Z"})J");
  CHECK((*list)[1].template_id == "43");
  CHECK_FALSE((*list)[1].is_active);
  CHECK(
      (*list)[1].schedule.dump() ==
      R"J({"callbackUrl":"https://x/cb","recurrence":2,"recurrenceInterval":12,"startTime":"2024-05-01T00:00:00Z"})J");
  CHECK(ParseScheduleList(R"J({"data":[{"reportId":7,"templateId":1,"schedule":"{}"}]})J", "/r")
            .status()
            .message() == "/r: schedule lacks startTime, recurrenceInterval or recurrence");
}

TEST_CASE("report data statuses are normalised and duplicates collapse") {
  auto executions = ParseReportData(
      R"J({"data":[)J"
      R"J({"ReportDatetime":"2024-05-02T05:35:32","ReportStatus":"Completed","ReportLocation":"https://b/r/2.txt?sig=x"},)J"
      R"J({"ReportDatetime":"2024-05-01T05:35:32","ReportStatus":"in progress","ReportLocation":""},)J"
      R"J({"ReportDatetime":"2024-05-03T05:35:32","ReportStatus":"COMPLETED","ReportLocation":""},)J"
      R"J({"ReportDatetime":"2024-05-04T05:35:32.500","ReportStatus":"Exploded"},)J"
      R"J({"ReportDatetime":"2024-05-02T05:35:32Z","ReportStatus":"Failed","ReportLocation":""},)J"
      R"J({"reportdatetime":"2024-05-05T00:00:00","reportstatus":"Pending","reportlocation":"ignored"}]})J",
      "/analytics/driver/reportdata/7");
  REQUIRE_MESSAGE(executions.ok(), executions.status().message());
  REQUIRE(executions->size() == 5);
  const auto& e = *executions;
  CHECK(e[0].report_datetime == "2024-05-01T05:35:32Z");
  CHECK(e[0].status == ExecutionStatus::kInProgress);
  CHECK(e[1].report_datetime == "2024-05-02T05:35:32Z");
  CHECK(e[1].status == ExecutionStatus::kCompleted);  // the Completed duplicate wins over Failed
  CHECK(e[1].ready());
  CHECK(e[1].location == "https://b/r/2.txt?sig=x");
  CHECK(e[2].status == ExecutionStatus::kCompleted);
  CHECK_FALSE(e[2].ready());  // Completed without a link is not ready
  CHECK(e[3].status == ExecutionStatus::kUnknown);
  CHECK(e[3].raw_status == "Exploded");
  CHECK(e[3].report_datetime == "2024-05-04T05:35:32Z");
  CHECK(e[4].status == ExecutionStatus::kPending);
  CHECK(e[4].location.empty());
  CHECK(ParseReportData(R"J({"data":[{"ReportStatus":"Pending"}]})J", "/d").status().message() ==
        "/d: an execution without ReportDatetime");
}

TEST_CASE("the bulk cab listing has no envelope and may carry a next link") {
  auto page = ParseCabPage(
      R"J({"Value":[{"applicationId":13900000000000001,"submissionId":"299_139_115",)J"
      R"J("failureHash":"f-1","cabIdHash":"c-1","cabUrl":"https://b/c.cab?sig=s",)J"
      R"J("date":"2024-03-01 13:05:09","cabExpirationTime":"2024-03-31 13:05:09"}],"@nextLink":"next?skip=100"})J",
      "/v1.0/my/analytics/driver/cabdownloadbatch");
  REQUIRE_MESSAGE(page.ok(), page.status().message());
  REQUIRE(page->cabs.size() == 1);
  CHECK(page->cabs[0].application_id == "13900000000000001");
  CHECK(page->cabs[0].cab_id_hash == "c-1");
  REQUIRE(page->cabs[0].expiration.has_value());
  CHECK(*page->cabs[0].expiration - *page->cabs[0].date == std::chrono::days(30));
  CHECK(page->next_link == "next?skip=100");
  CHECK(ParseCabPage(R"J({"data":[]})J", "/b").status().message() ==
        "/b: expected {\"Value\": [...]}");
}

}  // namespace
}  // namespace hdc::api
