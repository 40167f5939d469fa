// The callback token: the secret path component of the control listener's
// callback URL (/callback/<token>), so only who was told the URL can post to
// it (docs/reliability.md §Security checklist, S10).
//
// The token lives in <state_dir>/callback-token (mode 0600): 32 lowercase hex
// characters, 128 bits from the operating system's CSPRNG, written on the
// first start and reused afterwards, so the URL registered elsewhere stays
// valid across restarts. Creation is atomic (a complete temp file hard-linked
// into place, which fails if the name exists), so two daemons starting at once
// agree on one token. Delete the file to rotate the token.
#pragma once

#include <string>
#include <string_view>

#include "util/result.h"

namespace hdc::service {

// Reads the token, or creates it when the file does not exist. A file that
// exists but does not hold a token (32 lowercase hex characters and an
// optional newline) is a kConfig error naming the file; a file readable by
// others is tightened to 0600 with a warning. I/O errors are kTemporary.
util::Result<std::string> LoadOrCreateCallbackToken(const std::string& state_dir);

// Equality in time that depends only on the lengths, not on where the first
// difference lies.
bool TokenEquals(std::string_view a, std::string_view b);

}  // namespace hdc::service
