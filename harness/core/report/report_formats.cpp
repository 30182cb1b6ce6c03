#include "core/report/json_report.hpp"
#include "core/report/report_format.hpp"

namespace memgate {

namespace {

class JsonFormat : public ReportFormat {
 public:
  std::string file_name() const override { return "report.json"; }
  std::string render(const ReportContext& c) const override {
    return report_to_json(c.report).dump(1) + "\n";
  }
};

}  // namespace

std::unique_ptr<ReportFormat> make_json_format() { return std::make_unique<JsonFormat>(); }

std::vector<std::unique_ptr<ReportFormat>> all_report_formats() {
  std::vector<std::unique_ptr<ReportFormat>> formats;
  formats.push_back(make_json_format());
  formats.push_back(make_markdown_format());
  formats.push_back(make_junit_format());
  formats.push_back(make_html_format());
  return formats;
}

}  // namespace memgate
