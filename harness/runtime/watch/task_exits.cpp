#include "runtime/watch/task_exits.hpp"

#include <fmt/format.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/taskstats.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>

#include "runtime/process/interrupt.hpp"

namespace memgate {

namespace {

// Exits of a busy machine between two reads: the socket holds this much (root may force it).
constexpr int kReceiveBufferBytes = 8 << 20;
constexpr int kPollMs = 20;  // how soon the thread sees stop_

struct Request {
  nlmsghdr header;
  genlmsghdr genl;
  char attributes[256];
};

// A generic netlink request with one attribute; false when it cannot be sent.
bool send_request(int fd, std::uint16_t type, std::uint8_t cmd, std::uint16_t attribute,
                  const void* data, std::size_t size, bool ack) {
  Request r{};
  r.header.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
  r.header.nlmsg_type = type;
  r.header.nlmsg_flags = NLM_F_REQUEST | (ack ? NLM_F_ACK : 0);
  r.genl.cmd = cmd;
  r.genl.version = 1;
  if (NLA_HDRLEN + size > sizeof r.attributes) return false;
  auto* a =
      reinterpret_cast<nlattr*>(reinterpret_cast<char*>(&r) + NLMSG_ALIGN(r.header.nlmsg_len));
  a->nla_type = attribute;
  a->nla_len = static_cast<std::uint16_t>(NLA_HDRLEN + size);
  std::memcpy(reinterpret_cast<char*>(a) + NLA_HDRLEN, data, size);
  r.header.nlmsg_len = NLMSG_ALIGN(r.header.nlmsg_len) + NLA_ALIGN(a->nla_len);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  return ::sendto(fd, &r, r.header.nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel),
                  sizeof kernel) == static_cast<ssize_t>(r.header.nlmsg_len);
}

// Calls f(type, payload, size) for every attribute in [data, data + size).
template <typename F>
void for_each_attribute(const char* data, std::size_t size, F&& f) {
  while (size >= NLA_HDRLEN) {
    const auto* a = reinterpret_cast<const nlattr*>(data);
    if (a->nla_len < NLA_HDRLEN || a->nla_len > size) return;
    f(a->nla_type & NLA_TYPE_MASK, data + NLA_HDRLEN, a->nla_len - NLA_HDRLEN);
    const std::size_t step = std::min<std::size_t>(NLA_ALIGN(a->nla_len), size);
    data += step;
    size -= step;
  }
}

// The payload's attributes of a generic netlink message.
std::pair<const char*, std::size_t> genl_attributes(const nlmsghdr* m) {
  const char* start = reinterpret_cast<const char*>(NLMSG_DATA(m)) + GENL_HDRLEN;
  const std::size_t size = m->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
  return {start, size};
}

// Calls f(stats, size) for every task's statistics in [buffer, buffer + got) (messages of the
// family only: an error answers nothing); size is how many bytes of them the kernel sent.
template <typename F>
void for_each_taskstats(char* buffer, ssize_t got, int family, F&& f) {
  int left = static_cast<int>(got);
  for (auto* m = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(m, static_cast<unsigned>(left));
       m = NLMSG_NEXT(m, left)) {
    if (m->nlmsg_type != family) continue;
    const auto [attributes, size] = genl_attributes(m);
    for_each_attribute(attributes, size, [&](int type, const char* payload, std::size_t length) {
      if (type != TASKSTATS_TYPE_AGGR_PID) return;
      for_each_attribute(payload, length, [&](int inner, const char* data, std::size_t bytes) {
        if (inner != TASKSTATS_TYPE_STATS) return;
        taskstats stats{};
        std::memcpy(&stats, data, std::min(bytes, sizeof stats));
        f(stats, bytes);
      });
    });
  }
}

// The id of the TASKSTATS family, or 0 (errno set) when the kernel has none.
int resolve_family(int fd) {
  const char name[] = TASKSTATS_GENL_NAME;
  if (!send_request(fd, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, CTRL_ATTR_FAMILY_NAME, name, sizeof name,
                    false)) {
    return 0;
  }
  alignas(nlmsghdr) char buffer[8192];
  const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
  if (got <= 0) return 0;
  int family = 0;
  int left = static_cast<int>(got);
  for (auto* m = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(m, static_cast<unsigned>(left));
       m = NLMSG_NEXT(m, left)) {
    if (m->nlmsg_type == NLMSG_ERROR) {
      errno = -reinterpret_cast<nlmsgerr*>(NLMSG_DATA(m))->error;
      return 0;
    }
    const auto [attributes, size] = genl_attributes(m);
    for_each_attribute(attributes, size, [&](int type, const char* payload, std::size_t length) {
      if (type == CTRL_ATTR_FAMILY_ID && length >= 2) {
        std::uint16_t id = 0;
        std::memcpy(&id, payload, sizeof id);
        family = id;
      }
    });
  }
  if (family == 0) errno = ENOENT;
  return family;
}

// The kernel's answer to a request sent with NLM_F_ACK: 0, or its errno.
int read_ack(int fd) {
  alignas(nlmsghdr) char buffer[4096];
  const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
  if (got <= 0) return errno;
  const auto* m = reinterpret_cast<const nlmsghdr*>(buffer);
  if (!NLMSG_OK(m, static_cast<unsigned>(got)) || m->nlmsg_type != NLMSG_ERROR) return 0;
  return -reinterpret_cast<const nlmsgerr*>(NLMSG_DATA(m))->error;
}

std::string every_cpu() {
  return fmt::format("0-{}", std::max(0, ::get_nprocs_conf() - 1));
}

// A bound generic netlink socket, or -1 (why_not set).
int open_socket(std::string& why_not) {
  const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
  if (fd < 0) {
    why_not = fmt::format("no netlink socket: {}", std::strerror(errno));
    return -1;
  }
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    why_not = fmt::format("cannot bind a netlink socket: {}", std::strerror(errno));
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

std::unique_ptr<TaskExitFeed> TaskExitFeed::open(std::string& why_not) {
  const int fd = open_socket(why_not);
  if (fd < 0) return nullptr;
  const int family = resolve_family(fd);
  if (family == 0) {
    why_not = fmt::format("the kernel has no taskstats: {}", std::strerror(errno));
    ::close(fd);
    return nullptr;
  }
  const std::string cpus = every_cpu();
  const int refused =
      send_request(fd, static_cast<std::uint16_t>(family), TASKSTATS_CMD_GET,
                   TASKSTATS_CMD_ATTR_REGISTER_CPUMASK, cpus.c_str(), cpus.size() + 1, true)
          ? read_ack(fd)
          : errno;
  if (refused != 0) {
    why_not = fmt::format("taskstats refused memgate's listener: {}{}", std::strerror(refused),
                          refused == EPERM || refused == EACCES ? " (it needs root)" : "");
    ::close(fd);
    return nullptr;
  }
  // Root may raise the buffer past the system's limit; otherwise the limit it is.
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &kReceiveBufferBytes,
                   sizeof kReceiveBufferBytes) != 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kReceiveBufferBytes, sizeof kReceiveBufferBytes);
  }
  const int query_fd = open_socket(why_not);
  if (query_fd < 0) {
    ::close(fd);
    return nullptr;
  }
  timeval timeout{0, 100'000};  // a question the kernel does not answer costs 0.1 s at most
  ::setsockopt(query_fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return std::unique_ptr<TaskExitFeed>(new TaskExitFeed(fd, query_fd, family));
}

TaskExitFeed::TaskExitFeed(int fd, int query_fd, int family)
    : fd_(fd), query_fd_(query_fd), family_(family) {
  thread_ = std::thread([this] { run(); });
}

std::optional<double> TaskExitFeed::lived_ms(int pid) {
  const auto id = static_cast<std::uint32_t>(pid);
  if (!send_request(query_fd_, static_cast<std::uint16_t>(family_), TASKSTATS_CMD_GET,
                    TASKSTATS_CMD_ATTR_PID, &id, sizeof id, false)) {
    return std::nullopt;
  }
  alignas(nlmsghdr) char buffer[4096];
  const ssize_t got = ::recv(query_fd_, buffer, sizeof buffer, 0);
  if (got <= 0) return std::nullopt;
  std::optional<double> lived;
  for_each_taskstats(buffer, got, family_, [&](const taskstats& stats, std::size_t) {
    lived = static_cast<double>(stats.ac_etime) / 1000;
  });
  return lived;
}

TaskExitFeed::~TaskExitFeed() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  const std::string cpus = every_cpu();
  send_request(fd_, static_cast<std::uint16_t>(family_), TASKSTATS_CMD_GET,
               TASKSTATS_CMD_ATTR_DEREGISTER_CPUMASK, cpus.c_str(), cpus.size() + 1, false);
  ::close(fd_);
  ::close(query_fd_);
}

