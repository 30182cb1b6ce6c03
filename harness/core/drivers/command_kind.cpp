// The command "driver": no load of memgate's; the SUT runs to completion and its whole life is the
// load phase (a test suite, a batch job), as in `mprof run`.

#include "core/drivers/driver_kind.hpp"

namespace memgate {

namespace {

class CommandKind : public DriverKind {
 public:
  std::string_view name() const override { return "command"; }

  DriverSpec parse(ObjectReader&, const DriverParseContext&) const override {
    return CommandDriverSpec{};
  }

  DriverTraits traits(const DriverSpec&) const override {
    DriverTraits t;
    t.has_operations = false;
    t.has_latency = false;
    t.has_idle_and_cooldown = false;
    t.one_shot = true;
    return t;
  }
};

}  // namespace

const DriverKind& command_kind() {
  static const CommandKind kKind;
  return kKind;
}

}  // namespace memgate
