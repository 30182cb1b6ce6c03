#pragma once

// The registry of load drivers: one entry per driver kind, with its name, its parser and what it
// can measure (its traits). The scenario parser, the gate's validation, the report reader and
// the reports read this registry; the runtime's driver factory (runtime/drivers/driver_factory)
// maps the same names to the objects that apply the load. A new driver is its spec header, one
// kind file here and one driver file in the runtime.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/drivers/driver_spec.hpp"
#include "core/model/json_reader.hpp"

namespace memgate {

// A Redis server the driver loads, whose own figures (INFO memory, queue lengths) memgate samples.
struct RedisTarget {
  std::string role;  // "sut", or the name of the service that runs it
  std::string host;
  int port = 0;
  std::string password_env;
  std::vector<std::string> queue_keys;  // sampled with LLEN: the backlog
};

// What a scenario with this driver can measure, and what it needs.
struct DriverTraits {
  bool has_operations = true;         // ops, throughput; false: the SUT's life is the load
  bool has_latency = true;            // latency per operation
  std::string no_latency_reason;      // why not, for people (when has_latency is false)
  bool has_latency_p95 = true;        // of which a 95th percentile (wrk prints 50, 75, 90, 99)
  // Operations are counted (ops, throughput, CPU per operation); false for a load command that
  // does not say what it did (no parser).
  bool counts_ops = true;
  // Operations are known as they complete; false: only when the load is over (a load command
  // prints what it did when it ends).
  bool live_ops = true;
  bool has_idle_and_cooldown = true;  // phases around the load
  // The SUT's whole life is the load phase (start-up, work, exit): a plateau and a growth rate
  // exist only after a warm-up that cuts the start-up off (compute_one_shot_metrics).
  bool one_shot = false;
  bool open_model = false;            // a target rate: throughput is not a result
  bool stdin_channel = false;         // the SUT's stdin and stdout are the driver's channel
  bool runs_load_processes = false;   // the driver starts processes (role `load`) to watch
  std::string op_unit = "operation";  // what one operation is, for people ("text", "job", ...)
  std::optional<RedisTarget> redis;   // a Redis whose own figures memgate samples
};

// What a driver's parser may need besides its own JSON object.
struct DriverParseContext {
  std::string scenario_dir;                  // relative paths are resolved against it
  bool allow_remote = false;                 // load targets other than loopback are allowed
  std::vector<std::string> service_names;    // the scenario's services, in start order
  std::map<std::string, int> service_ports;  // {port:NAME} of services that use one
};

class DriverKind {
 public:
  virtual ~DriverKind() = default;
  virtual std::string_view name() const = 0;
  // Reads the driver's object (`type` already read); throws InputError naming the JSON path.
  virtual DriverSpec parse(ObjectReader& r, const DriverParseContext& context) const = 0;
  // The traits of a spec of this kind.
  virtual DriverTraits traits(const DriverSpec& spec) const = 0;
};

// Every registered kind, in a stable order.
const std::vector<const DriverKind*>& driver_kinds();
std::vector<std::string> driver_kind_names();
// nullptr when no kind has that name.
const DriverKind* find_driver_kind(std::string_view name);
// The kind a spec belongs to.
const DriverKind& kind_of(const DriverSpec& spec);

std::string driver_type(const DriverSpec& spec);
DriverTraits driver_traits(const DriverSpec& spec);

// The kinds, defined one per file.
const DriverKind& redis_queue_kind();
const DriverKind& text_batch_kind();
const DriverKind& command_kind();
const DriverKind& load_command_kind();

}  // namespace memgate
