#include "config/service_config.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "config/section_reader.h"
#include "util/time_format.h"
#include "util/url.h"

namespace hdc::config {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using util::Status;

constexpr std::uint64_t kMinLogSize = std::uint64_t{64} << 10;
constexpr std::uint64_t kMaxLogSize = std::uint64_t{1} << 30;

constexpr std::array<KeyInfo, 48> kKeys{{
    {"service", "state_dir", "/var/lib/hdc-reportd", "state.db and store/ live here"},
    {"service", "jobs_dir", "/etc/hdc-reportd/jobs.d",
     "job files (*.ini, read in name order); relative to this file"},
    {"service", "poll_interval", "15m", "how often Get Report Data is polled (1m to 24h)"},
    {"service", "retention", "30d", "personal data is kept at most this long (1h to 30d)"},
    {"service", "retention_clock", "earliest",
     "earliest (collection time when known) or downloaded"},
    {"service", "sweep_interval", "1h", "how often the retention sweeper runs (1m to 24h)"},
    {"service", "download_concurrency", "4", "parallel downloads (1 to 64)"},
    {"service", "max_bandwidth", "0", "bytes/s with K/M/G suffixes; 0 = unlimited"},
    {"service", "min_free_space", "1G", "no new download starts below this much free space"},
    {"service", "request_deadline", "10m",
     "an API or token request, retries included, ends within this (1s to 24h); blob downloads are "
     "bounded by min_transfer_rate instead"},
    {"service", "min_transfer_rate", "1K",
     "bytes/s every transfer must keep, averaged over min_transfer_rate_window, or it is cut and "
     "retried; 0 = no floor"},
    {"service", "min_transfer_rate_window", "30s",
     "the window min_transfer_rate is averaged over (1s to 1h)"},
    {"service", "run_budget", "110m",
     "hdc-reportd --once stops by then and exits 75, leaving the rest for the next run (1s to 7d; "
     "0 = none)"},
    {"service", "control_listen", "127.0.0.1:9187",
     "HOST:PORT for /healthz, /metrics, /callback; empty = off"},
    {"service", "dashboard", "yes",
     "yes or no: the failure dashboard (GET /, /static/*, /api/v1/*) on control_listen"},
    {"service", "callback_url", "",
     "public https URL that reaches control_listen; needed by jobs with callback = yes"},
    {"service", "log_level", "info", "trace, debug, info, warn, error, critical or off"},
    {"service", "log_format", "text", "text or json"},
    {"service", "log_file", "",
     "also log to this file (its folder must exist), mode 0600; empty = none on Linux, "
     "%ProgramData%\\hdc-reportd\\logs\\hdc-reportd.log on Windows"},
    {"service", "log_max_size", "10M",
     "the log file is rotated before it grows past this size (64K to 1G)"},
    {"service", "log_max_files", "5", "rotated log files kept (1 to 100)"},
    {"account", "tenant_id", "", "Azure AD tenant (required)"},
    {"account", "client_id", "", "Azure AD application (client) id (required)"},
    {"account", "client_secret_file", "",
     "file holding the client secret, mode 0600 (relative to this file); else "
     "$CREDENTIALS_DIRECTORY/client-secret, else HDC_CLIENT_SECRET"},
    {"account", "client_certificate_file", "",
     "PEM certificate of a certificate credential, instead of a client secret (relative to this "
     "file); not with client_secret_file"},
    {"account", "client_certificate_key_file", "",
     "its PEM RSA private key, mode 0600 (relative to this file); else "
     "$CREDENTIALS_DIRECTORY/client-certificate-key, else the key in client_certificate_file"},
    {"account", "federated_token_file", "",
     "file a workload identity's token (a JWT) is written to and renewed in, mode 0600, read for "
     "every token request and sent as the client assertion (relative to this file); instead of "
     "a secret or a certificate; else $CREDENTIALS_DIRECTORY/federated-token"},
    {"account", "api_url", "https://manage.devcenter.microsoft.com",
     "Hardware Dev Center API base"},
    {"account", "login_url", "https://login.microsoftonline.com", "Azure AD token endpoint base"},
    {"account", "ca_file", "",
     "extra CA bundle (PEM) trusted besides the system store (relative to this file)"},
    {"account", "proxy", "", "http://HOST:PORT of a proxy; default: HTTPS_PROXY / NO_PROXY"},
    {"job NAME", "view", "", "IHVDriver or OEMDriver (required unless template_file)"},
    {"job NAME", "columns", "",
     "comma-separated columns of the view (required unless template_file)"},
    {"job NAME", "period", "Last7Days",
     "Yesterday, Last3Days, Last7Days, Last10Days, Last15Days, Last30Days, Last60Days or "
     "Last90Days"},
    {"job NAME", "where", "",
     "row filter, e.g. EventType eq Kernel and (Market eq US or Market in (DE, FR))"},
    {"job NAME", "aggregate", "", "e.g. SUM(EventCount), DCOUNT(DeviceId)"},
    {"job NAME", "having", "", "filter over listed aggregates, e.g. SUM(EventCount) gt 1000"},
    {"job NAME", "order_by", "",
     "projected columns or listed aggregates, each optionally asc or desc"},
    {"job NAME", "limit", "0", "maximum rows; 0 = all"},
    {"job NAME", "template_file", "",
     "a template JSON file instead of view .. limit (relative to the job file)"},
    {"job NAME", "start", "", "first run, UTC, e.g. 2026-12-01T02:00:00Z (required)"},
    {"job NAME", "every", "", "time between runs, whole hours, at least 12h (required)"},
    {"job NAME", "runs", "", "number of runs, 1 or more (required)"},
    {"job NAME", "callback", "no", "ask HDC to call callback_url when a run is ready"},
    {"job NAME", "cabs", "auto",
     "download referenced cabs; default yes when CabIdHash (and, for IHVDriver, ApplicationId) are "
     "columns"},
    {"job NAME", "cab_types", "", "Kernel, Mini, Full; empty = all"},
    {"job NAME", "enabled", "yes", "no: the remote schedule is paused, nothing is deleted"},
    {"job NAME", "account", "default",
     "the [account NAME] whose tenant holds the job; default: the unnamed [account]"},
}};

// HOST:PORT, with [v6]:PORT; an empty value turns the listener off.
Status CheckListen(SectionReader& reader) {
  const IniEntry* e = reader.Find("control_listen");
  if (e == nullptr || e->value.empty()) return Status::Ok();
  const size_t colon = e->value.rfind(':');
  unsigned port = 0;
  const std::string_view port_text = colon == std::string::npos
                                         ? std::string_view()
                                         : std::string_view(e->value).substr(colon + 1);
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (colon == 0 || colon == std::string::npos || ec != std::errc() ||
      ptr != port_text.data() + port_text.size() || port > 65535) {
    return reader.KeyError(*e, "expected HOST:PORT such as 127.0.0.1:9187, got '" + e->value + "'");
  }
  return Status::Ok();
}

// The bounds on slow servers. A rate floor that the bandwidth limit itself
// would break (every download sharing max_bandwidth at full concurrency)
// would cut every download, so it is refused.
Status ParseSlowServerBounds(SectionReader& reader, ServiceConfig* out) {
  using std::chrono::seconds;
  HDC_RETURN_IF_ERROR(
      reader.GetDuration("request_deadline", seconds(1), hours(24), &out->request_deadline));
  HDC_RETURN_IF_ERROR(reader.GetByteSize("min_transfer_rate", &out->min_transfer_rate));
  HDC_RETURN_IF_ERROR(reader.GetDuration("min_transfer_rate_window", seconds(1), hours(1),
                                         &out->min_transfer_rate_window));
  HDC_RETURN_IF_ERROR(reader.GetDuration("run_budget", seconds(0), days(7), &out->run_budget));
  const std::uint64_t concurrency = static_cast<std::uint64_t>(out->download_concurrency);
  if (out->max_bandwidth > 0 && out->min_transfer_rate > 0 &&
      out->min_transfer_rate > out->max_bandwidth / concurrency) {
    const IniEntry* e = reader.Find("min_transfer_rate");
    if (e == nullptr) e = reader.Find("max_bandwidth");
    return reader.KeyError(*e, util::FormatByteSize(out->min_transfer_rate) +
                                   "/s is more than max_bandwidth / download_concurrency (" +
                                   util::FormatByteSize(out->max_bandwidth / concurrency) +
                                   "/s): every download would be cut");
  }
  return Status::Ok();
}

// client_secret_file, client_certificate_file (with its key file) or
// federated_token_file: an account signs in with exactly one credential.
Status ParseCredentialFiles(SectionReader& reader, AccountConfig* out) {
  // An empty value counts as absent (the annotated example lists every key).
  auto find = [&](std::string_view name) -> const IniEntry* {
    const IniEntry* e = reader.Find(name);
    return e == nullptr || e->value.empty() ? nullptr : e;
  };
  struct Kind {
    const IniEntry* entry;
    std::string* value;
    std::string* where;
  };
  const std::array<Kind, 3> kinds{
      {{find("client_secret_file"), &out->client_secret_file, &out->client_secret_file_where},
       {find("client_certificate_file"), &out->client_certificate_file,
        &out->client_certificate_file_where},
       {find("federated_token_file"), &out->federated_token_file,
        &out->federated_token_file_where}}};
  const IniEntry* first = nullptr;
  for (const Kind& kind : kinds) {
    if (kind.entry == nullptr) continue;
    if (first != nullptr) {
      const IniEntry& later = kind.entry->line > first->line ? *kind.entry : *first;
      const IniEntry& earlier = &later == first ? *kind.entry : *first;
      return reader.KeyError(later, first->key + " and " + kind.entry->key + " are both set (" +
                                        earlier.key + " on line " + std::to_string(earlier.line) +
                                        "); an account signs in with exactly one of "
                                        "client_secret_file, client_certificate_file and "
                                        "federated_token_file");
    }
    first = kind.entry;
  }
  const IniEntry* key = find("client_certificate_key_file");
  if (key != nullptr && kinds[1].entry == nullptr) {
    return reader.KeyError(*key, "client_certificate_key_file needs client_certificate_file");
  }
  for (const Kind& kind : kinds) {
    if (kind.entry == nullptr) continue;
    *kind.value = kind.entry->value;
    *kind.where = reader.Where(*kind.entry);
  }
  if (key != nullptr) {
    out->client_certificate_key_file = key->value;
    out->client_certificate_key_file_where = reader.Where(*key);
  }
  return Status::Ok();
}

}  // namespace

