// The [service] and [account] sections: typed settings with their defaults,
// units and bounds (retention above 30 days is refused at load).
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "util/result.h"

namespace hdc::config {

enum class RetentionClock { kEarliest, kDownloaded };
enum class LogFormat { kText, kJson };

struct ServiceConfig {
  std::string state_dir = "/var/lib/hdc-reportd";
  std::string jobs_dir = "/etc/hdc-reportd/jobs.d";  // relative: to the service file's folder
  std::chrono::seconds poll_interval = std::chrono::minutes(15);
  std::chrono::seconds retention = std::chrono::days(30);
  RetentionClock retention_clock = RetentionClock::kEarliest;
  std::chrono::seconds sweep_interval = std::chrono::hours(1);
  std::int64_t download_concurrency = 4;
  std::uint64_t max_bandwidth = 0;  // bytes/s, 0 = unlimited
  std::uint64_t min_free_space = 1ull << 30;
  // Bounds on slow servers (docs/operations.md §Configuration): an API or
  // token request, retries included, ends within request_deadline; every
  // transfer (blob downloads too) keeps min_transfer_rate bytes/s averaged
  // over min_transfer_rate_window (0 = no floor); --once ends within
  // run_budget (0 = none) and exits 75.
  std::chrono::seconds request_deadline = std::chrono::minutes(10);
  std::uint64_t min_transfer_rate = 1024;
  std::chrono::seconds min_transfer_rate_window = std::chrono::seconds(30);
  std::chrono::seconds run_budget = std::chrono::minutes(110);
  std::string control_listen = "127.0.0.1:9187";  // empty = no listener
  bool dashboard = true;  // GET /, /static/*, /api/v1/* on the control listener
  std::string callback_url;
  std::string log_level = "info";
  LogFormat log_format = LogFormat::kText;
  // Empty: the platform's default, none on POSIX (stderr only) and
  // %ProgramData%\hdc-reportd\logs\hdc-reportd.log on Windows. Relative: to
  // the service file's folder (LoadConfig).
  std::string log_file;
  std::string log_file_where;  // "a.ini:9: [service] log_file", for open errors
  std::uint64_t log_max_size = std::uint64_t{10} << 20;
  std::int64_t log_max_files = 5;
};

// An account name: [A-Za-z0-9_-]{1,64}. The unnamed [account] is "default".
inline constexpr std::string_view kDefaultAccount = "default";
inline constexpr std::string_view kAccountNameRule =
    "an account name is 1-64 letters, digits, '_' or '-'";
bool IsAccountName(std::string_view name);

struct AccountConfig {
  std::string name = std::string(kDefaultAccount);
  std::string where;  // "a.ini:7" of the section header, for messages
  std::string tenant_id;
  std::string client_id;
  std::string client_secret_file;
  std::string client_secret_file_where;  // "a.ini:9: [account] client_secret_file"
  // A certificate credential instead of a secret (at most one of the two
  // file keys is set): the PEM certificate, and the PEM private key's own
  // file, else $CREDENTIALS_DIRECTORY/client-certificate-key, else the
  // certificate file (config/secret_source.h).
  std::string client_certificate_file;
  std::string client_certificate_file_where;
  std::string client_certificate_key_file;
  std::string client_certificate_key_file_where;
  // A federated credential instead (config/secret_source.h): the file a
  // workload identity's token is written to, read for every token request.
  std::string federated_token_file;
  std::string federated_token_file_where;
  std::string api_url = "https://manage.devcenter.microsoft.com";
  std::string login_url = "https://login.microsoftonline.com";
  std::string ca_file;  // extra CA bundle; the system store is always loaded
  std::string proxy;    // overrides HTTPS_PROXY
};

// One documented key, for the annotated example, man page and tests.
struct KeyInfo {
  std::string_view section;  // "service", "account" or "job NAME"
  std::string_view key;
  std::string_view default_value;
  std::string_view description;
};
std::span<const KeyInfo> ConfigKeys();

class SectionReader;
util::Status ParseServiceSection(SectionReader& reader, ServiceConfig* out);
util::Status ParseAccountSection(SectionReader& reader, AccountConfig* out);

}  // namespace hdc::config
