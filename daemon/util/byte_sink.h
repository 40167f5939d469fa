// Where a streamed body goes. The HTTP client feeds it; the store implements
// it (an atomic writer into store/tmp); tests use a string sink. Neither http
// nor store includes the other.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace hdc::util {

// One HTTP header as received (http::Header is this type).
struct HeaderField {
  std::string name;
  std::string value;
};

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  // Called once per response, when its status is known and before any of
  // its body arrives, so a sink can keep an error body away from a file.
  virtual Status Start(int /*status*/) { return Status::Ok(); }
  // What the HTTP client calls: the status and the headers, before the body
  // (a download records the blob's ETag here, so a partial file left by a
  // crash mid-body can be resumed with If-Range). Forwards to Start().
  virtual Status StartResponse(int status, const std::vector<HeaderField>& /*headers*/) {
    return Start(status);
  }
  // Called before the body when the answer declares its length (the
  // remaining bytes for a 206): a sink refuses here a body it could never
  // take, so the transfer stops before its first byte. Bad data (kBadData)
  // when the length is beyond a limit of the sink's.
  virtual Status ExpectLength(std::uint64_t /*length*/) { return Status::Ok(); }
  // Appends bytes; an error stops the transfer (disk full, size limit).
  virtual Status Append(std::string_view data) = 0;
  // Bytes accepted so far, including any kept from an earlier attempt (the
  // offset a resumed download asks for with Range).
  virtual std::uint64_t size() const = 0;
  // Drops everything received so far (a 200 answered a Range request, so
  // the body starts again from byte 0).
  virtual Status Truncate() = 0;
};

// Collects a body in memory, refusing more than `limit` bytes.
class StringSink final : public ByteSink {
 public:
  explicit StringSink(std::uint64_t limit = UINT64_MAX) : limit_(limit) {}
  Status ExpectLength(std::uint64_t length) override {
    if (length > limit_ || data_.size() > limit_ - length) {
      return BadDataError("response body larger than " + std::to_string(limit_) +
                          " bytes (Content-Length " + std::to_string(length) + ")");
    }
    return Status::Ok();
  }
  Status Append(std::string_view data) override {
    if (data_.size() + data.size() > limit_) {
      return BadDataError("response body larger than " + std::to_string(limit_) + " bytes");
    }
    data_.append(data);
    return Status::Ok();
  }
  std::uint64_t size() const override { return data_.size(); }
  Status Truncate() override {
    data_.clear();
    return Status::Ok();
  }
  const std::string& data() const { return data_; }
  std::string Take() { return std::move(data_); }

 private:
  std::uint64_t limit_;
  std::string data_;
};

}  // namespace hdc::util