std::span<const KeyInfo> ConfigKeys() { return kKeys; }

bool IsAccountName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

Status ParseServiceSection(SectionReader& reader, ServiceConfig* out) {
  HDC_RETURN_IF_ERROR(reader.GetString("state_dir", &out->state_dir));
  if (out->state_dir.empty()) return reader.SectionError("state_dir must not be empty");
  HDC_RETURN_IF_ERROR(reader.GetString("jobs_dir", &out->jobs_dir));
  HDC_RETURN_IF_ERROR(
      reader.GetDuration("poll_interval", minutes(1), hours(24), &out->poll_interval));
  HDC_RETURN_IF_ERROR(reader.GetDuration("retention", hours(1), days(30), &out->retention));
  size_t clock = 0;
  HDC_RETURN_IF_ERROR(reader.GetChoice("retention_clock", {"earliest", "downloaded"}, &clock));
  out->retention_clock = clock == 0 ? RetentionClock::kEarliest : RetentionClock::kDownloaded;
  HDC_RETURN_IF_ERROR(
      reader.GetDuration("sweep_interval", minutes(1), hours(24), &out->sweep_interval));
  HDC_RETURN_IF_ERROR(reader.GetInt("download_concurrency", 1, 64, &out->download_concurrency));
  HDC_RETURN_IF_ERROR(reader.GetByteSize("max_bandwidth", &out->max_bandwidth));
  HDC_RETURN_IF_ERROR(reader.GetByteSize("min_free_space", &out->min_free_space));
  HDC_RETURN_IF_ERROR(ParseSlowServerBounds(reader, out));
  HDC_RETURN_IF_ERROR(CheckListen(reader));
  HDC_RETURN_IF_ERROR(reader.GetString("control_listen", &out->control_listen));
  HDC_RETURN_IF_ERROR(reader.GetBool("dashboard", &out->dashboard));
  HDC_RETURN_IF_ERROR(reader.GetUrl("callback_url", &out->callback_url));
  size_t level = 2;
  HDC_RETURN_IF_ERROR(reader.GetChoice(
      "log_level", {"trace", "debug", "info", "warn", "error", "critical", "off"}, &level));
  out->log_level = std::string(std::array<std::string_view, 7>{"trace", "debug", "info", "warn",
                                                               "error", "critical", "off"}[level]);
  size_t format = 0;
  HDC_RETURN_IF_ERROR(reader.GetChoice("log_format", {"text", "json"}, &format));
  out->log_format = format == 0 ? LogFormat::kText : LogFormat::kJson;
  HDC_RETURN_IF_ERROR(reader.GetString("log_file", &out->log_file));
  if (const IniEntry* e = reader.Find("log_file"); e != nullptr && !e->value.empty()) {
    out->log_file_where = reader.Where(*e);
  } else {
    out->log_file_where = reader.source() + ": [service] log_file";
  }
  HDC_RETURN_IF_ERROR(reader.GetByteSize("log_max_size", &out->log_max_size));
  if (out->log_max_size < kMinLogSize || out->log_max_size > kMaxLogSize) {
    return reader.KeyError(*reader.Find("log_max_size"),
                           util::FormatByteSize(out->log_max_size) + " is out of range [" +
                               util::FormatByteSize(kMinLogSize) + ", " +
                               util::FormatByteSize(kMaxLogSize) + "]");
  }
  HDC_RETURN_IF_ERROR(reader.GetInt("log_max_files", 1, 100, &out->log_max_files));
  return reader.CheckAllKeysRead();
}

