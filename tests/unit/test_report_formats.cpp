// Report formats: golden files (time and host injected by the fixture, not masked), escaping of
// hostile text, and the shape of each format.

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/metrics/per_unit.hpp"
#include "core/report/junit.hpp"
#include "core/report/report_format.hpp"
#include "core/report/svg_plot.hpp"
#include "core/report/xml_writer.hpp"
#include "core/shard/merged_report.hpp"
#include "support/report_fixture.hpp"

using namespace memgate;
using namespace memgate::test;

namespace {

// Compares with tests/data/golden/NAME. MEMGATE_UPDATE_GOLDEN=1 writes it instead (then review
// the diff with git). A mismatch leaves the rendering in the build folder for a diff.
void check_golden(const std::string& name, const std::string& actual) {
  const std::string path = std::string(MEMGATE_TEST_DATA) + "/golden/" + name;
  if (std::getenv("MEMGATE_UPDATE_GOLDEN")) {
    std::ofstream(path, std::ios::binary) << actual;
    WARN("updated " << path);
    return;
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream expected;
  expected << in.rdbuf();
  if (expected.str() != actual) {
    const std::string kept = std::string(MEMGATE_TEST_BINDIR) + "/../golden-actual-" + name;
    std::ofstream(kept, std::ios::binary) << actual;
    FAIL(name << " differs from its golden file; see `diff " << path << " " << kept
              << "`, and accept with MEMGATE_UPDATE_GOLDEN=1 if the change is intended");
  }
}

std::string render(const std::string& file, const ReportContext& context) {
  for (const auto& format : all_report_formats()) {
    if (format->file_name() == file) return format->render(context);
  }
  FAIL("no format writes " << file);
  return "";
}

}  // namespace

TEST_CASE("report formats: golden files of a check that regressed") {
  const Report report = fixture_report();
  const Baseline baseline = fixture_baseline();
  const Verdict verdict = fixture_verdict(report, baseline, fixture_gate());
  REQUIRE(verdict.status == VerdictStatus::regressed);
  const ReportContext context{report, &verdict, &baseline};
  check_golden("summary.md", render("summary.md", context));
  check_golden("junit.xml", render("junit.xml", context));
  check_golden("report.html", render("report.html", context));
}

TEST_CASE("report formats: golden files of a run without verdict") {
  const Report report = fixture_report();
  const ReportContext context{report, nullptr, nullptr};
  check_golden("run-summary.md", render("summary.md", context));
  check_golden("run-junit.xml", render("junit.xml", context));
}

TEST_CASE("report formats: golden page of memgate watch") {
  // A one-shot command: 30 MiB from its start-up on, held, one process, no warm-up.
  Report r = fixture_report("mg-test-sut", "memgate watch -- mg-test-sut --alloc-mib 30");
  r.driver = "command";
  r.runs.resize(1);
  RunRecord& run = r.runs[0];
  run.phases = {{"load", 0, 800}};
  run.samples.clear();
  for (int k = 0; k <= 8; ++k) {
    run.samples.push_back({k * 100.0, k == 0 ? 0 : k == 8 ? 0 : 30 * 1024 * 1024});
  }
  run.peak = {30 * 1024 * 1024, 31 * 1024 * 1024, 31 * 1024 * 1024, std::nullopt, true};
  run.metrics = compute_one_shot_metrics(run.samples, run.phases, 31 * 1024 * 1024);
  run.cpu.clear();
  run.services.clear();
  run.processes = {{4242, "sut", "mg-test-sut", "mg-test-sut --alloc-mib 30", 0, 700,
                    31 * 1024 * 1024, 30 * 1024 * 1024}};
  run.sut_exit = "exited with status 0";
  run.sut_exit_status = 0;
  r.summary = run.metrics;
  REQUIRE_FALSE(r.summary.growth_bytes_per_min);
  ReportContext context{r};
  context.watch = true;
  const std::string html = render("report.html", context);
  CHECK(html.find("id=\"processes\"") != std::string::npos);  // even of a single process
  check_golden("watch-report.html", html);
}

TEST_CASE("report formats: golden files of a sweep, gated per unit") {
  // Two rounds of 1000, 2000 and 4000 operations, interleaved; 5 KiB retained per operation.
  Report report = fixture_report();
  const RunRecord model = report.runs.front();
  report.runs.clear();
  const std::vector<double> values{1000, 2000, 4000};
  for (const std::size_t v : sweep_order(values.size(), 2)) {
    RunRecord run = model;
    run.index = static_cast<int>(report.runs.size()) + 1;
    run.sweep_value = values[v];
    run.metrics.retained_bytes =
        static_cast<std::int64_t>(5120 * values[v] + 4096 * (run.index % 3));
    run.metrics.residual_bytes = *run.metrics.idle_bytes + *run.metrics.retained_bytes;
    report.runs.push_back(run);
  }
  report.sweep = {{"key", "phases.load_ops"}, {"values", values}};
  report.summary = summarize(report.runs);
  Baseline baseline = fixture_baseline();
  baseline.per_unit["retained_bytes"] = *stats::fit_slope({1000, 2000, 4000, 1000, 2000, 4000},
                                                          {1e6, 2e6, 4e6, 1.01e6, 2.02e6, 4.04e6});
  GateSpec gate = fixture_gate();
  gate.per_unit = {{"retained_bytes", 4096, 50, 256}};
  const Verdict verdict = gate_report(report, gate, &baseline);
  const ReportContext context{report, &verdict, &baseline};
  check_golden("sweep-summary.md", render("summary.md", context));
  check_golden("sweep-junit.xml", render("junit.xml", context));
  const std::string html = render("report.html", context);
  CHECK_THAT(html, Catch::Contains("<section id=\"per-unit\">") &&
                       Catch::Contains("run 2 (phases.load_ops = 2000)") &&
                       Catch::Contains("median at phases.load_ops = 4000") &&
                       Catch::Contains("class=\"fit-band\""));
}

TEST_CASE("report formats: golden files of a merge of two shards, one missing") {
  ReportForGate read;
  read.report = fixture_report();
  const Baseline baseline = fixture_baseline();
  const Verdict verdict = fixture_verdict(read.report, baseline, fixture_gate());
  read.report.verdict = verdict_to_json(verdict);
  const std::string summary = render("summary.md", {read.report, &verdict, &baseline});
  MergePlan plan{"0.1.0", "check", 2, {}};
  plan.entries = {{"golden-scenario",
                   read.report.scenario_hash,
                   {1, 2},
                   "shard-1/golden-scenario/report.json",
                   read.report.created_at,
                   "",
                   ExitCode::run_failed},
                  {"lost-scenario",
                   "fedcba9876543210",
                   {2, 2},
                   "",
                   "",
                   "shard 2/2 is missing (no shard-2-of-2.json in the folders given)",
                   ExitCode::run_failed}};
  const std::vector<MergedScenario> merged{merged_scenario(plan.entries[0], read, summary),
                                           missing_scenario(plan.entries[1])};
  check_golden("merged-summary.md", merged_summary_md(plan, merged));
  check_golden("merged-verdict.json", merged_verdict_json(plan, merged).dump(1) + "\n");
  check_golden("merged-junit.xml", render_junit({merged[0].junit, merged[1].junit}));
  // The suite of the read-back report is the one its own junit.xml had.
  CHECK(render_junit({merged[0].junit}) == render("junit.xml", {read.report, &verdict, &baseline}));
}

TEST_CASE("report formats: every format is listed, report.json first") {
  const auto formats = all_report_formats();
  REQUIRE(formats.size() == 4);
  CHECK(formats[0]->file_name() == "report.json");
  CHECK(formats[1]->file_name() == "summary.md");
  CHECK(formats[2]->file_name() == "junit.xml");
  CHECK(formats[3]->file_name() == "report.html");
}

TEST_CASE("report formats: hostile text comes out escaped") {
  const std::string hostile_name = "<script>alert('x')</script> & \"q\"";
  Report report = fixture_report(hostile_name, "desc ]]> <!-- & \x01 bad \xff utf-8 <img src=x>");
  report.runs[1].valid = false;
  report.runs[1].problems = {"the SUT printed <b>bold</b> & died"};
  report.runs[1].log_tail = {"<script>evil()</script>", "\x1b[31mred\x1b[0m"};
  const Verdict verdict = fixture_verdict(report, fixture_baseline(), fixture_gate());
  const ReportContext context{report, &verdict, nullptr};
  for (const char* file : {"report.html", "junit.xml"}) {
    INFO(file);
    const std::string out = render(file, context);
    CHECK(out.find("<script>") == std::string::npos);
    CHECK(out.find("<img") == std::string::npos);
    CHECK(out.find("<b>") == std::string::npos);
    CHECK(out.find("&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; &amp; &quot;q&quot;") !=
          std::string::npos);
    CHECK(out.find('\x01') == std::string::npos);
    CHECK(out.find('\x1b') == std::string::npos);
    CHECK(out.find("\xff") == std::string::npos);
  }
  const std::string md = render("summary.md", context);
  CHECK(md.find("<script>") == std::string::npos);
  CHECK(md.find("&lt;script&gt;") != std::string::npos);
}

TEST_CASE("xml writer: escaping, nesting, and HTML-safe empty elements") {
  CHECK(xml_escape("a<b>&\"'") == "a&lt;b&gt;&amp;&quot;&apos;");
  CHECK(xml_escape("tab\tnew\nline") == "tab\tnew\nline");
  CHECK(xml_escape("bell\x07") == "bell\xEF\xBF\xBD");
  CHECK(xml_escape("\xc3\xa9t\xc3\xa9") == "\xc3\xa9t\xc3\xa9");  // UTF-8 kept
  CHECK(xml_escape("\xc3") == "\xEF\xBF\xBD");                     // cut short
  std::string xml_out, html_out;
  XmlWriter xml(xml_out), html(html_out, true);
  xml.start("a").attr("k", "v<").start("b").end().text("t").end();
  html.start("td").end();
  CHECK(xml_out == "<a k=\"v&lt;\"><b/>t</a>");
  CHECK(html_out == "<td></td>");
  CHECK(xml.open_elements() == 0);
  CHECK_THROWS(xml.end());
}

TEST_CASE("plot: long series keep each column's minimum and maximum") {
  Series s;
  for (int i = 0; i < 100'000; ++i) s.push_back({i * 1.0, i == 50'000 ? 999 : 1});
  const Series reduced = reduce_for_plot(s, 600);
  CHECK(reduced.size() <= 1200);
  CHECK(std::any_of(reduced.begin(), reduced.end(), [](const Sample& p) { return p.bytes == 999; }));
  CHECK(reduce_for_plot({{0, 1}, {1, 2}}, 600).size() == 2);
}
