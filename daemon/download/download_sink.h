// A ByteSink for blob downloads: routes a 2xx body into the atomic writer
// and any other body into a small buffer (for the error message), so an
// error page never lands in a stored file. Before the body arrives it
// records the blob's strong ETag (the resume validator; a weak one or none
// means "no resume"), checks that a 206 starts where the partial ends, and
// restarts the file when a 200 answers a Range request. Bytes pass through
// the shared bandwidth limit when there is one. Private to download/.
#pragma once

#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "store/atomic_writer.h"
#include "util/byte_sink.h"
#include "util/rate_limiter.h"
#include "util/strings.h"

namespace hdc::download {

// A Content-Length (or Content-Range total): decimal digits only, else nullopt.
inline std::optional<std::uint64_t> ParseContentLength(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n;
}

// The TOTAL of a Content-Range "bytes START-END/TOTAL" (what follows the
// last '/', by ParseContentLength); nullopt without one.
inline std::optional<std::uint64_t> ParseRangeTotal(std::string_view range) {
  const size_t slash = range.rfind('/');
  if (slash == std::string_view::npos) return std::nullopt;
  return ParseContentLength(range.substr(slash + 1));
}

// The ETag header value as a resume validator: a strong entity-tag (RFC 9110
// 8.8.3: '"', then printable bytes other than '"', then '"'), at most 256
// bytes, else "". A weak tag (W/"...") is not valid in If-Range, and a
// malformed one is never stored nor sent back in a request header.
inline std::string ResumeValidator(std::string_view etag) {
  if (etag.size() < 2 || etag.size() > 256 || etag.front() != '"' || etag.back() != '"') return "";
  for (char c : etag.substr(1, etag.size() - 2)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == '"' || byte == 0x7f) return "";
  }
  return std::string(etag);
}

class DownloadSink final : public util::ByteSink {
 public:
  using OnEtag = std::function<util::Status(const std::string& etag)>;
  // on_etag is not called for blobs smaller than min_record_bytes (their
  // Content-Length says so): not worth resuming across a restart.
  DownloadSink(store::AtomicWriter& writer, util::RateLimiter* limiter = nullptr,
               std::stop_token stop = {}, std::string etag = "", OnEtag on_etag = nullptr,
               std::uint64_t min_record_bytes = 0)
      : writer_(writer),
        limiter_(limiter),
        stop_(std::move(stop)),
        etag_(std::move(etag)),
        on_etag_(std::move(on_etag)),
        min_record_bytes_(min_record_bytes) {}

  util::Status StartResponse(int status, const std::vector<util::HeaderField>& headers) override {
    range_mismatch_ = false;
    if (status == 206) {
      // "bytes START-END/TOTAL": START must be where our partial ends.
      const std::string range = Find(headers, "Content-Range");
      const std::string expected = "bytes " + std::to_string(writer_.size()) + "-";
      if (range.rfind(expected, 0) != 0) {
        range_mismatch_ = true;
        return util::BadDataError("Content-Range '" + range + "' does not start at byte " +
                                  std::to_string(writer_.size()));
      }
    }
    if (status == 200 || status == 206) {
      // The whole blob's MD5 comes as x-ms-blob-content-md5 (also on 206)
      // or, on a 200, as Content-MD5: without either, MD5 is not computed.
      writer_.SetMd5Wanted(!Find(headers, "x-ms-blob-content-md5").empty() ||
                           (status == 200 && !Find(headers, "Content-MD5").empty()));
      const std::string etag = ResumeValidator(Find(headers, "ETag"));
      if (etag != etag_) {
        etag_ = etag;
        const auto length = ParseContentLength(Find(headers, "Content-Length"));
        const bool small = length && writer_.size() + *length < min_record_bytes_;
        if (on_etag_ && !small) HDC_RETURN_IF_ERROR(on_etag_(etag_));
      }
    }
    return Start(status);
  }
  util::Status Start(int status) override {
    to_file_ = status >= 200 && status < 300;
    error_.clear();
    // 200 to a Range request: the server sends the whole blob again.
    if (status == 200 && writer_.size() > 0) return writer_.Truncate();
    return util::Status::Ok();
  }
  util::Status Append(std::string_view data) override {
    if (!to_file_) {
      if (error_.size() < 4096) error_.append(data.substr(0, 4096 - error_.size()));
      return util::Status::Ok();
    }
    if (limiter_ != nullptr && !limiter_->Acquire(data.size(), stop_)) {
      return util::TemporaryError("stopped");
    }
    return writer_.Append(data);
  }
  std::uint64_t size() const override { return writer_.size(); }
  util::Status Truncate() override { return writer_.Truncate(); }
  const std::string& error_body() const { return error_; }
  // The strong ETag of the bytes in the writer ("" when unknown).
  const std::string& etag() const { return etag_; }
  // The last 206 did not continue the partial (the caller starts again).
  bool range_mismatch() const { return range_mismatch_; }

 private:
  static std::string Find(const std::vector<util::HeaderField>& headers, std::string_view name) {
    for (const auto& h : headers) {
      if (util::EqualsIgnoreCase(h.name, name)) return h.value;
    }
    return "";
  }

  store::AtomicWriter& writer_;
  util::RateLimiter* limiter_;
  std::stop_token stop_;
  std::string etag_;
  OnEtag on_etag_;
  std::uint64_t min_record_bytes_;
  bool to_file_ = true;
  bool range_mismatch_ = false;
  std::string error_;
};

}  // namespace hdc::download
