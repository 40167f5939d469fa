// The blob host: report files and cabs behind SAS URLs, with Content-Length,
// Content-MD5 (blobs up to 256 MiB, as Azure keeps it only for single-put
// uploads), ETag, Last-Modified, Range → 206 and If-Range. Bodies are
// produced piecewise and streamed; nothing larger than a chunk is held.
#include <Poco/MD5Engine.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/StreamSocket.h>

#include "emulator/cab.h"
#include "emulator/hash.h"
#include "emulator/report_writer.h"
#include "emulator/routes.h"
#include "util/time_format.h"

namespace hdc::emulator {
namespace {

constexpr std::uint64_t kMd5Limit = 256ULL << 20;
constexpr std::uint64_t kChunk = 1024 * 1024;

// Writes a response body straight to the connection's socket in large
// pieces: Poco's response stream passes everything through a 4 KiB buffer,
// one send() each, which caps a 1 GiB download at a fraction of what the
// loopback carries. Small pieces (report rows) are gathered to kChunk first.
// Falls back to the stream when the request is not Poco's server request.
class BodyWriter {
 public:
  BodyWriter(Exchange& ex, std::ostream& out) : out_(out) {
    out_.flush();  // the status line and headers go first
    auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&ex.request);
    if (impl != nullptr) socket_ = &impl->socket();
  }
  ~BodyWriter() { Flush(); }

  // False once the client is gone.
  bool Write(std::string_view s) {
    if (!ok_) return false;
    if (buffer_.size() + s.size() > kChunk) Flush();
    if (s.size() >= kChunk / 2) return Send(s);
    buffer_.append(s);
    return ok_;
  }
  void Flush() {
    if (buffer_.empty() || !ok_) return;
    Send(buffer_);
    buffer_.clear();
  }
  bool ok() const { return ok_; }

 private:
  bool Send(std::string_view s) {
    if (socket_ == nullptr) {
      out_.write(s.data(), static_cast<std::streamsize>(s.size()));
      return ok_ = out_.good();
    }
    try {
      while (!s.empty()) {
        const int n =
            socket_->sendBytes(s.data(), static_cast<int>(std::min<size_t>(s.size(), 1 << 30)));
        if (n <= 0) return ok_ = false;
        s.remove_prefix(static_cast<size_t>(n));
      }
    } catch (const Poco::Exception&) {  // reset or timeout: the client went away
      ok_ = false;
    }
    return ok_;
  }

