// The real HttpClient over Poco::Net. Poco stays in this file: callers see
// client.h only, and every Poco exception is turned into a util::Status here.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <istream>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Timespan.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "http/client.h"
#include "http/log_name.h"
#include "http/transfer_guard.h"
#include "platform/trust_store.h"
#include "util/logging.h"
#include "util/strings.h"
#include "util/url.h"

namespace hdc::http {
namespace {

using Poco::Net::HTTPClientSession;
using SessionPtr = std::unique_ptr<HTTPClientSession>;

constexpr size_t kChunkSize = 64 * 1024;  // bytes handed to the sink at a time
// A body of known length is read straight from the session, this much per
// read: Poco's body streams read 4 KiB per recv(), which costs about 15% of
// the CPU of a large download.
constexpr size_t kRawChunkSize = 256 * 1024;

// HTTPSession::read is protected; naming it through a derived class gives a
// pointer to it that any session can be called with (virtual dispatch kept,
// so TLS sessions decrypt as usual). It returns bytes the header parse
// already buffered first, then reads the socket; 0 means the peer closed.
struct SessionReader : HTTPClientSession {
  static int Read(HTTPClientSession& session, char* buffer, std::streamsize length) {
    return (session.*(&SessionReader::read))(buffer, length);
  }
};
constexpr size_t kMaxIdlePerOrigin = 4;  // pooled keep-alive connections per origin

// The reason OpenSSL gave for refusing the peer's chain in this thread's last
// handshake ("self-signed certificate", "certificate has expired", ...).
thread_local std::string tls_verify_error;

// Replaces Poco's verify callback (which asks SSLManager's process-wide
// handlers, any of which could accept a bad certificate): OpenSSL's verdict
// stands, and its reason is kept for the error message.
using util::EqualsIgnoreCase;

int RecordingVerifyCallback(int ok, X509_STORE_CTX* store) {
  if (!ok) tls_verify_error = X509_verify_cert_error_string(X509_STORE_CTX_get_error(store));
  return ok;
}

std::string Lower(std::string_view s) { return util::ToLower(s); }

const Header* FindHeader(const Request& request, std::string_view name) {
  for (const Header& h : request.headers) {
    if (EqualsIgnoreCase(h.name, name)) return &h;
  }
  return nullptr;
}

using SteadyTime = std::chrono::steady_clock::time_point;

// One attempt's bounds on the steady clock (transfer_guard.h), and the
// socket timeouts cut to what they leave. A wait cut short by the guard
// ends the attempt with the guard's error, not "timed out".
class Attempt {
 public:
  Attempt(TransferLimits limits, std::chrono::milliseconds read_timeout)
      : guard_(std::move(limits)), read_timeout_(read_timeout) {}

  util::Duration Elapsed() const {
    return std::chrono::duration_cast<util::Duration>(std::chrono::steady_clock::now() - start_);
  }
  util::Status Check() { return Cut(guard_.Check(Elapsed())); }
  void Add(std::uint64_t bytes) { guard_.Add(bytes, Elapsed()); }
  std::uint64_t MeasuredRate() const { return guard_.MeasuredRate(Elapsed()); }

  // The longest the next wait may block: the read timeout, or less when the
  // guard fails sooner; `capped_` tells which.
  Poco::Timespan NextWait(std::chrono::milliseconds limit) {
    std::chrono::milliseconds wait = limit;
    capped_ = false;
    if (auto patience = guard_.Patience(Elapsed()); patience && *patience < limit) {
      wait = std::max(*patience, util::Duration(1));  // 0 would mean no timeout at all
      capped_ = true;
    }
    return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(wait.count()) * 1000);
  }
  // Cuts the socket's receive timeout before a read; the system call only
  // when the value changes, so a fast transfer pays nothing per read.
  void CapReceive(Poco::Net::StreamSocket& socket) {
    const Poco::Timespan wait = NextWait(read_timeout_);
    if (wait != applied_) {
      socket.setReceiveTimeout(wait);
      applied_ = wait;
    }
  }
  bool capped() const { return capped_; }
  // The guard's error for a wait it cut short: as it stands at the instant
  // it fails (now, give or take the timer's rounding).
  util::Status Expired() {
    const util::Duration now = Elapsed();
    if (util::Status st = guard_.Check(now); !st.ok()) return Cut(st);
    return Cut(guard_.Check(now + guard_.Patience(now).value_or(util::Duration(0))));
  }
  // Whether a bound ended the attempt, and the rate measured then.
  bool cut() const { return cut_; }
  std::uint64_t rate_at_cut() const { return rate_at_cut_; }

