#include "emulator/cli.h"

#include <charconv>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace hdc::emulator {
namespace {

util::Status Bad(const std::string& m) { return util::UsageError(m); }

bool ParseInt(const std::string& s, long long* out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

util::Result<ClientCredential> ParseClient(const std::string& v) {
  const size_t slash = v.find('/'), colon = v.find(':', slash == std::string::npos ? 0 : slash);
  if (slash == std::string::npos || colon == std::string::npos || slash == 0 || colon == slash + 1 ||
      colon + 1 == v.size())
    return Bad("--client expects TENANT/CLIENT_ID:SECRET");
  return ClientCredential{v.substr(0, slash), v.substr(slash + 1, colon - slash - 1), v.substr(colon + 1)};
}

util::Status LoadFaults(const std::string& path, ServerOptions& o) {
  std::ifstream in(path);
  if (!in) return Bad("--faults: cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  auto j = nlohmann::json::parse(text.str(), nullptr, false);
  if (j.is_discarded()) return Bad("--faults: " + path + " is not JSON");
  if (j.is_object() && j.contains("settings")) HDC_RETURN_IF_ERROR(ApplySettings(o.settings, j["settings"]));
  auto rules = ParseFaultRules(j);
  if (!rules.ok()) return rules.status().WithContext(path);
  o.faults = *rules;
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
      {"--rows", "rows_per_execution"}, {"--cab-size", "cab_size"},
      {"--failure-rate", "failure_probability"}, {"--format", "delimiter"},
      {"--token-lifetime", "token_lifetime"}, {"--line-end", "line_end"}};
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
  if (flag == "--tls") return Bad("--tls is not supported by this build yet");
  auto v = value();
  if (!v.ok()) return v.status();
  for (const auto& [alias, key] : Aliases()) {
    if (flag == alias) return ApplySetting(o.settings, key, *v);
  }
  if (flag == "--port" || flag == "--blob-port" || flag == "--threads") {
    if (!ParseInt(*v, &n) || n < 0 || n > 65535) return Bad(flag + ": bad number");
    (flag == "--port" ? o.port : flag == "--blob-port" ? o.blob_port : o.threads) = static_cast<int>(n);
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
         "A local stand-in for Microsoft Hardware Dev Center (token endpoint, report API, blob storage).\n\n"
         "  --port N              API port on --host (0: ephemeral; the bound port is printed as the\n"
         "                        first line on stdout). Default 0.\n"
         "  --blob-port N         blob port on --blob-host (default: same number as --port if free)\n"
         "  --host ADDR           API address (default 127.0.0.1)\n"
         "  --blob-host ADDR      second loopback name for report/cab links (default 127.0.0.2)\n"
         "  --seed N              seed of all generated data (default 1)\n"
         "  --client TENANT/CLIENT_ID:SECRET   accepted client (repeatable). With none, the demo client\n"
         "                        " + demo.tenant + "/" + demo.client_id + ":" + demo.secret + "\n"
         "  --clock real|manual|scale=N   real time, manual (moved by POST /_emulator/clock), or N x real\n"
         "  --start TIME          start of a manual or scaled clock (default: now), e.g. 2024-05-01T00:00:00Z\n"
         "  --faults FILE         JSON {\"faults\":[rule...], \"settings\":{...}}; a rule is\n"
         "                        {\"endpoint\":\"reportdata\",\"kind\":\"status\",\"status\":503,\"nth\":2,\"count\":3}\n"
         "                        kinds: status 429 latency reset short_body malformed_json token_early_expiry\n"
         "                        sas_expired duplicate_executions; fields: status, retry_after (s),\n"
         "                        retry_after_form seconds|date, ms, seconds, nth, count, probability\n"
         "                        endpoints (prefixes match): token template.create template.list\n"
         "                        template.get template.edit schedule.create schedule.list schedule.get\n"
         "                        schedule.edit schedule.pause schedule.resume reportdata cabdownload.driver\n"
         "                        cabdownload.hardware cabdownload.ihvdriver cabdownloadbatch blob.report\n"
         "                        blob.cab, or *\n"
         "  --state-file FILE     keep templates, schedules and tokens in FILE across restarts\n"
         "  --threads N           connections served at once (default 16)\n"
         "  --set KEY=VALUE       set a knob (below); shorthands: --rows --cab-size --failure-rate\n"
         "                        --format tab|comma --line-end crlf|lf --token-lifetime --bom --lf --quote-all\n"
         "  --help                this text\n\n"
         "Knobs (default, meaning):\n" +
         SettingsHelp() +
         "\nControl (HTTP, not part of HDC): GET/POST /_emulator/clock {\"set\":T}|{\"advance\":\"90m\"},\n"
         "GET/POST/DELETE /_emulator/faults, GET/DELETE /_emulator/requests, GET /_emulator/state,\n"
         "GET/POST /_emulator/settings, POST /_emulator/clients, POST /_emulator/clients/ID/revoke|restore,\n"
         "POST /_emulator/reset.\n";
}

}  // namespace hdc::emulator
