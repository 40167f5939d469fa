// Server error responses -> error kinds, with the endpoint and the server's
// own words in one line:
//   401, 403          -> kAuth        ("token refused", "app not enabled")
//   429, 5xx          -> kUnavailable (after the retries of http/retry.h)
//   other 4xx         -> kBadData     (the server refused what we sent, or
//                                      does not know the id)
// The server's message is taken from the HDC envelope's errors, the Store
// analytics shape (code, message, innererror), Azure AD's error and
// error_description, or Azure blob XML (<Code>, <Message>); it is cut to
// 300 characters and redacted.
#pragma once

#include <string_view>

#include "util/result.h"

namespace hdc::api {

util::Status ErrorFromResponse(std::string_view method, std::string_view path, int status,
                               std::string_view body);

// The server's message alone ("" when the body says nothing useful).
std::string ServerMessage(std::string_view body);

}  // namespace hdc::api
