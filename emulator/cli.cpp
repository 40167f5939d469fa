#include "emulator/cli.h"

#include <charconv>
#include <fstream>
#include <sstream>

#include "emulator/client_assertion.h"
#include "emulator/faults_file.h"

namespace hdc::emulator {
namespace {

util::Status Bad(const std::string& m) { return util::UsageError(m); }

bool ParseInt(const std::string& s, long long* out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

util::Result<ClientCredential> ParseClient(const std::string& v) {
  const size_t slash = v.find('/'), colon = v.find(':', slash == std::string::npos ? 0 : slash);
  if (slash == std::string::npos || colon == std::string::npos || slash == 0 ||
      colon == slash + 1 || colon + 1 == v.size())
    return Bad("--client expects TENANT/CLIENT_ID:SECRET");
  return ClientCredential{v.substr(0, slash), v.substr(slash + 1, colon - slash - 1),
                          v.substr(colon + 1), "", ""};
}

// TENANT/CLIENT_ID:CERT.pem: a certificate client; the file is read now and
// must hold a certificate (the first one counts; a key beside it is ignored).
util::Result<ClientCredential> ParseCertificateClient(const std::string& v) {
  const size_t slash = v.find('/'), colon = v.find(':', slash == std::string::npos ? 0 : slash);
  if (slash == std::string::npos || colon == std::string::npos || slash == 0 ||
      colon == slash + 1 || colon + 1 == v.size())
    return Bad("--client-cert expects TENANT/CLIENT_ID:CERT.pem");
  const std::string path = v.substr(colon + 1);
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (!in || !(text << in.rdbuf())) return Bad("--client-cert " + v + ": cannot read " + path);
  if (CertificateThumbprintSha256(text.str()).empty())
    return Bad("--client-cert " + v + ": " + path + " holds no readable PEM certificate");
  return ClientCredential{v.substr(0, slash), v.substr(slash + 1, colon - slash - 1), "",
                          text.str(), ""};
}

// TENANT/CLIENT_ID:SUBJECT: a federated client trusting the emulator's
// workload issuer for SUBJECT.
util::Result<ClientCredential> ParseFederatedClient(const std::string& v) {
  const size_t slash = v.find('/'), colon = v.find(':', slash == std::string::npos ? 0 : slash);
  if (slash == std::string::npos || colon == std::string::npos || slash == 0 ||
      colon == slash + 1 || colon + 1 == v.size())
    return Bad("--client-federated expects TENANT/CLIENT_ID:SUBJECT");
  return ClientCredential{v.substr(0, slash), v.substr(slash + 1, colon - slash - 1), "", "",
                          v.substr(colon + 1)};
}

util::Status LoadFaults(const std::string& path, ServerOptions& o) {
  auto file = LoadFaultsFile(path, o.settings);
  if (!file.ok()) return file.status();
  o.settings = file->settings;
  o.faults = std::move(file->rules);
  return {};
}

util::Status ParseClock(const std::string& v, CommandLine& c) {
  if (v == "real" || v == "manual") {
    c.clock = v;
    return {};
  }
  if (v.rfind("scale=", 0) == 0) {
    try {
      c.scale = std::stod(v.substr(6));
    } catch (...) {
      return Bad("--clock scale=N: N must be a number");
    }
    if (c.scale <= 0) return Bad("--clock scale=N: N must be positive");
    c.clock = "scale";
    return {};
  }
  return Bad("--clock expects real, manual or scale=N");
}

// Flags that are shorthands for --set key=value.
const std::vector<std::pair<std::string, std::string>>& Aliases() {
  static const auto* aliases = new std::vector<std::pair<std::string, std::string>>{
      {"--rows", "rows_per_execution"},          {"--cab-size", "cab_size"},
      {"--failure-rate", "failure_probability"}, {"--format", "delimiter"},
      {"--token-lifetime", "token_lifetime"},    {"--line-end", "line_end"}};
  return *aliases;
}

util::Status ParseOne(const std::vector<std::string>& a, size_t& i, CommandLine& c) {
  const std::string& flag = a[i];
  auto value = [&]() -> util::Result<std::string> {
    if (i + 1 >= a.size()) return Bad(flag + " needs a value");
    return a[++i];
  };
  ServerOptions& o = c.server;
  long long n = 0;
  if (flag == "--help" || flag == "-h") return c.help = true, util::Status();
  if (flag == "--bom") return ApplySetting(o.settings, "bom", "true");
  if (flag == "--quote-all") return ApplySetting(o.settings, "quote_all", "true");
  if (flag == "--lf") return ApplySetting(o.settings, "line_end", "lf");
  if (flag == "--tls") {
    if (i + 2 >= a.size() || a[i + 1].rfind("--", 0) == 0 || a[i + 2].rfind("--", 0) == 0)
      return Bad("--tls needs two values: CERT KEY (PEM files)");
    o.tls_cert = a[++i];
    o.tls_key = a[++i];
    return {};
  }
  auto v = value();
  if (!v.ok()) return v.status();
  for (const auto& [alias, key] : Aliases()) {
    if (flag == alias) return ApplySetting(o.settings, key, *v);
  }
  if (flag == "--port" || flag == "--blob-port" || flag == "--threads") {
    if (!ParseInt(*v, &n) || n < 0 || n > 65535) return Bad(flag + ": bad number");
    (flag == "--port"        ? o.port
     : flag == "--blob-port" ? o.blob_port
                             : o.threads) = static_cast<int>(n);
    return {};
  }
  if (flag == "--seed") {
    if (!ParseInt(*v, &n)) return Bad("--seed: bad number");
    o.seed = static_cast<std::uint64_t>(n);
    return {};
  }
  if (flag == "--host") return o.host = *v, util::Status();
  if (flag == "--blob-host") return o.blob_host = *v, util::Status();
  if (flag == "--state-file") return o.state_file = *v, util::Status();
  if (flag == "--start") return c.start = *v, util::Status();
  if (flag == "--clock") return ParseClock(*v, c);
  if (flag == "--faults") return LoadFaults(*v, o);
  if (flag == "--client") {
    auto cl = ParseClient(*v);
    if (!cl.ok()) return cl.status();
    o.clients.push_back(*cl);
    return {};
  }
  if (flag == "--client-cert") {
    auto cl = ParseCertificateClient(*v);
    if (!cl.ok()) return cl.status();
    o.clients.push_back(*cl);
    return {};
  }
  if (flag == "--client-federated") {
    auto cl = ParseFederatedClient(*v);
    if (!cl.ok()) return cl.status();
    o.clients.push_back(*cl);
    return {};
  }
  if (flag == "--set") {
    const size_t eq = v->find('=');
    if (eq == std::string::npos) return Bad("--set expects key=value");
    return ApplySetting(o.settings, v->substr(0, eq), v->substr(eq + 1));
  }
  return Bad("unknown flag " + flag + " (see --help)");
}

}  // namespace

util::Result<CommandLine> ParseCommandLine(const std::vector<std::string>& args) {
  CommandLine c;
  for (size_t i = 0; i < args.size(); ++i) HDC_RETURN_IF_ERROR(ParseOne(args, i, c));
  return c;
}

std::string Usage() {
  const ClientCredential demo = DemoClient();
  return "Usage: hdc-emulator [flags]\n"
         "A local stand-in for Microsoft Hardware Dev Center (token endpoint, report API, blob "
         "storage).\n\n"
         "  --port N              API port on --host (0: ephemeral; the bound port is printed as "
         "the\n"
         "                        first line on stdout). Default 0.\n"
         "  --blob-port N         blob port on --blob-host (default: same number as --port if "
         "free)\n"
         "  --host ADDR           API address (default 127.0.0.1)\n"
         "  --blob-host ADDR      second loopback name for report/cab links (default 127.0.0.2)\n"
         "  --seed N              seed of all generated data (default 1)\n"
         "  --client TENANT/CLIENT_ID:SECRET   accepted client (repeatable). With no --client or "
         "--client-cert, the demo "
         "client\n"
         "                        " +
         demo.tenant + "/" + demo.client_id + ":" + demo.secret +
         "\n"
         "  --client-cert TENANT/CLIENT_ID:CERT.pem   accepted certificate client (repeatable): it "
         "signs\n"
         "                        in with a client_assertion (RS256 JWT) signed by the "
         "certificate's key\n"
         "  --client-federated TENANT/CLIENT_ID:SUBJECT   accepted federated client "
         "(repeatable): it\n"
         "                        signs in with a workload token for SUBJECT from POST "
         "/_emulator/federated-token\n"
         "  --clock real|manual|scale=N   real time, manual (moved by POST /_emulator/clock), or N "
         "x real\n"
         "  --start TIME          start of a manual or scaled clock (default: now), e.g. "
         "2024-05-01T00:00:00Z\n"
         "  --faults FILE         fault rules and knobs, INI or JSON (a first character '{' means "
         "JSON).\n"
         "                        INI: one [fault NAME] section per rule, one optional [settings] "
         "section\n"
         "                        with knobs as below; unknown sections or keys are errors (exit "
         "64):\n"
         "                          [settings]\n"
         "                          failure_probability = 0.1\n"
         "                          [fault busy-reportdata]\n"
         "                          endpoint = reportdata\n"
         "                          kind = status\n"
         "                          status = 503\n"
         "                          nth = 2\n"
         "                          count = 3\n"
         "                        JSON: "
         "{\"faults\":[{\"endpoint\":\"reportdata\",\"kind\":\"status\",\"status\":503,\n"
         "                        \"nth\":2,\"count\":3}], "
         "\"settings\":{\"failure_probability\":0.1}}\n"
         "                        rule keys: endpoint (default *), target (text the path or query "
         "must\n"
         "                        contain, e.g. a cab id; default any), kind (required), status "
         "(default 503),\n"
         "                        retry_after (seconds, default 1), retry_after_form seconds|date, "
         "ms (latency),\n"
         "                        seconds (token_early_expiry, default 60), rate (drip: bytes per "
         "second,\n"
         "                        default 1), value (content_length: the header value, default "
         "-1;\n"
         "                        relative_location: absolute-path, dot-segments or "
         "network-path),\n"
         "                        nth + count (the Nth request and\n"
         "                        count-1 more), probability (seeded, 0..1, default 1 = every "
         "request)\n"
         "                        kinds: status 429 latency reset short_body malformed_json "
         "token_early_expiry\n"
         "                        sas_expired duplicate_executions (a Failed run that later turns "
         "Completed:\n"
         "                        the knobs failure_probability and flip_failed_after) hostile_ids "
         "(on\n"
         "                        blob.report: every third CabIdHash of a report file is "
         "../../etc/passwd,\n"
         "                        ..\\..\\x, /etc/passwd, a/b, .., CON or one with CR LF) drip "
         "(headers at\n"
         "                        once, then the body at `rate` bytes per second of real time) "
         "long_field\n"
         "                        (on blob.report: the first row's FailureName is `bytes` long, "
         "default\n"
         "                        10000000, on one line)\n"
         "                        content_length (Content-Length: `value`, the true body, then "
         "close)\n"
         "                        relative_location (on cabdownload: the Location relative to the "
         "request;\n"
         "                        the API host serves blob paths too)\n"
         "                        client_secret_expired (on token: a secret client is refused "
         "with\n"
         "                        AADSTS7000222, the client secret has expired)\n"
         "                        endpoints (prefixes match): token template.create template.list\n"
         "                        template.get template.edit schedule.create schedule.list "
         "schedule.get\n"
         "                        schedule.edit schedule.pause schedule.resume reportdata "
         "cabdownload.driver\n"
         "                        cabdownload.hardware cabdownload.ihvdriver cabdownloadbatch "
         "blob.report\n"
         "                        blob.cab, or *\n"
         "  --state-file FILE     keep templates, schedules and tokens in FILE across restarts\n"
         "  --tls CERT KEY        serve the API and the blob host over HTTPS with these PEM files "
         "(the\n"
         "                        certificate should name 127.0.0.1, the blob host and "
         "localhost);\n"
         "                        links and base URLs then start with https://\n"
         "  --threads N           connections served at once (default 16)\n"
         "  --set KEY=VALUE       set a knob (below); shorthands: --rows --cab-size "
         "--failure-rate\n"
         "                        --format tab|comma --line-end crlf|lf --token-lifetime --bom "
         "--lf --quote-all\n"
         "  --help                this text\n\n"
         "Knobs (default, meaning):\n" +
         SettingsHelp() +
         "\nControl (HTTP, not part of HDC): GET/POST /_emulator/clock "
         "{\"set\":T}|{\"advance\":\"90m\"}|{\"freeze\":true},\n"
         "GET/POST/DELETE /_emulator/faults, GET/DELETE /_emulator/requests, GET "
         "/_emulator/state,\n"
         "GET/POST /_emulator/settings, POST /_emulator/clients, POST "
         "/_emulator/clients/ID/revoke|restore,\n"
         "POST /_emulator/reset.\n";
}

}  // namespace hdc::emulator