 private:
  TransferGuard guard_;
  const std::chrono::milliseconds read_timeout_;
  const SteadyTime start_ = std::chrono::steady_clock::now();
  util::Status Cut(util::Status status) {
    if (!status.ok() && !cut_) {
      cut_ = true;
      rate_at_cut_ = MeasuredRate();
    }
    return status;
  }

  Poco::Timespan applied_{-1};
  bool capped_ = false;
  bool cut_ = false;
  std::uint64_t rate_at_cut_ = 0;
};

bool IsTimeout(const Poco::Exception* e) {
  return e != nullptr && dynamic_cast<const Poco::TimeoutException*>(e) != nullptr;
}

// A random UUID (version 4), fresh for every request.
std::string NewRequestId() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t bits[2] = {engine(), engine()};
  bits[0] = (bits[0] & ~0xf000ull) | 0x4000ull;                         // version 4
  bits[1] = (bits[1] & 0x3fffffffffffffffull) | 0x8000000000000000ull;  // RFC 4122 variant
  std::string id;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) id += '-';
    id += kHex[(bits[i / 16] >> (60 - 4 * (i % 16))) & 0xf];
  }
  return id;
}

bool IsLineSafe(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// Refuses what would corrupt the request line or headers (a Location from
// the server may carry anything).
util::Status CheckRequestText(const Request& request, std::string_view target) {
  for (unsigned char c : target) {
    if (c <= 0x20 || c == 0x7f) {
      return util::BadDataError("request target has an unescaped space or control character");
    }
  }
  if (!IsLineSafe(request.method)) return util::BadDataError("bad request method");
  for (const Header& h : request.headers) {
    if (!IsLineSafe(h.name) || !IsLineSafe(h.value)) {
      return util::BadDataError("header '" + (IsLineSafe(h.name) ? h.name : std::string("?")) +
                                "' holds a line break");
    }
  }
  return util::Status::Ok();
}

struct ProxyTarget {
  std::string host;
  std::uint16_t port = 0;
};

// Which requests go through a proxy: the configured one or HTTPS_PROXY, except
// for hosts matching NO_PROXY and loopback hosts (the emulator).
class ProxyRule {
 public:
  explicit ProxyRule(const std::string& configured) {
    std::string text = configured.empty() ? Env("HTTPS_PROXY", "https_proxy") : configured;
    const std::string where = configured.empty() ? "HTTPS_PROXY" : "proxy";
    for (std::string entry : Split(Env("NO_PROXY", "no_proxy"))) {
      if (!entry.empty() && entry[0] == '.') entry.erase(0, 1);
      if (!entry.empty()) no_proxy_.push_back(Lower(entry));
    }
    if (text.empty()) return;
    if (text.find("://") == std::string::npos) text = "http://" + text;
    auto url = util::ParseUrl(text);
    if (!url.ok()) {
      // Not the parser's message: it would echo the value, credentials and all.
      error_ = util::ConfigError(where +
                                 " is not an http://host:port URL (credentials in it "
                                 "are not supported)");
    } else if (url->scheme != "http") {
      error_ = util::ConfigError(where + ": only http:// proxies are supported");
    } else {
      proxy_ = ProxyTarget{url->host, url->port};
    }
  }

  const util::Status& error() const { return error_; }

  std::optional<ProxyTarget> For(const std::string& host) const {
    if (!proxy_ || util::IsLoopbackHost(host)) return std::nullopt;
    for (const std::string& entry : no_proxy_) {
      if (entry == "*" || host == entry ||
          (host.size() > entry.size() && host.ends_with(entry) &&
           host[host.size() - entry.size() - 1] == '.')) {
        return std::nullopt;
      }
    }
    return proxy_;
  }

 private:
  static std::string Env(const char* upper, const char* lower) {
    const char* value = std::getenv(upper);
    if (value == nullptr || *value == '\0') value = std::getenv(lower);
    return value ? value : "";
  }
  static std::vector<std::string> Split(const std::string& list) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos <= list.size()) {
      size_t end = list.find(',', pos);
      if (end == std::string::npos) end = list.size();
      std::string item = list.substr(pos, end - pos);
      item.erase(0, item.find_first_not_of(" \t"));
      item.erase(item.find_last_not_of(" \t") + 1);
      out.push_back(item);
      pos = end + 1;
    }
    return out;
  }

  std::optional<ProxyTarget> proxy_;
  std::vector<std::string> no_proxy_;
  util::Status error_;
};

