// Deterministic Microsoft Cabinet files (MS-CAB): one folder, one file,
// uncompressed CFDATA blocks, no checksums (csum 0 is allowed by the format),
// padded to a requested total size. Any byte range can be produced without
// building the whole file, so a 1 GiB cab streams in constant memory.
// Immutable after construction; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "util/clock.h"

namespace hdc::emulator {

class CabFile {
 public:
  // `text` opens the contained file; the rest of it is filler derived from
  // `salt`. The total size is `size`, raised to the smallest possible cab
  // holding the text, and capped at what one folder can hold (~2 GiB).
  CabFile(std::string file_name, std::string text, std::uint64_t salt, std::uint64_t size,
          util::TimePoint stamp);

  std::uint64_t size() const { return total_; }
  // Copies bytes [offset, offset + length) of the cab into out.
  void Read(std::uint64_t offset, std::uint64_t length, char* out) const;

 private:
  std::string Header() const;
  // Byte i of the contained file.
  void FileBytes(std::uint64_t from, std::uint64_t length, char* out) const;
  void BlockBytes(std::uint64_t block, std::uint64_t from, std::uint64_t length, char* out) const;
  std::uint64_t BlockStart(std::uint64_t block) const;  // of its 8-byte header, in the cab
  std::uint64_t BlockDataSize(std::uint64_t block) const;

  std::string name_, text_, filler_;
  std::string filler_run_;  // filler_ repeated, so long stretches copy in one piece
  std::string header_;      // CFHEADER + CFFOLDER + CFFILE
  std::uint64_t blocks_ = 1, file_size_ = 0, total_ = 0, base_ = 0, extra_ = 0;
  std::uint16_t dos_date_ = 0, dos_time_ = 0;
};

}  // namespace hdc::emulator
