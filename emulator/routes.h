// Internal: the route groups. Each Register* adds its routes to the router;
// handlers take the Exchange and the shared Context. Endpoint names (for
// faults and logs) are listed in --help.
#pragma once

#include "emulator/exchange.h"
#include "emulator/router.h"

namespace hdc::emulator {

class CallbackWorker;

void RegisterTokenRoutes(Router& router);
void RegisterTemplateRoutes(Router& router);
void RegisterScheduleRoutes(Router& router);
void RegisterCabRoutes(Router& router);
void RegisterBlobRoutes(Router& router);
void RegisterAdminRoutes(Router& router);

// Checks the bearer token of an HDC request; on refusal sends 401/403 and
// returns false.
bool Authorize(Exchange& ex);

// Shared by schedule and blob routes: "/drivers/Reports/5001/20240502T000000Z.txt".
std::string ReportBlobPath(std::int64_t report_id, util::TimePoint slot);
// Shared by cab and blob routes: "/drivers/Cabs/<CabIdHash>.cab".
std::string CabBlobPath(const std::string& cab_id_hash);

}  // namespace hdc::emulator
