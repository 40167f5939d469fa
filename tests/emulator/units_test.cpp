// Unit tests of the pure parts: LIKE, conditions, cab layout, CabIdHash codec.
#include <cstring>

#include "emulator/cab.h"
#include "emulator/dataset.h"
#include "emulator/template_spec.h"
#include "emulator_fixture.h"

namespace hdc::emulator::testing {

TEST_CASE("LIKE matches SQL-style wildcards ignoring case") {
  CHECK(LikeMatch("contosonet.sys", "contoso%"));
  CHECK(LikeMatch("contosonet.sys", "%NET.SYS"));
  CHECK(LikeMatch("abc", "a_c"));
  CHECK_FALSE(LikeMatch("abc", "a_"));
  CHECK(LikeMatch("", "%"));
}

TEST_CASE("conditions: all of and, any of or, numeric comparison on numeric columns") {
  auto t = ParseTemplate(Json::parse(R"json({"view":"IHVDriver","projection":["EventCount"],
    "dateRange":{"reportPeriod":"Yesterday"},
    "condition":{"and":[{"attribute":"EventCount","operator":"gt","value":"9"}],
                 "or":[{"attribute":"Market","operator":"in","value":"DE, FR"},{"attribute":"Market","operator":"eq","value":"us"}]}})json"));
  REQUIRE(t.ok());
  auto eval = [&](std::string count, std::string market) {
    return Evaluate(t->condition,
                    [&](const Attribute& a) { return a.column == kEventCount ? count : market; });
  };
  CHECK(eval("10", "DE"));
  CHECK(eval("10", "US"));
  CHECK_FALSE(eval("9", "DE"));
  CHECK_FALSE(eval("100", "GB"));
  CHECK(eval("100", "FR"));
}

TEST_CASE("cab files of any size have a consistent layout") {
  for (std::uint64_t size : {0ULL, 200ULL, 32800ULL, 32836ULL, 65552ULL, 1000000ULL}) {
    CAPTURE(size);
    CabFile cab("a.txt", "hello\r\n", 1, size, At("2024-05-01T10:20:30Z"));
    std::string bytes(cab.size(), '\0');
    cab.Read(0, bytes.size(), bytes.data());
    CHECK(bytes.substr(0, 4) == "MSCF");
    std::uint32_t declared = 0;
    std::memcpy(&declared, bytes.data() + 8, 4);
    CHECK(declared == cab.size());
    if (size >= 200) CHECK(cab.size() == size);
    // Piecewise reads agree with the whole.
    for (std::uint64_t off : std::vector<std::uint64_t>{0, 50, cab.size() / 2, cab.size() - 1}) {
      std::string piece(std::min<std::uint64_t>(777, cab.size() - off), '\0');
      cab.Read(off, piece.size(), piece.data());
      CHECK(piece == bytes.substr(off, piece.size()));
    }
  }
}

TEST_CASE("CabIdHash values decode to their cab and refuse forgeries") {
  Dataset d(5);
  auto cabs = d.CabsBetween(3, At("2024-04-01T00:00:00Z"), At("2024-04-03T00:00:00Z"), 6);
  REQUIRE(!cabs.empty());
  const std::string id = d.CabIdHash(cabs[0]);
  auto back = d.DecodeCabIdHash(id);
  REQUIRE(back.has_value());
  CHECK(back->failure == 3);
  CHECK(back->collected == cabs[0].collected);
  std::string forged = id;
  forged[0] = forged[0] == 'a' ? 'b' : 'a';
  CHECK_FALSE(d.DecodeCabIdHash(forged).has_value());
  CHECK_FALSE(Dataset(6).DecodeCabIdHash(id).has_value());
}

}  // namespace hdc::emulator::testing
