#include "core/drivers/driver_kind.hpp"

namespace memgate {

const std::vector<const DriverKind*>& driver_kinds() {
  static const std::vector<const DriverKind*> kKinds = {&redis_queue_kind(), &text_batch_kind(),
                                                        &command_kind(), &load_command_kind()};
  return kKinds;
}

std::vector<std::string> driver_kind_names() {
  std::vector<std::string> names;
  for (const DriverKind* kind : driver_kinds()) names.emplace_back(kind->name());
  return names;
}

const DriverKind* find_driver_kind(std::string_view name) {
  for (const DriverKind* kind : driver_kinds()) {
    if (kind->name() == name) return kind;
  }
  return nullptr;
}

const DriverKind& kind_of(const DriverSpec& spec) {
  return std::visit(
      [](const auto& s) -> const DriverKind& {
        using T = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<T, RedisQueueDriverSpec>) return redis_queue_kind();
        if constexpr (std::is_same_v<T, TextBatchDriverSpec>) return text_batch_kind();
        if constexpr (std::is_same_v<T, CommandDriverSpec>) return command_kind();
        if constexpr (std::is_same_v<T, LoadCommandDriverSpec>) return load_command_kind();
      },
      spec);
}

std::string driver_type(const DriverSpec& spec) {
  return std::string(kind_of(spec).name());
}

DriverTraits driver_traits(const DriverSpec& spec) {
  return kind_of(spec).traits(spec);
}

}  // namespace memgate
