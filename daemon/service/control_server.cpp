#include "service/control_server.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <utility>

#include <Poco/Exception.h>
#include <Poco/Net/DatagramSocket.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/PollSet.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/SocketDefs.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Timespan.h>

#include "platform/thread_name.h"
#include "service/callback_token.h"
#include "service/prometheus_text.h"
#include "util/logging.h"
#include "util/redact.h"

namespace hdc::service {

using Poco::Net::HTTPRequest;
using Poco::Net::HTTPResponse;
using util::Result;
using util::Status;

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kBacklog = 1024;
constexpr std::size_t kMaxHead = 8 * 1024;       // request line and headers
constexpr std::size_t kMaxChunkLine = 1024;      // a chunk-size line or trailer line
constexpr std::size_t kReadPerTurn = 64 * 1024;  // fairness: bytes read per ready event
// Without a wake-up socket the loop must notice Stop by itself: it polls at
// most this long.
constexpr std::chrono::milliseconds kMaxPollWaitUnwoken{100};
constexpr std::chrono::milliseconds kAcceptBackoff{100};
constexpr int kAcceptsPerTurn = 16;

// kPending: the web handler has the request; its reply comes through the
// mailbox.
enum class Phase { kHead, kBody, kPending, kWrite, kDrain };

enum class Route { kHealth, kMetrics, kCallback, kRefusedCallback, kWeb, kNotFound, kBadRequest };

// What the routing decided from the head, before the body is read. A status
// other than 200 is the answer, without reading the body or calling a handler.
struct Plan {
  Route route = Route::kNotFound;
  int status = 404;
};

// Decodes a chunked body as it arrives, keeping at most one line undecoded.
class ChunkedDecoder {
 public:
  enum class State { kMore, kDone, kTooLarge, kBroken };
  // Consumes what it can of `in` (erasing it) and appends the data to `body`.
  State Feed(std::string& in, std::string& body, std::size_t max);

 private:
  enum class Part { kSize, kData, kDataEnd, kTrailer };
  Part part_ = Part::kSize;
  std::uint64_t left_ = 0;
};

// Replies of the web handler, from any thread, to the loop: queued here,
// then a byte to the wake-up socket. Shared with every pending reply, so a
// late one finds it even after the server is gone.
struct Mailbox {
  std::mutex mu;
  std::vector<std::pair<std::uint64_t, WebAnswer>> done;  // guarded by mu
  std::optional<Poco::Net::DatagramSocket> wake;          // a handle shared with the loop's
  void Post(std::uint64_t id, WebAnswer answer);
};

}  // namespace

struct ControlServer::Impl {
  ControlServerOptions options;
  ControlHandlers handlers;
  util::Metrics* metrics = nullptr;
  std::string address;
  std::unique_ptr<Poco::Net::ServerSocket> socket;
  // A loopback datagram socket connected to itself: Stop sends it a byte,
  // which ends the loop's poll at once (the portable self-pipe; Poco 1.11's
  // PollSet has no wakeUp). Without one (no loopback address to bind), the
  // loop polls at most every kMaxPollWaitUnwoken.
  std::optional<Poco::Net::DatagramSocket> wake;
  std::atomic<bool> stopping{false};
  std::thread loop;
  std::mutex stop_mu;
  bool stopped = false;  // guarded by stop_mu

  // One connection, from accept to close; only the loop thread touches these.
  struct Connection {
    std::uint64_t id = 0;
    Poco::Net::StreamSocket socket;
    std::string peer;
    Clock::time_point deadline;
    Phase phase = Phase::kHead;
    std::string in;  // undecoded input: the head, then the body as it arrives
    std::unique_ptr<HTTPRequest> request;
    Plan plan;
    bool chunked = false;
    std::uint64_t content_length = 0;
    ChunkedDecoder decoder;
    std::string body;
    std::string out;  // the answer
    std::size_t sent = 0;
    bool unread_body = false;  // a body announced that will not be read
    bool drain_after = false;  // unread input may follow: half-close, then read to EOF
  };
  std::map<std::uint64_t, Connection> connections;  // by accept order: oldest first
  std::unordered_map<const void*, std::uint64_t> by_socket;
  std::map<std::string, std::size_t> per_peer;
  std::uint64_t next_id = 0;
  Poco::Net::PollSet poll;
  std::shared_ptr<Mailbox> mailbox = std::make_shared<Mailbox>();
  bool accepting = true;
  Clock::time_point accept_resume;

