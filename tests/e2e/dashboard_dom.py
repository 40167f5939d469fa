"""Reads a DOM that headless Chromium dumped of the dashboard page and prints
what tests/e2e/dashboard_browser_test.sh checks, as JSON: whether the script
rendered, the charts' canvases, the script elements, the totals, the trend
table (driver -> events), the top table (failure name, this week), each top
bucket's sparkline (hash -> its data-values and how many points it drew),
the retention horizon and whether the XSS canary is there as text."""
import json
import sys
from html.parser import HTMLParser


class Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.out = {"rendered": None, "canvases_in_uplot": 0, "scripts": 0, "meta_rows": None,
                    "trend": {}, "top": [], "sparklines": {}, "horizon": None,
                    "texts": []}
        self.stack = []       # open elements: (tag, attrs)
        self.table = None     # id of the table being read
        self.row = None       # cells of the row being read
        self.uplot_depth = 0
        self.row_hash = None  # data-hash of the top table's row being read

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.out["rendered"] = a.get("data-rendered")
        if tag == "script":
            self.out["scripts"] += 1
        if "uplot" in (a.get("class") or "").split():
            self.uplot_depth += 1
        if tag == "canvas" and self.uplot_depth:
            self.out["canvases_in_uplot"] += 1
        if a.get("id") == "meta":
            self.out["meta_rows"] = a.get("data-rows")
        if tag == "table":
            self.table = a.get("id")
        if tag == "tr":
            self.row = []
            self.row_hash = a.get("data-hash")
        if tag == "svg" and "spark" in (a.get("class") or "").split() and self.row_hash:
            self.out["sparklines"][self.row_hash] = {"values": a.get("data-values"), "points": 0}
        if tag == "polyline" and self.row_hash in self.out["sparklines"]:
            self.out["sparklines"][self.row_hash]["points"] = len((a.get("points") or "").split())
        if a.get("id") == "horizon":
            self.out["horizon"] = [a.get("data-oldest"), a.get("data-removed-by")]
        if tag == "td" and self.row is not None:
            self.row.append("")
        if tag not in ("br", "meta", "link", "input", "img", "canvas"):
            self.stack.append((tag, a))

    def handle_endtag(self, tag):
        while self.stack:
            t, a = self.stack.pop()
            if "uplot" in (a.get("class") or "").split():
                self.uplot_depth -= 1
            if t == tag:
                break
        if tag == "tr" and self.row:
            if self.table == "trend-table" and len(self.row) == 2:
                self.out["trend"][self.row[0]] = int(self.row[1])
            if self.table == "top-table" and len(self.row) == 6:
                self.out["top"].append([self.row[0], int(self.row[2])])
            self.row = None
        if tag == "table":
            self.table = None

    def handle_data(self, data):
        if self.row is not None and self.row:
            self.row[-1] += data
        self.out["texts"].append(data)


dom = Dom()
dom.feed(open(sys.argv[1], encoding="utf-8").read())
out = dom.out
out["xss_as_text"] = any("<script>alert(1)</script>" in t for t in out.pop("texts"))
print(json.dumps(out, sort_keys=True))
