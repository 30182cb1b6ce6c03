// memgate: a load-test harness and memory regression gate. Arguments in, exit code out.

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/build_info.hpp"
#include "cli/commands.hpp"
#include "core/model/errors.hpp"
#include "runtime/process/interrupt.hpp"

int main(int argc, char** argv) {
  using namespace memgate;
  interrupt::install();
  CLI::App app{"memgate: load-test harness and memory regression gate"};
  app.set_version_flag("--version", cli::version_text());
  app.require_subcommand(1);
  cli::Selected selected;
  cli::add_validate_command(app, selected);
  cli::add_watch_command(app, selected);
  cli::add_run_command(app, selected);
  cli::add_check_command(app, selected);
  cli::add_baseline_command(app, selected);
  cli::add_compare_command(app, selected);
  cli::add_trend_command(app, selected);
  cli::add_ab_command(app, selected);
  cli::add_merge_command(app, selected);
  cli::add_explain_command(app, selected);
  cli::add_init_command(app, selected);
  cli::add_project_command(app, selected);
  cli::add_metrics_command(app, selected);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : to_int(ExitCode::bad_input);
  }
  try {
    return to_int(selected());
  } catch (const Error& e) {
    cli::print_error(e);
    return to_int(e.code());
  } catch (const std::exception& e) {
    cli::print_error(e);
    return to_int(ExitCode::run_failed);
  }
}
