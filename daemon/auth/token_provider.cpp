#include "auth/token_provider.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <nlohmann/json.hpp>

#include "http/retry.h"
#include "util/logging.h"
#include "util/strings.h"
#include "util/time_format.h"
#include "util/url.h"

namespace hdc::auth {
namespace {

using nlohmann::json;

std::string FormEncode(std::string_view value) { return util::PercentEncode(value); }

const json* Member(const json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(std::string(key));
  return it == object.end() ? nullptr : &*it;
}

constexpr std::int64_t kMaxLifetimeSeconds = 24 * 60 * 60;

std::optional<std::int64_t> Seconds(const json* value) {
  if (value == nullptr) return std::nullopt;
  if (value->is_number_integer()) return value->get<std::int64_t>();
  if (value->is_string()) {
    const std::string text = value->get<std::string>();
    if (text.empty() || text.size() > 18 ||
        text.find_first_not_of("0123456789") != std::string::npos) {
      return std::nullopt;
    }
    return std::stoll(text);
  }
  return std::nullopt;
}

// "invalid_client: AADSTS7000215: Invalid client secret provided." (first line)
std::string AzureError(std::string_view body) {
  json doc = json::parse(body, nullptr, false);
  const json* error = doc.is_discarded() ? nullptr : Member(doc, "error");
  if (error == nullptr || !error->is_string()) return "";
  std::string text = error->get<std::string>();
  if (const json* d = Member(doc, "error_description"); d && d->is_string()) {
    std::string description = d->get<std::string>();
    description = description.substr(0, description.find_first_of("\r\n"));
    if (description.size() > 200) description = description.substr(0, 200) + "...";
    text += ": " + description;
  }
  return text;
}

constexpr int kSecretExpired = 7000222;

// The exp claim of a JWT, read without checking anything else (the identity
// platform checks the token; this only explains a refusal).
std::optional<util::TimePoint> JwtExpiry(std::string_view jwt) {
  const std::size_t first = jwt.find('.');
  const std::size_t second = first == std::string_view::npos ? first : jwt.find('.', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  std::string claims;
  try {
    std::istringstream in(std::string(jwt.substr(first + 1, second - first - 1)));
    Poco::Base64Decoder decoder(in, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    std::ostringstream out;
    out << decoder.rdbuf();
    claims = out.str();
  } catch (const std::exception&) {
    return std::nullopt;
  }
  const json doc = json::parse(claims, nullptr, false);
  const json* exp = doc.is_discarded() ? nullptr : Member(doc, "exp");
  if (exp == nullptr || !exp->is_number_integer()) return std::nullopt;
  return util::TimePoint(std::chrono::seconds(exp->get<std::int64_t>()));
}

// Whether the identity platform's error answer carries `code` in error_codes.
bool HasErrorCode(std::string_view body, int code) {
  json doc = json::parse(body, nullptr, false);
  const json* codes = doc.is_discarded() ? nullptr : Member(doc, "error_codes");
  if (codes == nullptr || !codes->is_array()) return false;
  return std::any_of(codes->begin(), codes->end(), [&](const json& c) {
    return c.is_number_integer() && c.get<std::int64_t>() == code;
  });
}

// Clears a request body that held a credential before its memory is freed.
struct WipeOnExit {
  std::string& text;
  ~WipeOnExit() { util::Wipe(text); }
};

}  // namespace

util::Result<TokenResponse> ParseTokenResponse(std::string_view body, std::string_view where) {
  if (!http::JsonDepthWithin(body, 16)) {
    return util::BadDataError(std::string(where) + ": token response nested too deeply");
  }
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return util::BadDataError(std::string(where) + ": token response is not a JSON object");
  }
  const json* token = Member(doc, "access_token");
  if (token == nullptr || !token->is_string() || token->get<std::string>().empty()) {
    return util::BadDataError(std::string(where) + ": token response without access_token");
  }
  auto expires_in = Seconds(Member(doc, "expires_in"));
  if (!expires_in || *expires_in <= 0) {
    return util::BadDataError(std::string(where) + ": token response without a valid expires_in");
  }
  // A lifetime beyond a day (Azure AD's longest) counts as a day: renewed
  // earlier than claimed, never later, and no overflow in milliseconds.
  const std::int64_t lifetime = std::min<std::int64_t>(*expires_in, kMaxLifetimeSeconds);
  return TokenResponse{token->get<std::string>(), std::chrono::seconds(lifetime)};
}

TokenProvider::TokenProvider(TokenOptions options, Credential credential, http::HttpClient& client,
                             util::Clock& clock, util::Random& random, std::stop_token stop)
    : options_(std::move(options)),
      credential_(std::move(credential)),
      client_(client),
      clock_(clock),
      random_(random),
      stop_(std::move(stop)) {
  Publish();
}

void TokenProvider::Publish() {
  InUse in_use{credential_.description(), std::nullopt};
  if (credential_.certificate()) in_use.expires = credential_.certificate()->not_after();
  std::lock_guard lock(in_use_mu_);
  in_use_ = std::move(in_use);
}

util::Result<std::string> TokenProvider::Token() {
  std::lock_guard lock(mu_);
  if (token_.empty() || clock_.Now() >= refresh_at_) {
    HDC_RETURN_IF_ERROR(Fetch());
  }
  return token_;
}

void TokenProvider::Invalidate(const std::string& token) {
  std::lock_guard lock(mu_);
  if (token == token_) token_.clear();
}

TokenProvider::InUse TokenProvider::CredentialInUse() const {
  std::lock_guard lock(in_use_mu_);
  return in_use_;
}

bool TokenProvider::Use(Credential credential) {
  std::lock_guard lock(mu_);
  if (credential.SameAs(credential_)) return false;
  credential_ = std::move(credential);
  token_.clear();
  Publish();
  return true;
}

util::Result<std::string> TokenProvider::CredentialFields(const std::string& token_url) {
  if (const auto& read = credential_.federated_token()) {
    // Read afresh for every request: whoever writes the file renews it.
    auto token = read();
    // No token to sign in with: as for a refused one, remote work waits.
    if (!token.ok()) return util::Status::Error(util::ErrorKind::kAuth, token.status().message());
    WipeOnExit wipe{*token};
    federated_expiry_ = JwtExpiry(*token);
    return "&client_assertion_type=" +
           FormEncode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
           "&client_assertion=" + FormEncode(*token);
  }
  const auto& certificate = credential_.certificate();
  if (!certificate) return "&client_secret=" + FormEncode(credential_.secret());
  // Never logged nor put in a message: it signs in for ten minutes.
  auto assertion = certificate->Assertion(token_url, options_.client_id, clock_.Now(), random_);
  if (!assertion.ok()) return assertion.status();
  WipeOnExit wipe{*assertion};
  return "&client_assertion_type=" +
         FormEncode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
         "&client_assertion=" + FormEncode(*assertion);
}

std::string TokenProvider::CredentialHint() const {
  if (credential_.federated_token()) {
    if (!federated_expiry_ || clock_.Now() < *federated_expiry_) return "";
    return " (the " + credential_.description() + " expired at " +
           util::FormatTimestamp(*federated_expiry_) +
           "; whatever writes that file has stopped renewing it)";
  }
  const auto& certificate = credential_.certificate();
  if (!certificate || clock_.Now() < certificate->not_after()) return "";
  return " (the certificate expired at " + util::FormatTimestamp(certificate->not_after()) +
         "; register a new one on the app registration and name it in client_certificate_file)";
}

util::Status TokenProvider::Fetch() {
  util::Status fetched = FetchOnce();
  if (fetched.ok() || fetched.kind() != util::ErrorKind::kAuth || !options_.reload) return fetched;
  // Refused: perhaps the secret file was rewritten, or the certificate
  // renewed, since it was read. Once per refusal, so a credential that stays
  // refused costs one read of its files per sign-in attempt.
  auto log = util::GetLogger("auth");
  auto reread = options_.reload();
  if (!reread.ok()) {
    log->warn("the credential was refused and could not be re-read: {}",
              reread.status().ToString());
    return fetched;
  }
  if (reread->SameAs(credential_)) return fetched;
  log->warn("the service refused the {}; re-read it: signing in with the {}",
            credential_.description(), reread->description());
  credential_ = std::move(*reread);
  Publish();
  return FetchOnce();
}

util::Status TokenProvider::FetchOnce() {
  http::Request request;
  request.method = "POST";
  request.url = options_.login_url + "/" + options_.tenant_id + "/oauth2/token";
  request.headers.push_back({"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"});
  auto form = [this, &url = request.url]() -> util::Result<std::string> {
    auto credential = CredentialFields(url);
    if (!credential.ok()) return credential.status();
    WipeOnExit wipe_credential{*credential};
    return "grant_type=client_credentials&client_id=" + FormEncode(options_.client_id) +
           *credential + "&resource=" + FormEncode(options_.resource);
  };
  HDC_ASSIGN_OR_RETURN(request.body, form());
  WipeOnExit wipe_body{request.body};
  // Asking for a token twice is harmless, so the request may be retried; an
  // assertion is made (or a federated token read) afresh for each attempt: a
  // jti is never sent twice, and a renewed token file is picked up.
  request.idempotent = true;
  if (credential_.certificate() || credential_.federated_token()) request.retry_body = form;
  const std::string where = "token request to " + util::StripQuery(request.url);
  util::StringSink body(1 << 20);
  const util::TimePoint asked_at = clock_.Now();
  auto response =
      http::SendWithRetry(client_, request, body, options_.retry, clock_, random_, stop_);
  if (!response.ok()) return response.status().WithContext(where + ": ");
  if (response->status == 400 || response->status == 401 || response->status == 403) {
    if (!credential_.certificate() && HasErrorCode(body.data(), kSecretExpired)) {
      return util::Status::Error(
                 util::ErrorKind::kAuth,
                 where +
                     " refused: the client secret has expired (AADSTS7000222); create a new "
                     "one in Partner Center or the Azure portal (the app registration's "
                     "Certificates & secrets) and write it to client_secret_file")
          .WithHttpStatus(response->status);
    }
    std::string error = AzureError(body.data());
    return util::Status::Error(util::ErrorKind::kAuth,
                               where + " refused (HTTP " + std::to_string(response->status) + ")" +
                                   (error.empty() ? "" : ": " + error) + CredentialHint())
        .WithHttpStatus(response->status);
  }
  if (response->status < 200 || response->status > 299) {
    return util::Status::Error(util::ErrorKind::kUnavailable,
                               where + ": HTTP " + std::to_string(response->status))
        .WithHttpStatus(response->status);
  }
  auto parsed = ParseTokenResponse(body.data(), where);
  if (!parsed.ok()) return parsed.status();
  token_ = parsed->access_token;
  // Counted from when we asked (errs on the safe side). Renew with less than
  // refresh_margin left, or at half-life for tokens shorter than twice that.
  const util::Duration lifetime = parsed->expires_in;
  refresh_at_ = asked_at + std::max(lifetime - options_.refresh_margin, lifetime / 2);
  util::GetLogger("auth")->info("obtained a token valid for {}s",
                                parsed->expires_in.count() / 1000);
  return util::Status::Ok();
}

}  // namespace hdc::auth