Status ParseAccountSection(SectionReader& reader, AccountConfig* out) {
  HDC_RETURN_IF_ERROR(reader.RequireString("tenant_id", &out->tenant_id));
  HDC_RETURN_IF_ERROR(reader.RequireString("client_id", &out->client_id));
  for (const std::string* id : {&out->tenant_id, &out->client_id}) {
    for (char c : *id) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') {
        const char* key = id == &out->tenant_id ? "tenant_id" : "client_id";
        return reader.KeyError(*reader.Find(key),
                               "expected a GUID or domain name (letters, digits, '-', '.')");
      }
    }
  }
  HDC_RETURN_IF_ERROR(ParseCredentialFiles(reader, out));
  HDC_RETURN_IF_ERROR(reader.GetUrl("api_url", &out->api_url));
  HDC_RETURN_IF_ERROR(reader.GetUrl("login_url", &out->login_url));
  HDC_RETURN_IF_ERROR(reader.GetString("ca_file", &out->ca_file));
  // A proxy may be plain http on any host: TLS runs end to end through CONNECT.
  if (const IniEntry* e = reader.Find("proxy"); e && !e->value.empty()) {
    auto url = util::ParseUrl(e->value);
    if (!url.ok()) return reader.KeyError(*e, url.status().message());
    out->proxy = e->value;
  }
  return reader.CheckAllKeysRead();
}

}  // namespace hdc::config
