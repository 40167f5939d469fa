// One blob (a report file or a cab) from its SAS link into the store,
// resumably. Shared by the report and cab fetchers.
//
// The link is fetched without Authorization, through the shared retry
// policy, streaming into an AtomicWriter. Resume rules (RFC 9110 §13.1.5;
// docs/reliability.md §Fault catalogue, N02 and N03):
//   - a partial is continued only with a strong ETag: "Range: bytes=N-" and
//     "If-Range: <etag>"; without one the partial is dropped and the blob
//     fetched from byte 0;
//   - 206 must start at N (else start again); its length is the TOTAL of
//     Content-Range and its MD5 the whole blob's x-ms-blob-content-md5;
//   - 200 to a Range request means the blob changed: start again;
//   - 416 (the partial is longer than the blob): start again;
//   - a transfer cut mid-body (reset, truncation, timeout) is resumed at
//     once, up to max_resumes times; what is left stays for the next run;
//   - 403 (the SAS link expired) asks `fresh_link` for a new one, up to
//     max_link_refreshes times, and resumes.
// Every new strong ETag is handed to `on_etag` before the body streams, so
// the caller can persist it and a partial left by a crash stays resumable.
// Then `check_head` sees the first bytes (a signature check) and the writer
// seals the file, verifying length and MD5 (FetchBlob; the caller publishes
// it, alone or in a batch: store::Publish), or also publishes it at once
// (DownloadBlob). Errors name the host and path, never
// the query (it holds the SAS signature). A failure of the store itself
// (the writer's write, fsync or rename) comes back as LocalStorageError.
#pragma once

#include <functional>
#include <stop_token>
#include <string>
#include <string_view>

#include "http/client.h"
#include "http/retry.h"
#include "platform/filesystem.h"
#include "store/atomic_writer.h"
#include "util/clock.h"
#include "util/random.h"
#include "util/rate_limiter.h"
#include "util/result.h"

namespace hdc::download {

struct BlobTransport {
  platform::FileSystem& fs;  // of the store: free space for storage errors
  std::string store_root;
  http::HttpClient& http;
  util::Clock& clock;
  util::Random& random;
  std::stop_token stop;
  util::RateLimiter* limiter = nullptr;  // max_bandwidth, shared; null = unlimited
  http::RetryPolicy retry;
};

struct BlobRequest {
  std::string link;                                       // the SAS URL
  std::string etag;                                       // of the partial in the writer, or ""
  std::function<util::Result<std::string>()> fresh_link;  // after a 403; null = none
  std::function<util::Status(const std::string& etag)> on_etag;   // persist the validator
  std::function<util::Status(std::string_view head)> check_head;  // signature; null = any
  std::uint64_t min_record_bytes = 0;  // smaller blobs never call on_etag
  // Called once the whole body has arrived, before it is verified, synced
  // and renamed; null = nothing to do.
  std::function<void()> received;
  int max_link_refreshes = 2;
  int max_resumes = 5;
};

// A failure of the local store (disk full, an I/O error, below
// min_free_space), tagged util::ErrorDetail::kLocalStorage (see
// Status::IsLocalStorage) so the fetchers stop their batch instead of
// charging the item. The message starts "store: " and ends with the free
// space of `root`.
util::Status LocalStorageError(platform::FileSystem& fs, const std::string& root,
                               const util::Status& status);

// The row of a file just promoted into the store could not be written
// (e.g. SQLITE_FULL): removes the file again, so the store never holds a
// file without a row (docs/reliability.md §Invariants, INV3), and returns
// `failure`, noting a removal that failed too. The next run downloads it
// again; a crash in the same window is covered by RecoverDownloads, which
// adopts a verified cab found under its final name.
util::Status Unpromote(platform::FileSystem& fs, const std::string& path,
                       const util::Status& failure);

// The blob verified, under its temp name, not yet durable (store::Sealed).
util::Result<store::Sealed> FetchBlob(const BlobTransport& transport, BlobRequest request,
                                      store::AtomicWriter& writer);

// FetchBlob, then store::Publish of that one file (durable under its final name).
util::Result<store::Committed> DownloadBlob(const BlobTransport& transport, BlobRequest request,
                                            store::AtomicWriter& writer);

}  // namespace hdc::download
