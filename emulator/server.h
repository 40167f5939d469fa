// hdc-emulator's in-process server: a local stand-in for Hardware Dev Center
// (Azure AD token endpoint, the report API of docs/hdc-api.md §Endpoints,
// blob storage).
//
// Start() binds the API host (127.0.0.1 by default) and a second loopback
// name for blobs (127.0.0.2), port 0 meaning an ephemeral one, and serves on
// a private thread pool until Stop() or destruction. All time comes from the
// injected Clock; with a util::ManualClock, /_emulator/clock can set and
// advance it. No globals: two servers in one process are independent.
// Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "emulator/faults.h"
#include "emulator/settings.h"
#include "util/clock.h"
#include "util/result.h"

namespace hdc::emulator {

struct ClientCredential {
  std::string tenant;
  std::string client_id;
  std::string secret;
  // Set (PEM text): a certificate client instead, which signs in with a
  // client_assertion signed by this certificate's key; `secret` is empty.
  std::string certificate_pem;
  // Set: a federated client instead, which signs in with a token the
  // emulator's workload issuer minted for this subject
  // (POST /_emulator/federated-token); `secret` is empty.
  std::string federated_subject;
};

// The client used when none is configured (printed by --help).
ClientCredential DemoClient();

struct ServerOptions {
  std::string host = "127.0.0.1";       // API and token endpoint
  std::string blob_host = "127.0.0.2";  // report and cab links
  int port = 0;                         // 0: ephemeral
  int blob_port = -1;                   // -1: the API port number if free there, else ephemeral
  std::uint64_t seed = 1;
  std::vector<ClientCredential> clients;  // empty: DemoClient()
  Settings settings;
  std::vector<FaultRule> faults;
  std::string state_file;  // empty: remote objects live in memory only
  int threads = 16;        // connections served at once
  // Both set: serve the API and blob listeners over HTTPS with this PEM
  // certificate and private key (it should name 127.0.0.1, the blob host
  // and localhost). Empty: plain HTTP.
  std::string tls_cert;
  std::string tls_key;
};

class Server {
 public:
  Server(ServerOptions options, util::Clock& clock);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving; fails when a port is taken or the state file
  // cannot be read.
  util::Status Start();
  // Stops accepting, finishes the callback worker; idempotent.
  void Stop();

  int port() const;
  int blob_port() const;
  std::string base_url() const;       // "http://127.0.0.1:PORT" ("https://" with TLS)
  std::string blob_base_url() const;  // "http://127.0.0.2:PORT" ("https://" with TLS)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hdc::emulator
