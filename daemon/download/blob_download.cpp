#include "download/blob_download.h"

#include "download/download_sink.h"
#include "util/logging.h"
#include "util/time_format.h"
#include "util/url.h"

namespace hdc::download {
namespace {

util::Status HttpError(int status, const std::string& link) {
  // 403 after the link refreshes: the service refuses us; anything else
  // (404, a 5xx that outlasted the retries) is the service's trouble.
  const util::ErrorKind kind =
      status == 403 ? util::ErrorKind::kAuth : util::ErrorKind::kUnavailable;
  return util::Status::Error(kind,
                             "GET " + util::StripQuery(link) + ": HTTP " + std::to_string(status))
      .WithHttpStatus(status);
}

constexpr std::string_view kStorePrefix = "store: ";

// Rounds of one download so far, each bounded, so no loop is endless.
struct Rounds {
  int refreshes = 0;
  int restarts = 0;  // resumes and starts-again together
};

// The GET of the blob from `offset` on.
http::Request RangedGet(const BlobRequest& request, std::uint64_t offset) {
  http::Request get;
  get.url = request.link;  // a SAS URL: never sent with Authorization
  get.caller_resumes = true;
  if (offset > 0) {
    get.headers.push_back({"Range", "bytes=" + std::to_string(offset) + "-"});
    get.headers.push_back({"If-Range", request.etag});
  }
  return get;
}

// After a failed GET: whether to go round again (starting again or resuming what was cut short).
bool GoAgainAfterFailure(const BlobTransport& transport, BlobRequest& request, Rounds& rounds,
                         const DownloadSink& sink, const store::AtomicWriter& writer,
                         std::uint64_t offset, const util::Status& failure) {
  if (sink.range_mismatch() && rounds.restarts++ < request.max_resumes) {
    request.etag.clear();  // start again from byte 0
    return true;
  }
  const bool cut_short = writer.size() > offset;
  const bool transient = failure.kind() == util::ErrorKind::kTemporary ||
                         failure.kind() == util::ErrorKind::kUnavailable;
  if (cut_short && transient && !transport.stop.stop_requested() &&
      rounds.restarts++ < request.max_resumes) {
    // Without a strong ETag the next round starts again from byte 0.
    util::GetLogger("download")
        ->info("GET {}: cut short at byte {}, {}", util::StripQuery(request.link), writer.size(),
               request.etag.empty() ? "starting again" : "resuming");
    return true;
  }
  return false;
}

// After a 403: the SAS link expired, ask for a fresh one.
util::Status RefreshLink(BlobRequest& request) {
  util::GetLogger("download")
      ->info("GET {}: link refused (403), asking for a fresh one", util::StripQuery(request.link));
  HDC_ASSIGN_OR_RETURN(auto link, request.fresh_link());
  HDC_RETURN_IF_ERROR(util::CheckUrlPolicy(link));
  request.link = link;
  return util::Status::Ok();
}

// A failure of the writer or of Publish: a verification mismatch is the
// blob's fault (kBadData) and stays as it is; anything else that spends the
// writer there (fsync, close, rename; a link refused under state_dir,
// kConfig) is the store's.
util::Status StoreFailure(const BlobTransport& transport, const util::Status& status) {
  if (status.kind() == util::ErrorKind::kTemporary || status.kind() == util::ErrorKind::kConfig) {
    return LocalStorageError(transport.fs, transport.store_root, status);
  }
  return status;
}

// A 200 or 206 whose body the writer holds: checks its head, then seals it against the length
// and MD5 the response declares.
util::Result<store::Sealed> Seal(const BlobTransport& transport, const BlobRequest& request,
                                 const http::Response& response, store::AtomicWriter& writer) {
  std::optional<std::uint64_t> length;
  std::optional<std::string> md5 = response.FindHeader("x-ms-blob-content-md5");
  if (response.status == 200) {
    length = ParseContentLength(response.FindHeader("Content-Length").value_or(""));
    if (auto whole = response.FindHeader("Content-MD5")) md5 = whole;
  } else {
    length = ParseRangeTotal(response.FindHeader("Content-Range").value_or(""));
  }
  if (request.check_head) {
    if (util::Status head = request.check_head(writer.first_bytes()); !head.ok()) {
      (void)writer.Abort();
      return head;
    }
  }
  auto sealed = writer.Seal(length, md5);
  if (!sealed.ok()) return StoreFailure(transport, sealed.status());
  return sealed;
}

}  // namespace

util::Status LocalStorageError(platform::FileSystem& fs, const std::string& root,
                               const util::Status& status) {
  std::string free;
  if (auto bytes = fs.FreeSpace(root); bytes.ok()) {
    free = " (" + util::FormatByteSize(*bytes) + " free in " + root + ")";
  }
  return util::Status::Error(status.kind(), std::string(kStorePrefix) + status.message() + free)
      .WithDetail(util::ErrorDetail::kLocalStorage);
}

util::Status Unpromote(platform::FileSystem& fs, const std::string& path,
                       const util::Status& failure) {
  if (util::Status removed = fs.Remove(path); !removed.ok()) {
    return util::Status::Error(failure.kind(), failure.message() + "; and removing " + path +
                                                   " again failed: " + removed.message())
        .WithHttpStatus(failure.http_status())
        .WithDetail(failure.detail());
  }
  return failure;
}

util::Result<store::Sealed> FetchBlob(const BlobTransport& transport, BlobRequest request,
                                      store::AtomicWriter& writer) {
  Rounds rounds;
  while (true) {
    if (transport.stop.stop_requested()) return util::TemporaryError("stopped");
    if (writer.size() > 0 && request.etag.empty()) HDC_RETURN_IF_ERROR(writer.Truncate());
    const std::uint64_t offset = writer.size();
    const http::Request get = RangedGet(request, offset);
    DownloadSink sink(writer, transport.limiter, transport.stop, request.etag, request.on_etag,
                      request.min_record_bytes);
    auto response = http::SendWithRetry(transport.http, get, sink, transport.retry, transport.clock,
                                        transport.random, transport.stop);
    request.etag = sink.etag();
    // The store refused the bytes (disk full, I/O error): no resume, no retry.
    if (writer.failed()) {
      return response.ok()
                 ? util::InternalError("the store failed without saying why")
                 : LocalStorageError(transport.fs, transport.store_root, response.status());
    }
    if (!response.ok()) {
      if (GoAgainAfterFailure(transport, request, rounds, sink, writer, offset,
                              response.status())) {
        continue;
      }
      return response.status();  // a partial with an ETag stays for the next attempt
    }
    const int status = response->status;
    if (status == 416 && rounds.restarts++ < request.max_resumes) {
      request.etag.clear();
      continue;
    }
    if (status == 403 && request.fresh_link && rounds.refreshes++ < request.max_link_refreshes) {
      HDC_RETURN_IF_ERROR(RefreshLink(request));
      continue;
    }
    if (status != 200 && status != 206) return HttpError(status, request.link);
    if (request.received) request.received();
    return Seal(transport, request, *response, writer);
  }
}

util::Result<store::Committed> DownloadBlob(const BlobTransport& transport, BlobRequest request,
                                            store::AtomicWriter& writer) {
  HDC_ASSIGN_OR_RETURN(store::Sealed sealed, FetchBlob(transport, std::move(request), writer));
  auto published = store::PublishOne(transport.fs, std::move(sealed));
  if (!published.ok()) return StoreFailure(transport, published.status());
  return published;
}

}  // namespace hdc::download