// Maps a Poco exception onto the project's error kinds; the caller adds
// "METHOD host/path: " as context. Poco's texts name host and port at most,
// never the query.
util::Status FromPocoException(const std::string& host, const Poco::Exception& e) {
  using namespace Poco::Net;
  auto unavailable = [&](const std::string& why) {
    return util::Status::Error(util::ErrorKind::kUnavailable, why);
  };
  // An untrusted certificate does not get better by asking again: kConfig,
  // never retried, with the fix for the common case (a private CA).
  auto untrusted = [&](const std::string& why) {
    return util::Status::Error(util::ErrorKind::kConfig,
                               "TLS certificate of " + host + " not trusted: " + why +
                                   " (a private CA goes in [account] ca_file)");
  };
  if (!tls_verify_error.empty()) return untrusted(tls_verify_error);
  if (dynamic_cast<const CertificateValidationException*>(&e)) {
    return untrusted("it was issued for another host name");
  }
  if (dynamic_cast<const SSLException*>(&e)) {
    return unavailable("TLS handshake with " + host + " failed: " + e.displayText());
  }
  if (dynamic_cast<const ConnectionRefusedException*>(&e)) return unavailable("connection refused");
  if (dynamic_cast<const DNSException*>(&e)) {
    return unavailable("name lookup failed: " + e.displayText());
  }
  if (dynamic_cast<const Poco::TimeoutException*>(&e)) {
    return util::TemporaryError("timed out");
  }
  // Resets, early closes, malformed answers, refused proxy tunnels.
  return util::TemporaryError(e.displayText());
}

// The most a declared body length may be: 1 TiB, far beyond any report or
// cab file, and below what would make a 64-bit offset overflow anywhere.
constexpr std::uint64_t kMaxDeclaredLength = std::uint64_t{1} << 40;

