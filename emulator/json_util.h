// JSON helpers shared by the emulator's routes: case-insensitive member
// lookup (docs/hdc-api.md §Endpoints: property names match case-insensitively) and the
// output quirks (PascalCase keys, IDs as strings). Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace hdc::emulator {

using Json = nlohmann::json;

// The member of obj whose name equals key ignoring case; null when absent or
// when obj is not an object.
const Json* FindMember(const Json& obj, std::string_view key);
// An integer member given as a JSON number or a digit string.
std::optional<long long> IntMember(const Json& obj, std::string_view key);

// Upper-cases the first letter of every object key, recursively.
Json PascalKeys(const Json& j);
// Turns numeric "templateId"/"reportId" members into strings, recursively.
Json IdsAsStrings(const Json& j);

// "2024-04-02T08:15:30.117" with trailing fraction zeros dropped (0-3 digits),
// no zone: the listing datetimes of docs/hdc-api.md §Templates.
std::string ListingDatetime(std::chrono::sys_time<std::chrono::milliseconds> t);

}  // namespace hdc::emulator
