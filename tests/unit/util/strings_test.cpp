#include "util/strings.h"

#include <doctest/doctest.h>

namespace hdc::util {
namespace {

TEST_CASE("case-insensitive equality and lower case are ASCII only") {
  CHECK(EqualsIgnoreCase("Content-MD5", "content-md5"));
  CHECK_FALSE(EqualsIgnoreCase("abc", "abcd"));
  CHECK_FALSE(EqualsIgnoreCase("ä", "Ä"));
  CHECK(ToLower("DeviceId-42") == "deviceid-42");
}

TEST_CASE("Trim drops leading and trailing whitespace only") {
  CHECK(Trim("  IHVDriver\t") == "IHVDriver");
  CHECK(Trim(" \t\n\v\f\rx y\r\n") == "x y");
  CHECK(Trim("a  b") == "a  b");
  CHECK(Trim(" \t ").empty());
  CHECK(Trim("").empty());
  // Only ASCII whitespace: a no-break space (U+00A0) is kept.
  CHECK(Trim("\xc2\xa0x") == "\xc2\xa0x");
  // A view into the argument, not a copy.
  const std::string padded = "  id ";
  CHECK(Trim(padded).data() == padded.data() + 2);
}

TEST_CASE("percent-encoding keeps only unreserved characters") {
  CHECK(PercentEncode("a-b_c.d~e") == "a-b_c.d~e");
  CHECK(PercentEncode("s3cr&t= /+") == "s3cr%26t%3D%20%2F%2B");
  CHECK(PercentEncode("https://x") == "https%3A%2F%2Fx");
  CHECK(PercentEncode("\xff") == "%FF");
}

// S12 in docs/reliability.md: what a hostile server sent, as the attack
// printed it raw, and as it must be shown.
TEST_CASE("Printable escapes every terminal control and cuts long text") {
  // The control: plain text, UTF-8 and Windows paths pass unchanged.
  CHECK(Printable("report 42: HTTP 503 (Service Unavailable)") ==
        "report 42: HTTP 503 (Service Unavailable)");
  CHECK(Printable("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") ==
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  CHECK(Printable("C:\\ProgramData\\hdc-reportd") == "C:\\ProgramData\\hdc-reportd");
  // An error_description holding ESC [31m.
  CHECK(Printable("bad \x1b[31mred\x1b[0m") == "bad \\x1b[31mred\\x1b[0m");
  CHECK(Printable(std::string("nul\0bs\bdel\x7f", 11)) == "nul\\x00bs\\x08del\\x7f");
  // One line: breaks and tabs are spaces, unless kept for a CSV cell.
  CHECK(Printable("a\r\nb\tc") == "a  b c");
  CHECK(Printable("a\r\nb\tc", kNoCap, true) == "a\r\nb\tc");
  CHECK(Printable("\x1b\n", kNoCap, true) == "\\x1b\n");
  // C1 (U+009B is CSI on some terminals) and bidirectional controls.
  CHECK(Printable("a\xc2\x9b"
                  "31mb") == "a\\xc2\\x9b31mb");
  CHECK(Printable("cab \xe2\x80\xae"
                  "bac.exe") == "cab \\u{202e}bac.exe");
  CHECK(Printable("\xe2\x81\xa6x\xe2\x81\xa9\xe2\x80\x8f") == "\\u{2066}x\\u{2069}\\u{200f}");
  // Bytes that are not UTF-8: stray, overlong, a surrogate, cut short.
  CHECK(Printable("\xff\xfe") == "\\xff\\xfe");
  CHECK(Printable("\xc0\xaf") == "\\xc0\\xaf");
  CHECK(Printable("\xed\xa0\x80") == "\\xed\\xa0\\x80");
  CHECK(Printable("ok\xe2\x82") == "ok\\xe2\\x82");
  // The cap counts characters of input, then "…".
  const std::string id(4096, 'a');
  const std::string shown = Printable(id, kShownChars);
  CHECK(shown == std::string(200, 'a') + "\xe2\x80\xa6");
  CHECK(Printable("\xc3\xa9\xc3\xa9\xc3\xa9", 2) == "\xc3\xa9\xc3\xa9\xe2\x80\xa6");
  CHECK(Printable("abc", 3) == "abc");
  CHECK(OneLine("x\ny\x1b") == "x y\\x1b");
}

TEST_CASE("Wipe zeroes every character of a string and keeps its size") {
  std::string secret = "s3cr3t-value";
  const char* before = secret.data();
  Wipe(secret);
  CHECK(secret.data() == before);  // in place, not a new buffer
  CHECK(secret == std::string(12, '\0'));
  char buffer[] = "abcdef";
  WipeBytes(buffer + 1, 3);
  CHECK(std::string(buffer, 6) == std::string("a\0\0\0ef", 6));
}

}  // namespace
}  // namespace hdc::util