  void Run();
  void Turn();
  void AcceptAll();
  bool Admit(Poco::Net::StreamSocket& accepted);
  void EnforceCaps(const std::string& peer);
  bool DropOldest(const std::string* peer, std::string_view reason);
  void Ready(std::uint64_t id, int mode);
  void ReadInput(std::uint64_t id);
  void HeadComplete(Connection& c, std::size_t head_end);
  void BodyProgress(Connection& c);
  void Answer(Connection& c);
  void AskWeb(Connection& c);
  void DeliverWebAnswers();
  void Respond(Connection& c, int status, std::string_view content_type, const std::string& body,
               std::string_view allow, bool drain_after,
               const std::vector<std::pair<std::string, std::string>>& headers = {});
  void Flush(std::uint64_t id);
  void Close(std::uint64_t id);
  void CountDrop(std::string_view reason);
  void DrainWake();
};

namespace {

constexpr std::string_view kCallbackPrefix = "/callback/";
constexpr std::string_view kTextType = "text/plain; charset=utf-8";

std::shared_ptr<spdlog::logger> Log() { return util::GetLogger("control"); }

// The wake-up socket, on the first loopback address this host can bind; an
// empty optional when none can (logged; the loop then polls).
std::optional<Poco::Net::DatagramSocket> OpenWakeSocket() {
#ifdef _WIN32
  // Poco 1.11's WSAPoll branch treats a wake-up as EINTR unless a socket in
  // the set waits for writing (its hasSignaledFDs), so it returns only at
  // the timeout: a long wait would delay every request by all of it. The
  // loop there keeps the short poll, and a wake-up would not end it sooner.
  return std::nullopt;
#else
  std::string why;
  for (const char* host : {"127.0.0.1", "::1"}) {
    try {
      Poco::Net::DatagramSocket wake(Poco::Net::SocketAddress(host, 0), /*reuseAddress=*/false);
      wake.connect(wake.address());
      wake.setBlocking(false);
      return wake;
    } catch (const Poco::Exception& e) {
      why = e.displayText();
    }
  }
  Log()->warn("control listener: no loopback wake-up socket ({}); it polls every {} ms instead",
              why, kMaxPollWaitUnwoken.count());
  return std::nullopt;
#endif
}

// ---- Address -------------------------------------------------------------

struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
};

Status BadAddress(std::string_view listen, std::string_view why) {
  return util::ConfigError("control listen address '" + std::string(listen) +
                           "': " + std::string(why));
}

// "host:port" or "[v6 address]:port".
Result<Endpoint> ParseListen(std::string_view listen) {
  std::string_view host;
  std::string_view port;
  if (!listen.empty() && listen.front() == '[') {
    const std::size_t close = listen.find(']');
    if (close == std::string_view::npos || listen.substr(close + 1, 1) != ":") {
      return BadAddress(listen, "expected [address]:port");
    }
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
  } else {
    const std::size_t colon = listen.rfind(':');
    if (colon == std::string_view::npos) return BadAddress(listen, "expected host:port");
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return BadAddress(listen, "an IPv6 address needs brackets, as in [::1]:9187");
    }
  }
  if (host.empty()) return BadAddress(listen, "no host");
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || port.size() > 5 || ec != std::errc() || end != port.data() + port.size() ||
      value > 65535) {
    return BadAddress(listen, "the port must be a number from 0 to 65535");
  }
  return Endpoint{std::string(host), static_cast<std::uint16_t>(value)};
}

Result<std::unique_ptr<Poco::Net::ServerSocket>> Bind(std::string_view listen) {
  Result<Endpoint> endpoint = ParseListen(listen);
  if (!endpoint.ok()) return endpoint.status();
  Poco::Net::SocketAddress address;
  try {
    address = Poco::Net::SocketAddress(endpoint->host, endpoint->port);
  } catch (const Poco::Exception& e) {
    return BadAddress(listen, "cannot resolve " + endpoint->host + ": " + e.message());
  }
#ifdef _WIN32
  const bool reuse_address = false;  // on Windows it would let us steal a port in use
#else
  const bool reuse_address = true;  // rebinding over TIME_WAIT, never over a listener
#endif
  auto socket = std::make_unique<Poco::Net::ServerSocket>();
  try {
    socket->bind(address, reuse_address, /*reusePort=*/false);
    socket->listen(kBacklog);
  } catch (const Poco::Exception& e) {
#ifdef _WIN32
    const std::string why = e.message();
#else
    const std::string why = e.code() > 0 ? std::strerror(e.code()) : e.message();
#endif
    const util::ErrorKind kind =
        e.code() == POCO_EADDRINUSE ? util::ErrorKind::kUnavailable : util::ErrorKind::kConfig;
    return Status::Error(kind, "control listener: cannot listen on " + std::string(listen) + " (" +
                                   address.toString() + "): " + why);
  }
  if (!address.host().isLoopback()) {
    Log()->warn(
        "control listener on non-loopback address {}: health, metrics and the callback "
        "are reachable from the network",
        address.toString());
  }
  return socket;
}