// A header value as it may appear in a message: printable ASCII, at most 40
// characters (a value from the server may carry anything).
std::string Shown(std::string_view value) {
  std::string out;
  for (char c : value.substr(0, 40)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  if (value.size() > 40) out += "...";
  return out;
}

// The body length the answer declares (RFC 9112 §6.3), checked before any of
// the body is read; nullopt when it declares none (no Content-Length, or
// chunked, which overrides it). A value that is not decimal digits (negative,
// signed, a list, empty), two Content-Length fields that disagree, or a
// length no answer could have is bad data from `host`: kBadData (65), never
// retried, rather than a "truncation" that the next attempt repeats.
util::Result<std::optional<std::uint64_t>> DeclaredLength(const Poco::Net::HTTPResponse& in,
                                                          const std::string& host) {
  if (in.getChunkedTransferEncoding()) return std::optional<std::uint64_t>();
  std::optional<std::uint64_t> length;
  std::string first;
  for (const auto& [name, value] : in) {
    if (!EqualsIgnoreCase(name, "Content-Length")) continue;
    std::uint64_t n = 0;
    bool digits = !value.empty() && value.size() <= 19;  // 19 digits cannot overflow
    for (char c : value) {
      if (c < '0' || c > '9') {
        digits = false;
        break;
      }
      n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (!digits) {
      return util::BadDataError(host + " sent a malformed Content-Length '" + Shown(value) + "'");
    }
    if (length && *length != n) {
      return util::BadDataError(host + " sent two different Content-Length values, '" + first +
                                "' and '" + Shown(value) + "'");
    }
    length = n;
    first = Shown(value);
  }
  if (length && *length > kMaxDeclaredLength) {
    return util::BadDataError(host + " sent Content-Length " + first +
                              ", more than the 1 TiB any answer may have");
  }
  return length;
}

bool ExpectsBody(const std::string& method, int status) {
  return method != "HEAD" && status >= 200 && status != 204 && status != 304;
}

// The operating system's trusted roots beyond OpenSSL's default paths (on
// Windows, the ROOT certificate store; platform/trust_store.h).
void AddSystemTrustAnchors(SSL_CTX* ctx) {
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  for (const std::string& der : platform::SystemTrustAnchorsDer()) {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    X509* cert = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
    if (cert == nullptr) continue;     // a malformed entry: not a trust anchor
    X509_STORE_add_cert(store, cert);  // a duplicate is refused harmlessly
    X509_free(cert);
  }
}

// Whether `dir` holds a certificate under OpenSSL's hashed name
// ("1a2b3c4d.0"), the form its folder lookup finds certificates by.
bool HasHashedNames(const std::string& dir) {
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() >= 10 && name[8] == '.' &&
        std::all_of(name.begin(), name.begin() + 8,
                    [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; })) {
      return true;
    }
  }
  return false;
}

// The system's trust anchors. With OpenSSL's hashed folder ($SSL_CERT_DIR,
// else its built-in one: /usr/lib/ssl/certs on Debian), a root is read from
// disk when a handshake's chain needs it: the bundle file's ~140
// certificates are not parsed into every context (about 1 MiB of heap and
// 0.4 MiB of libcrypto pages an idle daemon would keep; bench/bench_idle.sh).
// Without such a folder (a system with only a bundle file, Windows),
// OpenSSL's default file and folder, as before.
void UseSystemTrustStore(SSL_CTX* ctx) {
  const char* env = std::getenv(X509_get_default_cert_dir_env());
  const std::string dir = env != nullptr && *env != '\0' ? env : X509_get_default_cert_dir();
  if (dir.find_first_of(":;") == std::string::npos && HasHashedNames(dir) &&
      SSL_CTX_load_verify_locations(ctx, nullptr, dir.c_str()) == 1) {
    return;
  }
  SSL_CTX_set_default_verify_paths(ctx);
}

