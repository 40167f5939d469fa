// The dashboard's HTML page, in its two forms (docs/operations.md §Dashboard):
// served by hdc-reportd's control listener, where its script and styles are
// separate files under /static/ and its data comes from /api/v1/*; or one
// self-contained file (hdc-reportctl report --html) carrying the data, the
// script and the styles inline, allowed by a Content-Security-Policy of
// their SHA-256 hashes and nothing else. Both share one body
// (daemon/dashboard/web/body.html) and one script, which inserts every value
// as text, never as markup. Pure functions of embedded data: thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace hdc::dashboard {

// The Content-Security-Policy of every dashboard answer of the control
// listener: nothing inline, nothing from anywhere but the listener.
inline constexpr std::string_view kServedCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

// GET /: the page linking /static/app.css, uplot.min.css, uplot.min.js and
// app.js; no inline script or style.
std::string ServedPage();

// The same page as one file: `bundle_json` (BundleJson) in a
// <script type="application/json" id="hdc-data"> block, the chart library,
// the page's script and styles inline, and a <meta> CSP that allows exactly
// those scripts and styles by hash; no address outside the file.
std::string SelfContainedPage(std::string_view bundle_json);

// JSON made safe inside a <script> element: '<', '>' and '&' as \u003c,
// \u003e, \u0026, and U+2028 and U+2029 escaped, so no value can end the
// element or open a comment. Still the same JSON to a parser.
std::string EscapeForScript(std::string_view json);

// "sha256-<base64>" of `text`, as a CSP source.
std::string CspHash(std::string_view text);

}  // namespace hdc::dashboard