// ---- Routing -------------------------------------------------------------

std::string_view PathOf(std::string_view target) { return target.substr(0, target.find('?')); }

bool WantsJson(std::string_view target) {
  const std::size_t q = target.find('?');
  if (q == std::string_view::npos) return false;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    if (query.substr(0, amp) == "format=json") return true;
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

// The dashboard's paths (docs/operations.md §Dashboard).
bool IsWebPath(std::string_view path) {
  return path == "/" || path.starts_with("/static/") || path.starts_with("/api/v1/");
}

Plan PlanCallback(const ControlServer::Impl& impl, const HTTPRequest& request,
                  std::string_view token) {
  if (impl.options.callback_token.empty() || !impl.handlers.callback ||
      !TokenEquals(token, impl.options.callback_token)) {
    return {Route::kRefusedCallback, 404};
  }
  if (request.getMethod() != HTTPRequest::HTTP_POST) return {Route::kCallback, 405};
  if (!request.getChunkedTransferEncoding() && request.hasContentLength()) {
    const Poco::Int64 length = request.getContentLength64();  // throws when malformed
    if (length < 0) return {Route::kBadRequest, 400};
    if (static_cast<std::uint64_t>(length) > impl.options.max_body) return {Route::kCallback, 413};
  }
  return {Route::kCallback, 200};
}

Plan Decide(const ControlServer::Impl& impl, const HTTPRequest& request) {
  const std::string_view path = PathOf(request.getURI());
  const std::string& method = request.getMethod();
  const bool get = method == HTTPRequest::HTTP_GET || method == HTTPRequest::HTTP_HEAD;
  if (path == "/healthz" && impl.handlers.health) return {Route::kHealth, get ? 200 : 405};
  if (path == "/metrics" && impl.handlers.metrics) return {Route::kMetrics, get ? 200 : 405};
  if (impl.handlers.web && IsWebPath(path)) return {Route::kWeb, get ? 200 : 405};
  if (path.substr(0, kCallbackPrefix.size()) == kCallbackPrefix) {
    try {
      return PlanCallback(impl, request, path.substr(kCallbackPrefix.size()));
    } catch (const Poco::Exception&) {
      return {Route::kBadRequest, 400};
    }
  }
  return {Route::kNotFound, 404};
}

// ---- Answering -----------------------------------------------------------

struct Reply {
  int status = 200;
  std::string_view content_type = kTextType;
  std::string body;
  std::string_view allow;  // for 405
  const std::vector<std::pair<std::string, std::string>>* headers = nullptr;
};

Reply Refusal(const Plan& plan) {
  switch (plan.status) {
    case 400:
      return {400, kTextType, "bad request\n", {}};
    case 405:
      return {405, kTextType, "method not allowed\n",
              plan.route == Route::kCallback ? "POST" : "GET, HEAD"};
    case 413:
      return {413, kTextType, "payload too large\n", {}};
    case 431:
      return {431, kTextType, "request header fields too large\n", {}};
    default:
      return {404, kTextType, "not found\n", {}};
  }
}

std::string_view RouteName(Route route) {
  switch (route) {
    case Route::kHealth:
      return "/healthz";
    case Route::kMetrics:
      return "/metrics";
    case Route::kWeb:
      return "web";
    default:
      return "/callback";
  }
}

// The status line and headers (Poco writes them), then the body unless HEAD.
std::string Render(const Reply& reply, bool head) {
  HTTPResponse response(HTTPResponse::HTTP_1_1,
                        static_cast<HTTPResponse::HTTPStatus>(reply.status));
  response.setContentType(std::string(reply.content_type));
  response.set("Cache-Control", "no-store");
  if (!reply.allow.empty()) response.set("Allow", std::string(reply.allow));
  if (reply.headers != nullptr) {
    for (const auto& [name, value] : *reply.headers) response.set(name, value);
  }
  response.setKeepAlive(false);
  response.setContentLength64(static_cast<Poco::Int64>(reply.body.size()));
  std::ostringstream out;
  response.write(out);
  if (!head) out << reply.body;
  return std::move(out).str();
}

bool WouldBlock(const Poco::Exception& e) {
  return e.code() == POCO_EWOULDBLOCK || e.code() == POCO_EAGAIN;
}

ChunkedDecoder::State ChunkedDecoder::Feed(std::string& in, std::string& body, std::size_t max) {
  std::size_t pos = 0;
  State state = State::kMore;
  while (state == State::kMore) {
    if (part_ == Part::kSize || part_ == Part::kTrailer) {
      const std::size_t eol = in.find("\r\n", pos);
      if (eol == std::string::npos) {
        if (in.size() - pos > kMaxChunkLine) state = State::kBroken;
        break;
      }
      std::string_view line(in.data() + pos, eol - pos);
      pos = eol + 2;
      if (line.size() > kMaxChunkLine) {
        state = State::kBroken;
      } else if (part_ == Part::kTrailer) {
        if (line.empty()) state = State::kDone;  // trailer fields are ignored
      } else {
        line = line.substr(0, line.find(';'));  // chunk extensions are ignored
        while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
        std::uint64_t size = 0;
        const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
        if (line.empty() || line.size() > 16 || ec != std::errc() ||
            end != line.data() + line.size()) {
          state = State::kBroken;
        } else if (size == 0) {
          part_ = Part::kTrailer;
        } else if (size > max - body.size()) {
          state = State::kTooLarge;
        } else {
          left_ = size;
          part_ = Part::kData;
        }
      }
    } else if (part_ == Part::kData) {
      const std::size_t take =
          static_cast<std::size_t>(std::min<std::uint64_t>(left_, in.size() - pos));
      if (take == 0) break;
      body.append(in, pos, take);
      pos += take;
      left_ -= take;
      if (left_ == 0) part_ = Part::kDataEnd;
    } else {
      if (in.size() - pos < 2) break;
      if (in.compare(pos, 2, "\r\n") != 0) {
        state = State::kBroken;
      } else {
        pos += 2;
        part_ = Part::kSize;
      }
    }
  }
  in.erase(0, pos);
  return state;
}

void Mailbox::Post(std::uint64_t id, WebAnswer answer) {
  std::lock_guard lock(mu);
  done.emplace_back(id, std::move(answer));
  if (!wake) return;  // the loop polls at most kMaxPollWaitUnwoken
  try {
    const char byte = 1;
    wake->sendBytes(&byte, 1);
  } catch (const Poco::Exception&) {
    // Stopped, or the socket is full of wake-ups already: the loop looks anyway.
  }
}

}  // namespace

