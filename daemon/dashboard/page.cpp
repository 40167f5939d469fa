#include "dashboard/page.h"

#include <sstream>
#include <stdexcept>

#include <Poco/Base64Encoder.h>
#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include "dashboard/assets.h"

namespace hdc::dashboard {
namespace {

std::string_view File(std::string_view name) {
  const EmbeddedFile* file = FindFile(name);
  if (file == nullptr) throw std::logic_error("dashboard: no embedded " + std::string(name));
  return file->body;
}

constexpr std::string_view kHeadStart =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<meta name=\"color-scheme\" content=\"light dark\">\n"
    "<meta name=\"referrer\" content=\"no-referrer\">\n"
    "<title>hdc-reportd: driver failures</title>\n";

}  // namespace

std::string ServedPage() {
  std::string page(kHeadStart);
  page +=
      "<link rel=\"stylesheet\" href=\"/static/uplot.min.css\">\n"
      "<link rel=\"stylesheet\" href=\"/static/app.css\">\n"
      "<script defer src=\"/static/uplot.min.js\"></script>\n"
      "<script defer src=\"/static/app.js\"></script>\n"
      "</head>\n<body>\n";
  page += File("body.html");
  page += "</body>\n</html>\n";
  return page;
}

std::string SelfContainedPage(std::string_view bundle_json) {
  const std::string styles =
      std::string(File("uplot.min.css")) + "\n" + std::string(File("app.css"));
  const std::string_view chart = File("uplot.min.js");
  const std::string_view app = File("app.js");
  std::string page(kHeadStart);
  page +=
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src '" +
      CspHash(chart) + "' '" + CspHash(app) + "'; style-src '" + CspHash(styles) +
      "'; img-src data:; base-uri 'none'; form-action 'none'\">\n";
  page += "<style>" + styles + "</style>\n</head>\n<body>\n";
  page += File("body.html");
  page += "<script type=\"application/json\" id=\"hdc-data\">" + EscapeForScript(bundle_json) +
          "</script>\n";
  page += "<script>" + std::string(chart) + "</script>\n";
  page += "<script>" + std::string(app) + "</script>\n";
  page += "</body>\n</html>\n";
  return page;
}

std::string EscapeForScript(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == '\xe2' && i + 2 < json.size() && json[i + 1] == '\x80' &&
               (json[i + 2] == '\xa8' || json[i + 2] == '\xa9')) {
      out += json[i + 2] == '\xa8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string CspHash(std::string_view text) {
  Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
  engine.update(text.data(), static_cast<unsigned>(text.size()));
  const Poco::DigestEngine::Digest& digest = engine.digest();
  std::ostringstream out;
  {
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder.write(reinterpret_cast<const char*>(digest.data()),
                  static_cast<std::streamsize>(digest.size()));
    encoder.close();
  }
  return "sha256-" + out.str();
}

}  // namespace hdc::dashboard
