// A ByteSink for blob downloads: routes a 2xx body into the atomic writer
// and any other body into a small buffer (for the error message), so an
// error page never lands in a stored file. Private to download/.
#pragma once

#include <string>
#include <string_view>

#include "store/atomic_writer.h"
#include "util/byte_sink.h"

namespace hdc::download {

class DownloadSink final : public util::ByteSink {
 public:
  explicit DownloadSink(store::AtomicWriter& writer) : writer_(writer) {}
  util::Status Start(int status) override {
    to_file_ = status >= 200 && status < 300;
    error_.clear();
    // 200 to a Range request: the server sends the whole blob again.
    if (status == 200 && writer_.size() > 0) return writer_.Truncate();
    return util::Status::Ok();
  }
  util::Status Append(std::string_view data) override {
    if (to_file_) return writer_.Append(data);
    if (error_.size() < 4096) error_.append(data.substr(0, 4096 - error_.size()));
    return util::Status::Ok();
  }
  std::uint64_t size() const override { return writer_.size(); }
  util::Status Truncate() override { return writer_.Truncate(); }
  const std::string& error_body() const { return error_; }

 private:
  store::AtomicWriter& writer_;
  bool to_file_ = true;
  std::string error_;
};

}  // namespace hdc::download