// ---- The loop --------------------------------------------------------------

void ControlServer::Impl::Run() {
  platform::NameThisThread("hdc-control");
  try {
    poll.add(*socket, Poco::Net::PollSet::POLL_READ);
    if (wake) poll.add(*wake, Poco::Net::PollSet::POLL_READ);
  } catch (const Poco::Exception& e) {
    Log()->error("control listener: cannot poll the listening socket: {}", e.displayText());
    return;
  }
  while (!stopping.load()) {
    try {
      Turn();
    } catch (const std::exception& e) {
      // Never expected; a pause keeps a persistent failure from spinning.
      Log()->error("control listener: {}", e.what());
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  // Stopping: the answers being written get one more chance, then all close.
  while (!connections.empty()) {
    const std::uint64_t id = connections.begin()->first;
    if (connections.begin()->second.phase == Phase::kWrite) Flush(id);
    if (connections.count(id) != 0) Close(id);
  }
}

void ControlServer::Impl::Turn() {
  Clock::time_point now = Clock::now();
  std::optional<Clock::time_point> due;
  for (const auto& [id, c] : connections) due = std::min(due.value_or(c.deadline), c.deadline);
  if (!accepting) due = std::min(due.value_or(accept_resume), accept_resume);
  const std::chrono::milliseconds cap = wake ? kControlIdlePollWait : kMaxPollWaitUnwoken;
  const std::chrono::microseconds wait = ControlPollWait(now, due, cap);
  if (!wake && connections.empty() && !accepting) {
    // Nothing to poll (Poco's PollSet returns at once when empty): wait.
    std::this_thread::sleep_for(wait);
  }
  const Poco::Net::PollSet::SocketModeMap ready = poll.poll(Poco::Timespan(wait.count()));
  if (stopping.load()) return;
  bool listener_ready = false;
  for (const auto& [ready_socket, mode] : ready) {
    if (ready_socket.impl() == socket->impl()) {
      listener_ready = true;
      continue;
    }
    if (wake && ready_socket.impl() == wake->impl()) {
      DrainWake();
      continue;
    }
    const auto found = by_socket.find(ready_socket.impl());
    if (found != by_socket.end()) Ready(found->second, mode);
  }
  DeliverWebAnswers();
  now = Clock::now();
  if (!accepting && now >= accept_resume) {
    poll.add(*socket, Poco::Net::PollSet::POLL_READ);
    accepting = true;
    listener_ready = true;
  }
  if (listener_ready && accepting) AcceptAll();
  // Past its deadline a connection closes, whatever it was doing.
  now = Clock::now();
  for (auto it = connections.begin(); it != connections.end();) {
    const std::uint64_t id = it->first;
    const bool late = it->second.deadline <= now;
    const bool unanswered = it->second.phase == Phase::kHead || it->second.phase == Phase::kBody;
    const bool pending = it->second.phase == Phase::kPending;
    ++it;
    if (late && pending) {  // the web handler took too long: say so
      Connection& c = connections.at(id);
      Respond(c, 503, kTextType, "busy\n", {}, c.unread_body);
      Flush(id);
    } else if (late) {
      if (unanswered) CountDrop("timeout");
      Close(id);
    }
  }
}

// Accepts what the kernel has queued, up to kAcceptsPerTurn (the next turn
// takes more, after reading from the connections already open, so a client
// whose request follows its handshake is not pushed out by a burst behind
// it); each new connection may push the oldest unanswered one out
// (EnforceCaps). Out of descriptors, it frees one the same way and retries,
// or stops accepting for a moment.
void ControlServer::Impl::AcceptAll() {
  for (int accepted_now = 0; accepted_now < kAcceptsPerTurn && !stopping.load(); ++accepted_now) {
    Poco::Net::StreamSocket accepted;
    try {
      accepted = socket->acceptConnection();
    } catch (const Poco::Exception& e) {
      if (WouldBlock(e)) return;
      if (e.code() == POCO_EMFILE || e.code() == ENFILE || e.code() == POCO_ENOBUFS) {
        if (DropOldest(nullptr, "limit")) continue;
        Log()->warn("control listener: cannot accept ({}); pausing for {} ms", e.displayText(),
                    kAcceptBackoff.count());
        poll.remove(*socket);
        accepting = false;
        accept_resume = Clock::now() + kAcceptBackoff;
        return;
      }
      if (e.code() == POCO_ECONNABORTED || e.code() == POCO_ECONNRESET) continue;
      Log()->debug("control listener: accept failed: {}", e.displayText());
      return;
    }
    Admit(accepted);
  }
}

bool ControlServer::Impl::Admit(Poco::Net::StreamSocket& accepted) {
  Connection c;
  try {
    c.peer = accepted.peerAddress().host().toString();
    accepted.setBlocking(false);
    accepted.setNoDelay(true);
  } catch (const Poco::Exception&) {
    return false;  // reset already
  }
  c.socket = accepted;  // Poco sockets are shared handles: a copy, not a dup
  c.deadline = Clock::now() + options.header_timeout;
  const std::uint64_t id = next_id++;
  c.id = id;
  const void* key = c.socket.impl();
  const std::string peer = c.peer;
  try {
    poll.add(c.socket, Poco::Net::PollSet::POLL_READ);
  } catch (const Poco::Exception& e) {
    Log()->debug("control listener: cannot poll a connection: {}", e.displayText());
    return false;
  }
  connections.emplace(id, std::move(c));
  by_socket.emplace(key, id);
  ++per_peer[peer];
  EnforceCaps(peer);
  // A client that sent its request with the handshake is answered at once,
  // before newer connections can push it out.
  if (connections.count(id) != 0) ReadInput(id);
  return true;
}

void ControlServer::Impl::EnforceCaps(const std::string& peer) {
  const std::size_t per_peer_cap = std::max<std::size_t>(options.max_connections_per_peer, 1);
  const std::size_t total_cap = std::max<std::size_t>(options.max_connections, 1);
  while (per_peer[peer] > per_peer_cap && DropOldest(&peer, "limit")) {
  }
  while (connections.size() > total_cap && DropOldest(nullptr, "limit")) {
  }
}

// Closes the oldest connection (of `peer`, if given) that is not writing an
// answer; failing that, the oldest that is. False when there is none.
bool ControlServer::Impl::DropOldest(const std::string* peer, std::string_view reason) {
  std::uint64_t victim = 0;
  bool found = false;
  for (const bool writers : {false, true}) {
    for (const auto& [id, c] : connections) {
      if (peer != nullptr && c.peer != *peer) continue;
      if ((c.phase == Phase::kWrite) != writers) continue;
      victim = id;
      found = true;
      break;
    }
    if (found) break;
  }
  if (!found) return false;
  const Connection& c = connections.at(victim);
  if (c.phase != Phase::kDrain) {
    CountDrop(reason);
    Log()->debug("control listener: dropped the oldest connection from {} ({} open)", c.peer,
                 connections.size());
  }
  Close(victim);
  return true;
}

void ControlServer::Impl::Ready(std::uint64_t id, int mode) {
  const auto it = connections.find(id);
  if (it == connections.end()) return;
  if (it->second.phase == Phase::kWrite) {
    Flush(id);
  } else if ((mode & (Poco::Net::PollSet::POLL_READ | Poco::Net::PollSet::POLL_ERROR)) != 0) {
    ReadInput(id);
  }
}

void ControlServer::Impl::ReadInput(std::uint64_t id) {
  Connection& c = connections.at(id);
  char buf[4096];
  std::size_t taken = 0;
  while (taken < kReadPerTurn) {
    int n = 0;
    try {
      n = c.socket.receiveBytes(buf, sizeof buf);
    } catch (const Poco::Exception& e) {
      if (WouldBlock(e)) return;
      Close(id);  // reset
      return;
    }
    if (n < 0) return;  // nothing more for now
    if (n == 0) {       // the client closed (or half-closed) before a complete request
      Close(id);
      return;
    }
    taken += static_cast<std::size_t>(n);
    if (c.phase == Phase::kDrain) continue;  // read and forgotten
    if (c.phase == Phase::kPending) {        // more than the request: forgotten, then drained
      c.unread_body = true;
      continue;
    }
    const std::size_t searched_from = c.in.size() >= 3 ? c.in.size() - 3 : 0;
    c.in.append(buf, static_cast<std::size_t>(n));
    if (c.phase == Phase::kHead) {
      const std::size_t end = c.in.find("\r\n\r\n", searched_from);
      if (end == std::string::npos) {
        if (c.in.size() > kMaxHead) {
          Respond(c, 431, kTextType, Refusal({Route::kBadRequest, 431}).body, {}, true);
          Flush(id);
          return;
        }
        continue;
      }
      if (end + 4 > kMaxHead) {
        Respond(c, 431, kTextType, Refusal({Route::kBadRequest, 431}).body, {}, true);
        Flush(id);
        return;
      }
      HeadComplete(c, end + 4);
    } else if (c.phase == Phase::kBody) {
      BodyProgress(c);
    }
    if (c.phase == Phase::kWrite) {
      Flush(id);
      return;
    }
  }
}

void ControlServer::Impl::HeadComplete(Connection& c, std::size_t head_end) {
  auto request = std::make_unique<HTTPRequest>();
  try {
    std::istringstream head(c.in.substr(0, head_end));
    request->read(head);
  } catch (const Poco::Exception&) {
    Respond(c, 400, kTextType, "bad request\n", {}, true);
    return;
  }
  c.in.erase(0, head_end);
  c.request = std::move(request);
  c.plan = Decide(*this, *c.request);
  if (c.plan.route == Route::kRefusedCallback) {
    if (metrics != nullptr) metrics->Add(kCallbackRefusedMetric);
    Log()->debug("refused a callback from {}: wrong or no token", c.peer);
  }
  const bool announced_body =
      c.request->getChunkedTransferEncoding() || c.request->hasContentLength();
  if (c.plan.status != 200) {
    const Reply reply = Refusal(c.plan);
    Respond(c, reply.status, reply.content_type, reply.body, reply.allow, announced_body);
    return;
  }
  if (c.plan.route == Route::kCallback && announced_body) {
    c.chunked = c.request->getChunkedTransferEncoding();
    if (!c.chunked) c.content_length = static_cast<std::uint64_t>(c.request->getContentLength64());
    c.phase = Phase::kBody;
    // The plan accepts the body: as Poco's server did, say so to a client
    // that waits for it (a refusal above never says it).
    if (c.request->getExpectContinue() && c.in.empty() && (c.chunked || c.content_length > 0)) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      try {
        if (c.socket.sendBytes(kContinue.data(), static_cast<int>(kContinue.size())) !=
            static_cast<int>(kContinue.size())) {
          c.deadline = Clock::now();  // a fresh socket that cannot take 25 bytes: give up
          return;
        }
      } catch (const Poco::Exception&) {
        c.deadline = Clock::now();
        return;
      }
    }
    BodyProgress(c);
    return;
  }
  c.unread_body = announced_body;  // not read for /healthz or /metrics
  Answer(c);
}

void ControlServer::Impl::BodyProgress(Connection& c) {
  const std::size_t max = options.max_body;
  if (c.chunked) {
    switch (c.decoder.Feed(c.in, c.body, max)) {
      case ChunkedDecoder::State::kMore:
        return;
      case ChunkedDecoder::State::kTooLarge:
        Respond(c, 413, kTextType, "payload too large\n", {}, true);
        return;
      case ChunkedDecoder::State::kBroken:
        Respond(c, 400, kTextType, "bad request\n", {}, true);
        return;
      case ChunkedDecoder::State::kDone:
        break;
    }
  } else {
    const std::size_t want = static_cast<std::size_t>(c.content_length) - c.body.size();
    const std::size_t take = std::min(want, c.in.size());
    c.body.append(c.in, 0, take);
    c.in.erase(0, take);
    if (c.body.size() < c.content_length) return;
  }
  Answer(c);
}

// Runs the handler for a complete request, on this thread.
void ControlServer::Impl::Answer(Connection& c) {
  if (c.plan.route == Route::kWeb) {
    AskWeb(c);
    return;
  }
  Reply reply;
  try {
    switch (c.plan.route) {
      case Route::kHealth: {
        const bool json = WantsJson(c.request->getURI());
        HealthAnswer answer = handlers.health(json);
        const std::string_view type = json ? "application/json" : kTextType;
        reply = {answer.healthy ? 200 : 503, type, std::move(answer.body), {}};
        break;
      }
      case Route::kMetrics:
        reply = {200, kPrometheusContentType, handlers.metrics(), {}};
        break;
      default:
        handlers.callback(c.body);
        if (metrics != nullptr) metrics->Add(kCallbackAcceptedMetric);
        reply = {200, kTextType, "ok\n", {}};
        break;
    }
  } catch (const std::exception& e) {
    Log()->error("the {} handler failed: {}", RouteName(c.plan.route), e.what());
    reply = {500, kTextType, "internal error\n", {}};
  } catch (...) {
    Log()->error("the {} handler failed", RouteName(c.plan.route));
    reply = {500, kTextType, "internal error\n", {}};
  }
  Respond(c, reply.status, reply.content_type, reply.body, reply.allow,
          c.unread_body || !c.in.empty());
}

// Hands the request to the web handler and waits (kPending) for its reply,
// which DeliverWebAnswers takes from the mailbox; a handler that throws is
// a 500 at once.
void ControlServer::Impl::AskWeb(Connection& c) {
  c.phase = Phase::kPending;
  c.deadline = Clock::now() + options.timeout;
  c.unread_body = c.unread_body || !c.in.empty();
  c.in.clear();
  std::shared_ptr<Mailbox> box = mailbox;
  const std::uint64_t id = c.id;
  try {
    handlers.web(c.request->getURI(),
                 [box, id](WebAnswer answer) { box->Post(id, std::move(answer)); });
  } catch (const std::exception& e) {
    Log()->error("the web handler failed: {}", e.what());
    Respond(c, 500, kTextType, "internal error\n", {}, c.unread_body);
  }
}

// Answers every pending connection whose reply has come; a reply for a
// connection closed meanwhile is dropped.
void ControlServer::Impl::DeliverWebAnswers() {
  std::vector<std::pair<std::uint64_t, WebAnswer>> done;
  {
    std::lock_guard lock(mailbox->mu);
    done.swap(mailbox->done);
  }
  for (auto& [id, answer] : done) {
    const auto it = connections.find(id);
    if (it == connections.end() || it->second.phase != Phase::kPending) continue;
    Connection& c = it->second;
    Respond(c, answer.status, answer.content_type, answer.body, {}, c.unread_body, answer.headers);
    Flush(id);
  }
}

void ControlServer::Impl::Respond(Connection& c, int status, std::string_view content_type,
                                  const std::string& body, std::string_view allow, bool drain_after,
                                  const std::vector<std::pair<std::string, std::string>>& headers) {
  const bool head = c.request != nullptr && c.request->getMethod() == HTTPRequest::HTTP_HEAD;
  c.out = Render({status, content_type, body, allow, &headers}, head);
  c.sent = 0;
  c.phase = Phase::kWrite;
  c.drain_after = drain_after;
  c.in.clear();
  c.in.shrink_to_fit();
  c.body.clear();
  c.body.shrink_to_fit();
  c.deadline = Clock::now() + options.timeout;  // for the client to take the answer
  try {
    poll.update(c.socket, Poco::Net::PollSet::POLL_WRITE);
  } catch (const Poco::Exception&) {
    c.deadline = Clock::now();
  }
}

// Writes what the socket takes of the answer; when all is written, closes,
// or half-closes and reads to EOF when the client may still be sending (a
// close with unread input would reset the connection and could lose the
// answer on its way).
void ControlServer::Impl::Flush(std::uint64_t id) {
  Connection& c = connections.at(id);
  while (c.sent < c.out.size()) {
    int n = 0;
    try {
      n = c.socket.sendBytes(c.out.data() + c.sent, static_cast<int>(c.out.size() - c.sent));
    } catch (const Poco::Exception& e) {
      if (WouldBlock(e)) return;
      Close(id);
      return;
    }
    if (n <= 0) return;
    c.sent += static_cast<std::size_t>(n);
  }
  if (!c.drain_after) {
    Close(id);
    return;
  }
  try {
    c.socket.shutdownSend();
    poll.update(c.socket, Poco::Net::PollSet::POLL_READ);
  } catch (const Poco::Exception&) {
    Close(id);
    return;
  }
  c.phase = Phase::kDrain;
  c.out.clear();
  c.out.shrink_to_fit();
  c.deadline = Clock::now() + options.header_timeout;
}

void ControlServer::Impl::Close(std::uint64_t id) {
  const auto it = connections.find(id);
  if (it == connections.end()) return;
  Connection& c = it->second;
  try {
    poll.remove(c.socket);
  } catch (const Poco::Exception&) {
    // Not polled (any more): nothing to undo.
  }
  by_socket.erase(c.socket.impl());
  if (const auto peer = per_peer.find(c.peer); peer != per_peer.end() && --peer->second == 0) {
    per_peer.erase(peer);
  }
  try {
    c.socket.close();
  } catch (const Poco::Exception&) {
    // Closed either way.
  }
  connections.erase(it);
}

// Reads the wake-up bytes (one per Stop; the socket is connected to
// itself, so the kernel drops datagrams from anyone else).
void ControlServer::Impl::DrainWake() {
  char bytes[64];
  for (int i = 0; i < 16; ++i) {
    try {
      if (wake->receiveBytes(bytes, sizeof bytes) <= 0) return;
    } catch (const Poco::Exception&) {
      return;  // nothing more to read (or a reset): the next poll tells
    }
  }
}

std::chrono::microseconds ControlPollWait(std::chrono::steady_clock::time_point now,
                                          std::optional<std::chrono::steady_clock::time_point> due,
                                          std::chrono::milliseconds cap) {
  std::chrono::microseconds wait = cap;
  if (due) wait = std::min(wait, std::chrono::duration_cast<std::chrono::microseconds>(*due - now));
  return std::max(wait, std::chrono::microseconds(1000));  // never a busy poll
}

void ControlServer::Impl::CountDrop(std::string_view reason) {
  if (metrics != nullptr) metrics->Add(kConnectionsDroppedMetric, {{"kind", std::string(reason)}});
}

Result<std::unique_ptr<ControlServer>> ControlServer::Start(ControlServerOptions options,
                                                            ControlHandlers handlers,
                                                            util::Metrics* metrics) {
  Result<std::unique_ptr<Poco::Net::ServerSocket>> socket = Bind(options.listen);
  if (!socket.ok()) return socket.status();
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->handlers = std::move(handlers);
  impl->metrics = metrics;
  impl->socket = std::move(*socket);
  impl->address = impl->socket->address().toString();
  impl->wake = OpenWakeSocket();
  impl->mailbox->wake = impl->wake;
  try {
    impl->socket->setBlocking(false);
  } catch (const Poco::Exception& e) {
    return Status::Error(util::ErrorKind::kUnavailable, "control listener: cannot serve " +
                                                            impl->address + ": " + e.displayText());
  }
  if (metrics != nullptr) {
    metrics->Describe(kCallbackAcceptedMetric, util::MetricType::kCounter,
                      "Callback requests accepted (right token).");
    metrics->Describe(kCallbackRefusedMetric, util::MetricType::kCounter,
                      "Callback requests refused with 404 (wrong or no token).");
    metrics->Describe(kConnectionsDroppedMetric, util::MetricType::kCounter,
                      "Control connections closed before a complete request: over a "
                      "connection limit (oldest first) or past the request deadline.");
    metrics->Add(kCallbackAcceptedMetric, {}, 0);
    metrics->Add(kCallbackRefusedMetric, {}, 0);
    metrics->Add(kConnectionsDroppedMetric, {{"kind", "limit"}}, 0);
    metrics->Add(kConnectionsDroppedMetric, {{"kind", "timeout"}}, 0);
  }
  util::AddSecret(impl->options.callback_token);
  Impl* raw = impl.get();
  impl->loop = std::thread([raw] { raw->Run(); });
  Log()->info("control listener on {}", impl->address);
  return std::unique_ptr<ControlServer>(new ControlServer(std::move(impl)));
}

ControlServer::ControlServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ControlServer::~ControlServer() { Stop(); }

std::string ControlServer::address() const { return impl_->address; }

void ControlServer::Stop() {
  std::lock_guard lock(impl_->stop_mu);
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->stopping = true;
  // A byte to the wake-up socket ends the loop's poll; without one, the
  // loop's poll times out within kMaxPollWaitUnwoken.
  if (impl_->wake) {
    try {
      const char byte = 0;
      impl_->wake->sendBytes(&byte, 1);
    } catch (const Poco::Exception& e) {
      Log()->warn("control listener: cannot wake the loop ({}); stopping within {} s",
                  e.displayText(), kControlIdlePollWait.count() / 1000);
    }
  }
  if (impl_->loop.joinable()) impl_->loop.join();
  try {
    impl_->socket->close();
  } catch (const Poco::Exception&) {
    // Closed either way.
  }
}

}  // namespace hdc::service
