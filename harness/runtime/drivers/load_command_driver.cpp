#include "runtime/drivers/load_command_driver.hpp"

#include <fmt/format.h>

#include "core/drivers/load_output.hpp"
#include "core/model/errors.hpp"

namespace memgate {

namespace {

// Lines of the command's stdout kept for the parser (a wrk summary is ~15, a redis-benchmark
// --csv run one per test).
constexpr std::size_t kStdoutLines = 200;
// How often the lists' lengths are read while a drain is awaited.
constexpr auto kQueueLengthPoll = std::chrono::milliseconds(20);

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

}  // namespace

LoadCommandDriver::LoadCommandDriver(const LoadCommandDriverSpec& spec, const PhasesSpec& phases)
    : spec_(spec), phases_(phases) {}

LoadCommandDriver::~LoadCommandDriver() = default;

void LoadCommandDriver::connect() {
  if (spec_.drain) redis_ = std::make_unique<RedisConnection>("127.0.0.1", spec_.drain->port, "");
}

void LoadCommandDriver::launch(const std::string& phase, double phase_s) {
  if (!launcher_) throw std::logic_error("LoadCommandDriver: no launcher attached");
  auto s = std::make_unique<Started>();
  s->phase = phase;
  s->role.name = "load";
  s->role.command = spec_.command;
  for (auto& arg : s->role.command) {
    replace_all(arg, "{load_s}", fmt::format("{}", phase_s));
    if (phases_.load_ops) replace_all(arg, "{ops}", std::to_string(*phases_.load_ops));
  }
  s->role.env = spec_.env;
  s->role.cwd = spec_.cwd;
  s->role.stop_grace_s = spec_.stop_grace_s;
  s->started_at = launcher_->now();
  s->process =
      &launcher_->launch(s->role, phase == "warmup" ? "load-warmup" : "load", kStdoutLines);
  started_.push_back(std::move(s));
}

void LoadCommandDriver::start(Clock::time_point /*deadline*/) {
  const double load_s = phases_.load_s.value_or(phases_.load_timeout_s);
  if (spec_.once) {
    launch("warmup and load", phases_.warmup_s + load_s);
  } else if (load_begun_) {
    launch("load", load_s);
  } else {
    launch("warmup", phases_.warmup_s);
  }
}

void LoadCommandDriver::begin_load(std::optional<std::int64_t> op_limit) {
  load_begun_ = true;
  op_limit_ = op_limit;
  if (started_.empty() || spec_.once) return;  // start() comes next, or the one command goes on
  stop_current();
  launch("load", phases_.load_s.value_or(phases_.load_timeout_s));
}

void LoadCommandDriver::stop_current() {
  if (started_.empty()) return;
  Started& current = *started_.back();
  if (!current.process->exit_info()) current.stopped = true;
  current.process->stop(spec_.stop_grace_s);
}

std::optional<ExitInfo> LoadCommandDriver::own_exit() const {
  if (started_.empty()) return std::nullopt;
  const Started& current = *started_.back();
  if (current.stopped) return std::nullopt;
  const auto exit = current.process->exit_info();
  if (exit && !current.exited_at) current.exited_at = launcher_->now();
  return exit;
}

bool LoadCommandDriver::finished() const {
  const auto exit = own_exit();
  return exit && exit->exited_normally() && exit->exit_code() == 0;
}

std::optional<Driver::Clock::time_point> LoadCommandDriver::work_done_at() const {
  if (!finished()) return std::nullopt;
  const Started& current = *started_.back();
  if (current.done_at || !spec_.drain) return current.done_at ? current.done_at : current.exited_at;
  const auto now = launcher_->now();
  if (problem_ || now < next_poll_) return std::nullopt;
  next_poll_ = now + kQueueLengthPoll;
  try {
    if (queue_length(*redis_, spec_.drain->queue_names) == 0) current.done_at = now;
  } catch (const RunError& e) {
    problem_ = fmt::format(
        "lost the connection to the Redis of the service '{}' while waiting "
        "for its lists to drain: {}",
        spec_.drain->redis_service, e.what());
  }
  return current.done_at;
}

bool LoadCommandDriver::warmup_done() const {
  return !load_begun_ && work_done_at();
}

std::optional<Driver::Clock::time_point> LoadCommandDriver::limit_reached_at() const {
  if (!load_begun_) return std::nullopt;
  return work_done_at();
}

double LoadCommandDriver::overrun_s() const {
  return spec_.parser == LoadParser::none ? 0 : spec_.overrun_s;
}

std::optional<std::string> LoadCommandDriver::fatal() const {
  if (problem_) return problem_;
  const auto exit = own_exit();
  if (!exit || (exit->exited_normally() && exit->exit_code() == 0)) return std::nullopt;
  return fmt::format("the load command {} during the {} phase", exit->describe(),
                     started_.back()->phase);
}

void LoadCommandDriver::parse_output(const Started& load, DriverReport& report) const {
  const auto read = read_load_output(spec_.parser, load.role.command, load.process->stdout_tail());
  if (const auto* problem = std::get_if<std::string>(&read)) {
    report.problems.push_back(*problem);
    return;
  }
  const auto& output = std::get<LoadOutput>(read);
  report.ops = output.ops;
  report.errors = output.errors;
  report.latency_summary = output.latency;
  report.details["output"] = output.details;
  if (output.errors > 0) {
    report.first_failure = fmt::format("the {} parser counted {} error(s)",
                                       load_parser_name(spec_.parser), output.errors);
  }
  if (op_limit_ && output.ops < *op_limit_) {
    report.problems.push_back(fmt::format(
        "the load command reported {} of the {} operations asked (phases.load_ops, given as "
        "{{ops}})",
        output.ops, *op_limit_));
  }
}

// The jobs still queued when the load phase ended though the load command had finished: the SUT
// did not do the work, so no figure of the run may count it.
std::int64_t LoadCommandDriver::undrained_jobs() const {
  if (problem_) return 0;  // the connection is gone: that problem is the run's
  try {
    return queue_length(*redis_, spec_.drain->queue_names);
  } catch (const RunError& e) {
    problem_ = fmt::format(
        "lost the connection to the Redis of the service '{}' while reading its lists' "
        "lengths: {}",
        spec_.drain->redis_service, e.what());
    return 0;
  }
}

std::string LoadCommandDriver::undrained_problem(const Started& load, std::int64_t undrained,
                                                 std::optional<std::int64_t> enqueued) const {
  const std::string done =
      enqueued ? fmt::format("the SUT finished {} of the {} jobs the load command reported",
                             std::max<std::int64_t>(0, *enqueued - undrained), *enqueued)
               : std::string("the SUT had not finished the load command's jobs");
  return fmt::format(
      "{}; {} still queued in {} when the {} phase ended{}: the SUT is slower than the load "
      "(a run is valid only when the work it counts was done; give the SUT more time with "
      "{}, or fewer jobs)",
      done, undrained, fmt::join(spec_.drain->queue_names, ", "), load.phase,
      overrun_s() > 0 ? fmt::format(" (and overrun_s, {} s)", overrun_s()) : std::string(),
      phases_.load_ops ? "load_timeout_s" : "load_s");
}

DriverReport LoadCommandDriver::stop() {
  DriverReport report;
  const Started* load = started_.empty() || !load_begun_ ? nullptr : started_.back().get();
  const bool load_finished = load && finished();
  const bool awaiting_drain = load_finished && spec_.drain && !load->done_at;
  const std::int64_t undrained = awaiting_drain ? undrained_jobs() : 0;
  // The lists emptied after the last look: the work was done by now.
  if (awaiting_drain && undrained == 0 && !problem_) load->done_at = launcher_->now();
  stop_current();
  nlohmann::json commands = nlohmann::json::array();
  for (const auto& s : started_) {
    commands.push_back(
        {{"phase", s->phase}, {"command", s->role.command}, {"stopped_by_memgate", s->stopped}});
  }
  report.details["commands"] = commands;
  if (undrained > 0) {
    report.details["undrained_jobs"] = undrained;
  } else if (awaiting_drain && problem_) {
    report.problems.push_back(*problem_);  // whether the work was done cannot be told
  }
  if (!load || spec_.parser == LoadParser::none) {
    if (undrained > 0) report.problems.push_back(undrained_problem(*load, undrained));
    return report;
  }
  report.details["parser"] = load_parser_name(spec_.parser);
  if (load_finished) {
    parse_output(*load, report);
    if (undrained > 0) {
      // Work the SUT did not do: the run is invalid, and its figures name what was done.
      report.problems.push_back(undrained_problem(
          *load, undrained, report.ops > 0 ? std::optional(report.ops) : std::nullopt));
      report.ops = std::max<std::int64_t>(0, report.ops - undrained);
    } else {
      report.ops_done_at = spec_.drain ? load->done_at : load->exited_at;
    }
    if (spec_.once) report.ops_started_at = load->started_at;
    return report;
  }
  // memgate stopped it: at the end of its phase and overrun_s, or as the run stopped.
  const double ran_s = std::chrono::duration<double>(launcher_->now() - load->started_at).count();
  report.problems.push_back(fmt::format(
      "the load command had not finished when memgate stopped it after {:.1f} s, so it printed "
      "nothing the {} parser could read: make it end within its phase ({{load_s}}: e.g. wrk "
      "-d{{load_s}}s), or raise overrun_s ({} s)",
      ran_s, load_parser_name(spec_.parser), spec_.overrun_s));
  return report;
}

}  // namespace memgate
