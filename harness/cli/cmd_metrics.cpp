// memgate metrics: every metric memgate measures, from its metric table: name, unit, the
// direction in which it gets better, its gate rule's keys and default rule, what a scenario needs
// to measure it, and what it is. Markdown (docs/metrics.md holds this table).

#include <memory>

#include "cli/commands.hpp"
#include "cli/console.hpp"
#include "core/metrics/metric_table.hpp"

namespace memgate::cli {

void add_metrics_command(CLI::App& app, Selected& selected) {
  CLI::App* cmd = app.add_subcommand("metrics", "Every metric: unit, gate rule keys, defaults");
  cmd->callback([&selected] {
    selected = [] {
      print("{}", metric_table_markdown());
      return ExitCode::ok;
    };
  });
}

}  // namespace memgate::cli