std::vector<TaskExit> TaskExitFeed::take() {
  std::lock_guard lock(mutex_);
  receive_waiting();
  std::vector<TaskExit> out;
  out.swap(records_);
  return out;
}

void TaskExitFeed::run() {
  interrupt::block_in_this_thread();
  while (!stop_.load()) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, kPollMs) > 0) {
      std::lock_guard lock(mutex_);
      receive_waiting();
    }
  }
}

void TaskExitFeed::receive_waiting() {
  alignas(nlmsghdr) static thread_local char buffer[64 << 10];
  while (true) {
    const ssize_t got = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
    if (got < 0) {
      if (errno == ENOBUFS) {
        lost_ = true;  // the kernel dropped records; the socket goes on
        continue;
      }
      return;  // EAGAIN: nothing more waits (or the socket failed: nothing more will come)
    }
    const auto now = std::chrono::steady_clock::now();
    for_each_taskstats(buffer, got, family_, [&](const taskstats& stats, std::size_t bytes) {
      // A thread's exit is its process's only when it is the group's leader (the last to go,
      // normally); kernels before ac_tgid give every task as its own.
      const bool has_tgid = bytes >= offsetof(taskstats, ac_tgid) + sizeof stats.ac_tgid;
      if (has_tgid && stats.ac_tgid != stats.ac_pid) return;
      TaskExit e;
      e.pid = static_cast<int>(stats.ac_pid);
      e.ppid = static_cast<int>(stats.ac_ppid);
      e.peak_bytes = static_cast<std::int64_t>(stats.hiwater_rss) * 1024;
      e.name.assign(stats.ac_comm, strnlen(stats.ac_comm, sizeof stats.ac_comm));
      e.ended = now;
      e.lived_ms = static_cast<double>(stats.ac_etime) / 1000;
      records_.push_back(std::move(e));
    });
  }
}

}  // namespace memgate
