// The schema migrations embedded at build time from db/NNN_name.sql
// (generated migrations_data.cpp). Private to db/.
#pragma once

#include <span>
#include <string_view>

namespace hdc::db {

struct Migration {
  int version;            // NNN
  std::string_view name;  // "initial"
  std::string_view sql;
};

// In version order, starting at 1 without gaps (checked by the generator).
std::span<const Migration> EmbeddedMigrations();

}  // namespace hdc::db
