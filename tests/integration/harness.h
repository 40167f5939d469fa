// The daemon's modules against an in-process hdc-emulator: real HTTP on
// 127.0.0.1, a real SQLite file in a scratch directory, one ManualClock for
// both sides. A pump thread fast-forwards the clock whenever the daemon
// waits (retry backoff), so no test sleeps.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "api/connection.h"
#include "config/ini_loader.h"
#include "db/database.h"
#include "reconcile/reconciler.h"
#include "support/temp_dir.h"
#include "tests/emulator/emulator_fixture.h"

namespace hdc::testing {

// Fast-forwards a ManualClock through the waits of other threads.
class ClockPump {
 public:
  explicit ClockPump(util::ManualClock& clock)
      : thread_([this, &clock](std::stop_token stop) {
          while (!stop.stop_requested()) {
            clock.AwaitWaiters(1, stop);
            if (stop.stop_requested()) break;
            // Only short waits (backoff); the emulator's own long waits stay.
            if (clock.AdvanceToEarliestDeadline(std::chrono::hours(1))) ++advances_;
            std::this_thread::yield();
          }
        }) {}
  int advances() const { return advances_; }

 private:
  std::atomic<int> advances_{0};
  std::jthread thread_;
};

class Harness {
 public:
  explicit Harness(emulator::ServerOptions options = {}) : emu_(std::move(options)) {}

  emulator::testing::EmulatorFixture& emu() { return emu_; }
  util::ManualClock& clock() { return emu_.clock(); }
  const TempDir& dir() const { return dir_; }

  // The service and account sections pointing at the emulator.
  std::string ServiceIni() {
    const auto client = emulator::DemoClient();
    return "[service]\nstate_dir = " + dir_.path() + "\n[account]\ntenant_id = " + client.tenant +
           "\nclient_id = " + client.client_id + "\napi_url = " + emu_.server().base_url() +
           "\nlogin_url = " + emu_.server().base_url() + "\n";
  }

  util::Result<config::Config> Config(const std::string& jobs) {
    return config::ParseConfig({"hdc.ini", dir_.path(), ServiceIni() + jobs}, {},
                               config::ReadTextFile);
  }

  db::Database& Db() {
    if (!db_) {
      auto db = db::Database::Open({dir_ / "state.db"});
      REQUIRE_MESSAGE(db.ok(), db.status().message());
      db_ = std::move(db).value();
    }
    return *db_;
  }
  // Forgets the database (as if state.db had been deleted).
  void WipeDb() {
    db_.reset();
    std::filesystem::remove(dir_ / "state.db");
    std::filesystem::remove(dir_ / "state.db-wal");
    std::filesystem::remove(dir_ / "state.db-shm");
  }

  api::Connection& Connection() {
    if (!connection_) {
      const auto demo = emulator::DemoClient();
      connection_ = NewConnection(demo.tenant, demo.client_id, demo.secret);
    }
    return *connection_;
  }
  // A connection as another client (another tenant: another account);
  // RegisterClient makes the emulator know it.
  std::unique_ptr<api::Connection> NewConnection(const std::string& tenant,
                                                 const std::string& client_id,
                                                 const std::string& secret) {
    api::ConnectionOptions options;
    options.http.user_agent = "hdc-reportd-test";
    options.token.login_url = emu_.server().base_url();
    options.token.tenant_id = tenant;
    options.token.client_id = client_id;
    options.api.api_url = emu_.server().base_url();
    return std::make_unique<api::Connection>(options,
                                             auth::Credential::FromSecret(secret, "client secret"),
                                             emu_.clock(), stop_.get_token());
  }
  void RegisterClient(const std::string& tenant, const std::string& client_id,
                      const std::string& secret) {
    auto r = emu_.Admin("POST", "clients",
                        {{"tenant", tenant}, {"client_id", client_id}, {"secret", secret}});
    REQUIRE_MESSAGE(r.status < 300, r.body);
  }

  util::Result<reconcile::ReconcileSummary> Reconcile(
      const std::string& jobs, std::function<util::Status(std::string_view)> hook = nullptr) {
    auto config = Config(jobs);
    REQUIRE_MESSAGE(config.ok(), config.status().message());
    reconcile::Reconciler reconciler(Connection().api(), Db(), emu_.clock(),
                                     {config->service.callback_url, "", std::move(hook)});
    return reconciler.Run(config->jobs);
  }

  // Replaces the emulator's fault rules.
  void SetFaults(const nlohmann::json& rules) {
    auto r = emu_.Admin("POST", "faults", {{"faults", rules}});
    REQUIRE_MESSAGE(r.status < 300, r.body);
  }

  // Remote object counts from the emulator's inspection route.
  int Count(const std::string& kind) {
    auto state = emu_.Admin("GET", "state");
    REQUIRE(state.status == 200);
    return state.json()["counts"][kind].get<int>();
  }

 private:
  TempDir dir_;
  emulator::testing::EmulatorFixture emu_;
  std::stop_source stop_;
  ClockPump pump_{emu_.clock()};
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<api::Connection> connection_;
};

}  // namespace hdc::testing