  std::ostream& out_;
  Poco::Net::StreamSocket* socket_ = nullptr;
  std::string buffer_;
  bool ok_ = true;
};

// Writes bytes [offset, offset + length) of a blob into a sink.
using Producer =
    std::function<void(std::uint64_t offset, std::uint64_t length, const ByteSinkFn& sink)>;

struct Blob {
  std::string content_type;
  util::TimePoint modified;
  std::optional<std::uint64_t> known_size;  // else found by producing it once
  Producer produce;
};

BlobMeta ComputeMeta(Exchange& ex, const Blob& blob) {
  // A fault that changes the bytes (hostile_ids) makes another blob.
  const std::string key =
      ex.path + "|" + BlobFingerprint(ex.settings) +
      (ex.HasFault(FaultKind::kHostileIds) ? "|hostile" : "") +
      (ex.HasFault(FaultKind::kLongField) ? "|long" + std::to_string(ex.fault.rule.bytes) : "");
  {
    std::lock_guard lock(ex.ctx.meta_mu);
    auto it = ex.ctx.meta.find(key);
    if (it != ex.ctx.meta.end()) return it->second;
  }
  BlobMeta meta;
  const bool md5 = !blob.known_size || *blob.known_size <= kMd5Limit;
  if (md5) {
    Poco::MD5Engine engine;
    blob.produce(0, blob.known_size.value_or(UINT64_MAX), [&](std::string_view s) {
      engine.update(s.data(), static_cast<unsigned>(s.size()));
      meta.size += s.size();
      return true;
    });
    const auto& d = engine.digest();
    meta.md5 = Base64(std::string(d.begin(), d.end()));
  } else {
    meta.size = *blob.known_size;
  }
  char etag[40];
  std::snprintf(etag, sizeof etag, "\"0x8DC%011llX\"",
                static_cast<unsigned long long>(Hash({ex.ctx.options.seed, HashText(key)}) >> 20));
  meta.etag = etag;
  std::lock_guard lock(ex.ctx.meta_mu);
  if (ex.ctx.meta.size() > 4096) ex.ctx.meta.clear();
  ex.ctx.meta[key] = meta;
  return meta;
}

// Parses "bytes=a-b", "bytes=a-", "bytes=-n"; false when absent or unusable.
bool ParseRange(const std::string& header, std::uint64_t size, std::uint64_t* first,
                std::uint64_t* last, bool* unsatisfiable) {
  if (header.rfind("bytes=", 0) != 0 || header.find(',') != std::string::npos) return false;
  const std::string spec = header.substr(6);
  const size_t dash = spec.find('-');
  if (dash == std::string::npos) return false;
  const std::string a = spec.substr(0, dash), b = spec.substr(dash + 1);
  if ((!a.empty() && a.find_first_not_of("0123456789") != std::string::npos) ||
      (!b.empty() && b.find_first_not_of("0123456789") != std::string::npos) ||
      (a.empty() && b.empty()))
    return false;
  if (a.empty()) {
    const std::uint64_t n = std::stoull(b);
    if (n == 0 || size == 0) return *unsatisfiable = true;
    *first = n >= size ? 0 : size - n;
    *last = size - 1;
    return true;
  }
  *first = std::stoull(a);
  *last = b.empty() ? size - 1 : std::min<std::uint64_t>(std::stoull(b), size - 1);
  if (*first >= size || (!b.empty() && std::stoull(b) < *first)) return *unsatisfiable = true;
  return true;
}

void Serve(Exchange& ex, const Blob& blob) {
  const BlobMeta meta = ComputeMeta(ex, blob);
  auto& resp = ex.response;
  resp.set("ETag", meta.etag);
  resp.set("Last-Modified", HttpDate(blob.modified));
  resp.set("Accept-Ranges", "bytes");
  resp.set("x-ms-blob-type", "BlockBlob");
  resp.set("x-ms-version", "2021-08-06");
  std::uint64_t first = 0, last = meta.size ? meta.size - 1 : 0;
  bool unsatisfiable = false;
  const std::string range = ex.request.get("Range", "");
  const std::string if_range = ex.request.get("If-Range", "");
  bool partial = !range.empty() && (if_range.empty() || if_range == meta.etag) &&
                 ParseRange(range, meta.size, &first, &last, &unsatisfiable);
  if (unsatisfiable && (if_range.empty() || if_range == meta.etag)) {
    resp.set("Content-Range", "bytes */" + std::to_string(meta.size));
    return SendBlobError(ex, 416, "InvalidRange",
                         "The range specified is invalid for the current size of the resource.");
  }
  std::uint64_t length = meta.size == 0 ? 0 : last - first + 1;
  if (partial) {
    resp.set("Content-Range", "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" +
                                  std::to_string(meta.size));
    if (!meta.md5.empty()) resp.set("x-ms-blob-content-md5", meta.md5);
  } else {
    first = 0;
    if (!meta.md5.empty()) resp.set("Content-MD5", meta.md5);
  }
  resp.setStatus(partial ? Poco::Net::HTTPResponse::HTTP_PARTIAL_CONTENT
                         : Poco::Net::HTTPResponse::HTTP_OK);
  resp.setContentType(blob.content_type);
  resp.setContentLength64(static_cast<Poco::Int64>(length));
  ex.Record(partial ? 206 : 200);
  if (ex.request.getMethod() == "HEAD") {
    resp.send().flush();
    return;
  }
  if (ex.HasFault(FaultKind::kContentLength)) {
    if (auto write = SendFaultyLengthHead(ex)) blob.produce(first, length, write);
    return;
  }
  if (ex.HasFault(FaultKind::kShortBody) || ex.HasFault(FaultKind::kReset)) {
    AbortAfterBody(ex, ex.HasFault(FaultKind::kReset));
    length /= 2;
  }
  BodyWriter body(ex, resp.send());
  if (ex.HasFault(FaultKind::kDrip)) {
    Dripper drip(ex.fault.rule.rate);
    auto piece = [&body](std::string_view p) {
      body.Write(p);
      body.Flush();
      return body.ok();
    };
    blob.produce(first, length, [&](std::string_view s) { return drip.Send(s, piece); });
  } else {
    blob.produce(first, length, [&body](std::string_view s) { return body.Write(s); });
  }
  body.Flush();
}

// Pieces [offset, offset + length) of a report generated on the fly.
Producer ReportProducer(const Dataset& data, ReportJob job) {
  return [&data, job = std::move(job)](std::uint64_t offset, std::uint64_t length,
                                       const ByteSinkFn& sink) {
    std::uint64_t pos = 0;
    WriteReport(data, job, [&](std::string_view s) {
      const std::uint64_t begin = pos, end = pos + s.size();
      pos = end;
      if (end <= offset) return true;
      const std::uint64_t from = std::max(begin, offset) - begin;
      const std::uint64_t stop = std::min<std::uint64_t>(end, offset + length);
      if (stop > begin + from && !sink(s.substr(from, stop - begin - from))) return false;
      return end < offset + length;
    });
  };
}

std::optional<util::TimePoint> ParseCompact(const std::string& s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  auto t =
      util::ParseTimestamp(s.substr(0, 4) + "-" + s.substr(4, 2) + "-" + s.substr(6, 2) + "T" +
                           s.substr(9, 2) + ":" + s.substr(11, 2) + ":" + s.substr(13, 2) + "Z");
  return t.ok() ? std::optional(*t) : std::nullopt;
}

bool CheckSas(Exchange& ex) {
  std::string detail;
  const SasVerdict v = ex.ctx.sas.Verify(ex.path, ex.query, ex.ctx.clock.Now(), &detail);
  if (v == SasVerdict::kOk) return true;
  SendBlobError(ex, 403, "AuthenticationFailed",
                "Server failed to authenticate the request. Make sure the value of Authorization "
                "header is formed correctly including the signature.",
                detail);
  return false;
}

void ReportBlob(Exchange& ex) {
  if (!CheckSas(ex)) return;
  const std::string& file = ex.params.at(1);
  const auto slot = file.size() > 4 ? ParseCompact(file.substr(0, file.size() - 4)) : std::nullopt;
  std::optional<ReportJob> job;
  if (slot) {
    std::lock_guard lock(ex.ctx.mu);
    auto it = ex.ctx.state.schedules.end();
    try {
      it = ex.ctx.state.schedules.find(std::stoll(ex.params.at(0)));
    } catch (const std::exception&) {
    }
    if (it != ex.ctx.state.schedules.end()) {
      std::int64_t template_id = it->second.template_id;
      for (const auto& r : it->second.past_runs) {
        if (r.slot == *slot) template_id = r.template_id;
      }
      const TemplateVersion* v = ex.ctx.state.TemplateAt(template_id, *slot);
      auto spec = v ? ParseTemplate(nlohmann::json::parse(v->json))
                    : util::Result<TemplateSpec>(util::BadDataError("gone"));
      if (spec.ok()) {
        const Settings& s = ex.settings;
        job = ReportJob{*spec,
                        it->first,
                        *slot,
                        s.rows_per_execution,
                        s.cab_every_hours,
                        {s.delimiter, s.bom, s.crlf, s.quote_all}};
        job->hostile_ids = ex.HasFault(FaultKind::kHostileIds);
        if (ex.HasFault(FaultKind::kLongField)) job->long_field = ex.fault.rule.bytes;
      }
    }
  }
  if (!job) return SendBlobError(ex, 404, "BlobNotFound", "The specified blob does not exist.");
  const util::TimePoint modified = *slot;
  Serve(ex, {"text/plain; charset=utf-8", modified, std::nullopt,
             ReportProducer(ex.ctx.dataset, std::move(*job))});
}

void CabBlob(Exchange& ex) {
  if (!CheckSas(ex)) return;
  const std::string& file = ex.params.at(0);
  const auto cab = file.size() > 4 ? ex.ctx.dataset.DecodeCabIdHash(file.substr(0, file.size() - 4))
                                   : std::nullopt;
  const util::TimePoint now = ex.ctx.clock.Now();
  if (!cab || now > Dataset::CabExpiration(*cab) || cab->collected > now)
    return SendBlobError(ex, 404, "BlobNotFound", "The specified blob does not exist.");
  const std::string id = ex.ctx.dataset.CabIdHash(*cab);
  const FailureInfo& f = ex.ctx.dataset.failures()[cab->failure];
  const std::string text = "hdc-emulator synthetic crash data\r\nCabIdHash: " + id +
                           "\r\nFailureHash: " + f.hash + "\r\nFailureName: " + f.name +
                           "\r\nCollected: " + DataTime(cab->collected) + "\r\n\r\n";
  auto cab_file = std::make_shared<CabFile>("WER." + id.substr(0, 8) + ".txt", text,
                                            Hash({ex.ctx.options.seed, HashText(id)}),
                                            ex.settings.cab_size, cab->collected);
  Producer produce = [cab_file](std::uint64_t offset, std::uint64_t length,
                                const ByteSinkFn& sink) {
    std::string buffer;
    const std::uint64_t end = std::min(cab_file->size(), offset + length);
    for (std::uint64_t pos = offset; pos < end;) {
      const std::uint64_t n = std::min(kChunk, end - pos);
      buffer.resize(n);
      cab_file->Read(pos, n, buffer.data());
      if (!sink(buffer)) return;
      pos += n;
    }
  };
  Serve(ex, {"application/vnd.ms-cab-compressed", cab->collected, cab_file->size(), produce});
}

}  // namespace

void RegisterBlobRoutes(Router& router) {
  router.Add(
      {"GET", "/drivers/Reports/{id}/{file}", "blob.report", HostKind::kBlob, false, ReportBlob});
  router.Add({"GET", "/drivers/Cabs/{file}", "blob.cab", HostKind::kBlob, false, CabBlob});
}

}  // namespace hdc::emulator
