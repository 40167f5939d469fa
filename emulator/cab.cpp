#include "emulator/cab.h"

#include <algorithm>
#include <cstring>

#include "emulator/hash.h"

namespace hdc::emulator {
namespace {

constexpr std::uint64_t kMaxBlock = 32768;
constexpr std::uint64_t kMaxBlocks = 65535;
constexpr std::uint64_t kBlockHeader = 8;

void Put16(std::string& s, std::uint16_t v) {
  s += static_cast<char>(v & 0xff);
  s += static_cast<char>(v >> 8);
}
void Put32(std::string& s, std::uint32_t v) {
  Put16(s, static_cast<std::uint16_t>(v & 0xffff));
  Put16(s, static_cast<std::uint16_t>(v >> 16));
}

}  // namespace

CabFile::CabFile(std::string file_name, std::string text, std::uint64_t salt, std::uint64_t size,
                 util::TimePoint stamp)
    : name_(std::move(file_name)), text_(std::move(text)) {
  for (int i = 0; i < 4; ++i) {
    std::uint64_t h = Hash({salt, std::uint64_t(i)});
    for (int j = 0; j < 15; ++j, h >>= 4) filler_ += "0123456789abcdef"[h & 15];
  }
  filler_ += "\r\n";  // 62-byte filler lines
  while (filler_run_.size() < 64 * 1024) filler_run_ += filler_;
  const std::uint64_t fixed = 36 + 8 + 16 + name_.size() + 1;
  const std::uint64_t min_total = fixed + kBlockHeader + text_.size();
  const std::uint64_t max_total = fixed + kMaxBlocks * (kMaxBlock + kBlockHeader);
  total_ = std::clamp<std::uint64_t>(size, min_total, max_total);
  blocks_ = (total_ - fixed + kMaxBlock + kBlockHeader - 1) / (kMaxBlock + kBlockHeader);
  file_size_ = total_ - fixed - kBlockHeader * blocks_;
  base_ = file_size_ / blocks_;
  extra_ = file_size_ % blocks_;  // the first `extra_` blocks hold one more byte
  const auto days = std::chrono::floor<std::chrono::days>(stamp);
  const std::chrono::year_month_day ymd{days};
  const std::chrono::hh_mm_ss hms{stamp - days};
  dos_date_ = static_cast<std::uint16_t>(((int(ymd.year()) - 1980) << 9) |
                                         (unsigned(ymd.month()) << 5) | unsigned(ymd.day()));
  dos_time_ = static_cast<std::uint16_t>(
      (hms.hours().count() << 11) | (hms.minutes().count() << 5) | (hms.seconds().count() / 2));
  header_ = Header();
}

std::string CabFile::Header() const {
  std::string h;
  h += "MSCF";
  Put32(h, 0);                                   // reserved1
  Put32(h, static_cast<std::uint32_t>(total_));  // cbCabinet
  Put32(h, 0);                                   // reserved2
  Put32(h, 36 + 8);                              // coffFiles
  Put32(h, 0);                                   // reserved3
  h += '\x03';                                   // versionMinor
  h += '\x01';                                   // versionMajor
  Put16(h, 1);                                   // cFolders
  Put16(h, 1);                                   // cFiles
  Put16(h, 0);                                   // flags
  Put16(h, 0x1234);                              // setID
  Put16(h, 0);                                   // iCabinet
  const std::uint64_t data_start = 36 + 8 + 16 + name_.size() + 1;
  Put32(h, static_cast<std::uint32_t>(data_start));  // CFFOLDER.coffCabStart
  Put16(h, static_cast<std::uint16_t>(blocks_));     // cCFData
  Put16(h, 0);                                       // typeCompress: none
  Put32(h, static_cast<std::uint32_t>(file_size_));  // CFFILE.cbFile
  Put32(h, 0);                                       // uoffFolderStart
  Put16(h, 0);                                       // iFolder
  Put16(h, dos_date_);
  Put16(h, dos_time_);
  Put16(h, 0x20);  // attribs: archive
  h += name_;
  h += '\0';
  return h;
}

std::uint64_t CabFile::BlockDataSize(std::uint64_t block) const {
  return base_ + (block < extra_ ? 1 : 0);
}

std::uint64_t CabFile::BlockStart(std::uint64_t block) const {
  return header_.size() + block * (kBlockHeader + base_) + std::min(block, extra_);
}

void CabFile::FileBytes(std::uint64_t from, std::uint64_t length, char* out) const {
  while (length > 0) {
    if (from < text_.size()) {
      const std::uint64_t n = std::min<std::uint64_t>(length, text_.size() - from);
      std::memcpy(out, text_.data() + from, n);
      out += n, from += n, length -= n;
      continue;
    }
    const std::uint64_t pos = (from - text_.size()) % filler_.size();
    const std::uint64_t n = std::min<std::uint64_t>(length, filler_run_.size() - pos);
    std::memcpy(out, filler_run_.data() + pos, n);
    out += n, from += n, length -= n;
  }
}

void CabFile::BlockBytes(std::uint64_t block, std::uint64_t from, std::uint64_t length,
                         char* out) const {
  const std::uint64_t data = BlockDataSize(block);
  std::string head;
  Put32(head, 0);  // csum: none
  Put16(head, static_cast<std::uint16_t>(data));
  Put16(head, static_cast<std::uint16_t>(data));
  while (length > 0 && from < kBlockHeader) {
    *out++ = head[from++];
    --length;
  }
  if (length == 0) return;
  const std::uint64_t file_offset = block * base_ + std::min(block, extra_) + (from - kBlockHeader);
  FileBytes(file_offset, length, out);
}

void CabFile::Read(std::uint64_t offset, std::uint64_t length, char* out) const {
  while (length > 0 && offset < header_.size()) {
    *out++ = header_[offset++];
    --length;
  }
  if (length == 0) return;
  // Find the block holding `offset` (blocks before extra_ are one byte longer).
  const std::uint64_t long_span = extra_ * (kBlockHeader + base_ + 1);
  const std::uint64_t rel = offset - header_.size();
  std::uint64_t block = rel < long_span ? rel / (kBlockHeader + base_ + 1)
                                        : extra_ + (rel - long_span) / (kBlockHeader + base_);
  while (length > 0 && block < blocks_) {
    const std::uint64_t start = BlockStart(block);
    const std::uint64_t end = start + kBlockHeader + BlockDataSize(block);
    const std::uint64_t n = std::min(length, end - offset);
    BlockBytes(block, offset - start, n, out);
    out += n, offset += n, length -= n, ++block;
  }
}

}  // namespace hdc::emulator