class PocoClient final : public HttpClient {
 public:
  explicit PocoClient(const ClientOptions& options)
      : options_(options),
        proxy_(options.proxy),
        run_end_(options.run_budget.count() > 0
                     ? std::optional(std::chrono::steady_clock::now() + options.run_budget)
                     : std::nullopt) {
    try {
      Poco::Net::Context::Params params;
      params.verificationMode = Poco::Net::Context::VERIFY_STRICT;  // peer and host name
      params.loadDefaultCAs = false;  // the system store: UseSystemTrustStore below
      params.caLocation = options.ca_file;
      params.cipherList = "DEFAULT";
      context_ = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
      context_->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
      SSL_CTX_set_verify(context_->sslContext(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                         &RecordingVerifyCallback);
      UseSystemTrustStore(context_->sslContext());
      AddSystemTrustAnchors(context_->sslContext());
    } catch (const Poco::Exception& e) {
      setup_error_ = util::ConfigError(
          "TLS set-up failed" +
          (options.ca_file.empty() ? std::string() : " (ca_file '" + options.ca_file + "')") +
          ": " + e.displayText());
      util::GetLogger("http")->error("{}", setup_error_.message());
    }
  }

  util::Result<Response> Send(const Request& request, util::ByteSink& sink) override;

 private:
  struct Outcome {
    bool responded = false;  // status line and headers arrived
    bool reusable = false;   // the body was read to its end
  };

  util::Status CheckPolicy(const util::Url& url, const std::string& what) const;
  util::Result<TransferLimits> LimitsFor(const Request& request, const std::string& what) const;
  util::Result<Response> SendPooled(const util::Url& url, const Request& request,
                                    const std::string& id, const std::string& what,
                                    util::ByteSink& sink, Attempt& attempt, Outcome& outcome);
  util::Result<Response> Exchange(HTTPClientSession& session, const util::Url& url,
                                  const Request& request, const std::string& id,
                                  util::ByteSink& sink, Attempt& attempt, Outcome& outcome);
  util::Status SendRequest(HTTPClientSession& session, const util::Url& url, const Request& request,
                           const std::string& id, Attempt& attempt);
  // The status line and headers into `in`; the body stream that follows.
  util::Result<std::istream*> ReceiveHead(HTTPClientSession& session, const util::Url& url,
                                          Poco::Net::HTTPResponse& in, Attempt& attempt);
  // The body, `declared` bytes long when the response said so.
  util::Status ReadBody(std::istream& body, std::optional<std::uint64_t> declared,
                        HTTPClientSession& session, util::ByteSink& sink, Attempt& attempt);
  util::Result<std::uint64_t> StreamBody(std::istream& body, HTTPClientSession& session,
                                         util::ByteSink& sink, Attempt& attempt);
  util::Result<std::uint64_t> ReadKnownLength(std::uint64_t length, HTTPClientSession& session,
                                              util::ByteSink& sink, Attempt& attempt);
  void AddHeaders(Poco::Net::HTTPRequest& out, const Request& request, const std::string& id) const;
  SessionPtr Acquire(const util::Url& url, bool& reused);
  void Release(const util::Url& url, SessionPtr session);
  SessionPtr NewSession(const util::Url& url) const;

  static std::string OriginKey(const util::Url& url) {
    return url.scheme + "://" + url.host + ":" + std::to_string(url.port);
  }

  const ClientOptions options_;
  const ProxyRule proxy_;
  const std::optional<SteadyTime> run_end_;
  Poco::Net::Context::Ptr context_;
  util::Status setup_error_;
  std::mutex mu_;
  std::map<std::string, std::vector<SessionPtr>> idle_;  // guarded by mu_
};

util::Result<Response> PocoClient::Send(const Request& request, util::ByteSink& sink) {
  HDC_ASSIGN_OR_RETURN(auto url, util::ParseUrl(request.url));
  const std::string what = LogName(request.method, request.url);
  HDC_RETURN_IF_ERROR(CheckPolicy(url, what));
  const Header* given_id = FindHeader(request, "x-ms-correlation-id");
  const std::string id = given_id ? given_id->value : NewRequestId();
  HDC_ASSIGN_OR_RETURN(auto limits, LimitsFor(request, what));
  const auto started = std::chrono::steady_clock::now();
  Attempt attempt(limits, options_.read_timeout);
  Outcome outcome;
  auto result = SendPooled(url, request, id, what, sink, attempt, outcome);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  auto logger = util::GetLogger("http");
  if (result.ok()) {
    logger->debug("{} -> {} in {} ms, request id {}", what, result->status, ms, id);
  } else {
    logger->debug("{} failed in {} ms, request id {}: {}", what, ms, id, result.status().message());
  }
  if (options_.on_response) options_.on_response(url, result.ok() ? result->status : 0);
  if (attempt.cut() && options_.on_transfer_cut) {
    options_.on_transfer_cut(url, attempt.rate_at_cut(), result.status());
  }
  return result;
}

util::Result<TransferLimits> PocoClient::LimitsFor(const Request& request,
                                                   const std::string& what) const {
  TransferLimits limits;
  limits.min_rate = options_.min_transfer_rate;
  limits.window = options_.min_transfer_rate_window;
  limits.deadline = request.deadline;
  if (run_end_) {
    const auto left =
        std::chrono::duration_cast<util::Duration>(*run_end_ - std::chrono::steady_clock::now());
    const std::string budget = "run budget of " + FormatSeconds(options_.run_budget);
    if (left.count() <= 0) return util::TemporaryError(budget + " spent").WithContext(what + ": ");
    if (limits.deadline.count() == 0 || left < limits.deadline) {
      limits.deadline = left;
      limits.deadline_what = budget;
    }
  }
  return limits;
}

util::Status PocoClient::CheckPolicy(const util::Url& url, const std::string& what) const {
  if (!setup_error_.ok()) return setup_error_;
  if (!proxy_.error().ok()) return proxy_.error();
  if (url.scheme == "http" && (!options_.allow_http_loopback || !util::IsLoopbackHost(url.host))) {
    return util::ConfigError(what +
                             ": plain http:// is allowed only for loopback hosts "
                             "(127.0.0.0/8, ::1, localhost); use https://");
  }
  return util::Status::Ok();
}

util::Result<Response> PocoClient::SendPooled(const util::Url& url, const Request& request,
                                              const std::string& id, const std::string& what,
                                              util::ByteSink& sink, Attempt& attempt,
                                              Outcome& outcome) {
  for (int round = 0;; ++round) {
    bool reused = false;
    SessionPtr session = Acquire(url, reused);
    outcome = Outcome{};
    tls_verify_error.clear();
    try {
      auto result = Exchange(*session, url, request, id, sink, attempt, outcome);
      if (outcome.reusable) Release(url, std::move(session));
      if (!result.ok()) return result.status().WithContext(what + ": ");
      return result;
    } catch (const Poco::Exception& e) {
      // A pooled connection that the server closed while it sat idle fails
      // before any answer; an idempotent request gets one fresh connection.
      if (reused && !outcome.responded && request.idempotent && round == 0 &&
          !dynamic_cast<const Poco::TimeoutException*>(&e)) {
        continue;
      }
      return FromPocoException(url.host, e).WithContext(what + ": ");
    } catch (const std::exception& e) {
      return util::InternalError(what + ": " + e.what());
    }
  }
}

util::Result<Response> PocoClient::Exchange(HTTPClientSession& session, const util::Url& url,
                                            const Request& request, const std::string& id,
                                            util::ByteSink& sink, Attempt& attempt,
                                            Outcome& outcome) {
  HDC_RETURN_IF_ERROR(SendRequest(session, url, request, id, attempt));
  Poco::Net::HTTPResponse in;
  HDC_ASSIGN_OR_RETURN(std::istream * body_in, ReceiveHead(session, url, in, attempt));
  outcome.responded = true;
  Response response;
  response.status = static_cast<int>(in.getStatus());
  for (const auto& [name, value] : in) response.headers.push_back({name, value});
  const bool has_body = ExpectsBody(request.method, response.status);
  std::optional<std::uint64_t> declared;
  if (has_body) {
    HDC_ASSIGN_OR_RETURN(auto length, DeclaredLength(in, url.host));
    declared = length;
  }
  HDC_RETURN_IF_ERROR(sink.StartResponse(response.status, response.headers));
  if (has_body) HDC_RETURN_IF_ERROR(ReadBody(*body_in, declared, session, sink, attempt));
  outcome.reusable = true;
  return response;
}

util::Status PocoClient::SendRequest(HTTPClientSession& session, const util::Url& url,
                                     const Request& request, const std::string& id,
                                     Attempt& attempt) {
  const std::string target = url.target.substr(0, url.target.find('#'));
  HDC_RETURN_IF_ERROR(CheckRequestText(request, target));
  Poco::Net::HTTPRequest out(request.method, target, Poco::Net::HTTPMessage::HTTP_1_1);
  AddHeaders(out, request, id);
  // A bound of the attempt that ends a wait early decides the error.
  HDC_RETURN_IF_ERROR(attempt.Check());
  const Poco::Timespan connect_wait = attempt.NextWait(options_.connect_timeout);
  const bool connect_capped = attempt.capped();
  const Poco::Timespan send_wait = attempt.NextWait(options_.read_timeout);
  session.setTimeout(connect_wait, send_wait, send_wait);  // for a new connection
  if (session.connected()) session.socket().setSendTimeout(send_wait);
  try {
    std::ostream& body_out = session.sendRequest(out);
    body_out.write(request.body.data(), static_cast<std::streamsize>(request.body.size()));
    if (!body_out && session.networkException()) session.networkException()->rethrow();
  } catch (const Poco::TimeoutException&) {
    if (connect_capped || attempt.capped()) return attempt.Expired();
    throw;
  }
  return util::Status::Ok();
}

util::Result<std::istream*> PocoClient::ReceiveHead(HTTPClientSession& session,
                                                    const util::Url& url,
                                                    Poco::Net::HTTPResponse& in, Attempt& attempt) {
  attempt.CapReceive(session.socket());
  try {
    return &session.receiveResponse(in);
  } catch (const Poco::TimeoutException&) {
    if (attempt.capped()) return attempt.Expired();
    throw;
  } catch (const Poco::SyntaxException&) {
    // Poco parses Content-Length after the headers to set up the body
    // stream; a value it cannot parse is the server's bad data, not a
    // transport error to retry.
    if (auto declared = DeclaredLength(in, url.host); !declared.ok()) return declared.status();
    throw;
  }
}

util::Status PocoClient::ReadBody(std::istream& body, std::optional<std::uint64_t> declared,
                                  HTTPClientSession& session, util::ByteSink& sink,
                                  Attempt& attempt) {
  // The sink refuses at once a body it could never take (a size limit).
  if (declared) HDC_RETURN_IF_ERROR(sink.ExpectLength(*declared));
  util::Result<std::uint64_t> received = std::uint64_t{0};
  if (declared) {
    received = ReadKnownLength(*declared, session, sink, attempt);
  } else {
    received = StreamBody(body, session, sink, attempt);
  }
  if (!received.ok()) return received.status();
  if (declared && *received < *declared) {
    return util::TemporaryError("truncated: got " + std::to_string(*received) + " of " +
                                std::to_string(*declared) + " bytes");
  }
  return util::Status::Ok();
}

// Both body readers check the attempt's bounds before every read and make
// one read from the connection at most per round, so a dripping server is
// judged between its bytes.
util::Result<std::uint64_t> PocoClient::ReadKnownLength(std::uint64_t length,
                                                        HTTPClientSession& session,
                                                        util::ByteSink& sink, Attempt& attempt) {
  std::vector<char> buffer(static_cast<size_t>(std::min<std::uint64_t>(length, kRawChunkSize)));
  std::uint64_t total = 0;
  while (total < length) {
    HDC_RETURN_IF_ERROR(attempt.Check());
    const auto want =
        static_cast<std::streamsize>(std::min<std::uint64_t>(length - total, buffer.size()));
    attempt.CapReceive(session.socket());
    int n = 0;
    try {
      n = SessionReader::Read(session, buffer.data(), want);
    } catch (const Poco::TimeoutException&) {
      if (attempt.capped()) return attempt.Expired();
      throw;
    }
    if (n <= 0) return total;  // closed early: the caller reports the truncation
    attempt.Add(static_cast<std::uint64_t>(n));
    HDC_RETURN_IF_ERROR(sink.Append(std::string_view(buffer.data(), static_cast<size_t>(n))));
    total += static_cast<std::uint64_t>(n);
  }
  return total;
}

util::Result<std::uint64_t> PocoClient::StreamBody(std::istream& body, HTTPClientSession& session,
                                                   util::ByteSink& sink, Attempt& attempt) {
  std::vector<char> buffer(kChunkSize);
  std::uint64_t total = 0;
  while (true) {
    HDC_RETURN_IF_ERROR(attempt.Check());
    attempt.CapReceive(session.socket());
    // peek() refills the stream's buffer with one read at most; readsome()
    // then takes what it holds without reading again.
    const bool end = body.peek() == std::char_traits<char>::eof();
    // Poco's stream buffers report socket errors by setting badbit and keep
    // the exception on the session.
    if (body.bad()) {
      if (attempt.capped() && IsTimeout(session.networkException())) return attempt.Expired();
      if (session.networkException()) session.networkException()->rethrow();
      throw Poco::IOException("reading the response body failed");
    }
    if (end) return total;  // end of body
    const std::streamsize n =
        body.readsome(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    if (n <= 0) continue;
    attempt.Add(static_cast<std::uint64_t>(n));
    HDC_RETURN_IF_ERROR(sink.Append(std::string_view(buffer.data(), static_cast<size_t>(n))));
    total += static_cast<std::uint64_t>(n);
  }
}

void PocoClient::AddHeaders(Poco::Net::HTTPRequest& out, const Request& request,
                            const std::string& id) const {
  for (const Header& h : request.headers) out.add(h.name, h.value);
  if (!FindHeader(request, "User-Agent") && !options_.user_agent.empty()) {
    out.set("User-Agent", options_.user_agent);
  }
  if (!FindHeader(request, "x-ms-correlation-id")) out.set("x-ms-correlation-id", id);
  if (!FindHeader(request, "x-request-id")) out.set("x-request-id", id);
  const std::string& m = request.method;
  if (!request.body.empty() || m == "POST" || m == "PUT" || m == "PATCH") {
    out.setContentLength64(static_cast<Poco::Int64>(request.body.size()));
  }
}

SessionPtr PocoClient::Acquire(const util::Url& url, bool& reused) {
  {
    std::lock_guard lock(mu_);
    auto it = idle_.find(OriginKey(url));
    if (it != idle_.end() && !it->second.empty()) {
      SessionPtr session = std::move(it->second.back());
      it->second.pop_back();
      reused = true;
      return session;
    }
  }
  reused = false;
  return NewSession(url);
}

void PocoClient::Release(const util::Url& url, SessionPtr session) {
  std::lock_guard lock(mu_);
  auto& idle = idle_[OriginKey(url)];
  if (idle.size() < kMaxIdlePerOrigin) idle.push_back(std::move(session));
}

SessionPtr PocoClient::NewSession(const util::Url& url) const {
  SessionPtr session;
  if (url.scheme == "https") {
    session = std::make_unique<Poco::Net::HTTPSClientSession>(url.host, url.port, context_);
  } else {
    session = std::make_unique<HTTPClientSession>(url.host, url.port);
  }
  auto micros = [](std::chrono::milliseconds ms) {
    return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(ms.count()) * 1000);
  };
  session->setTimeout(micros(options_.connect_timeout), micros(options_.read_timeout),
                      micros(options_.read_timeout));
  session->setKeepAlive(true);
  if (auto proxy = proxy_.For(url.host)) session->setProxy(proxy->host, proxy->port);
  return session;
}

}  // namespace

std::unique_ptr<HttpClient> MakePocoClient(const ClientOptions& options) {
  return std::make_unique<PocoClient>(options);
}

}  // namespace hdc::http
