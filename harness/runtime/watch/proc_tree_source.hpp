#pragma once

// Reads the SUT's process tree from /proc, cheaply enough to sample every millisecond:
// - file descriptors of each process's statm, status, clear_refs and task children lists stay
//   open between reads (pread at offset 0 re-generates them; a kept descriptor also pins the
//   process's identity, so a reused pid is never mistaken for the process it replaced);
// - the tree's structure (threads, children, orphans re-parented to memgate) is read again only
//   when it may have changed: when /proc/loadavg's last pid moved (some process or thread was
//   created somewhere) or a member vanished. Otherwise a read is one statm (1 µs) per process;
// - with_hwm reads: also status's VmHWM (7 µs), then (watch.exact_peak) a reset of the
//   high-water mark through clear_refs ("5"), so the next with_hwm read gives the peak since
//   this one. (The reset also lowers the VmHWM and getrusage peak the SUT sees of itself.)
//   Without the reset, VmHWM stays the process's peak over its life.
// - each process's memory is split into anonymous and file-backed + shared: statm's shared
//   field in rss mode (free), smaps_rollup's Pss_Anon in pss mode.
// - pss mode: a high-water mark for PSS is read as the PSS now plus how far the kernel's RSS
//   high-water mark rose above the RSS read with that PSS (one smaps_rollup read), i.e. pages
//   that came and went since the last read count at full weight, as private pages do (an upper
//   bound for pages that were shared). A read blocks while an munmap holds the address space,
//   so it often lands just after a spike's VMA is gone while statm still counts its pages.
// The tree is the root's descendants plus the orphans re-parented to memgate (the subreaper):
// all of them, or with a RoleRegistry (several trees: the SUT and its services), those the
// registry places in this source's role.
// A process's name and command line are reported when it is first seen, and again when they
// changed in its first few high-water windows (a fork that execs).
// A pid is only ever opened when it was just read from a live parent's children list (or is
// the root before it exits), so a pid reused by an unrelated process never joins the tree.

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/scenario/scenario.hpp"
#include "runtime/watch/role_registry.hpp"
#include "runtime/watch/tree_source.hpp"

namespace memgate {

class ProcTreeSource : public TreeSource {
 public:
  // exits_after: the reaper sequence number from before the root was launched (see
  // SutProcess::launch_sequence()), so that no exit of the tree is missed.
  // With a registry, the source tells it every member it sees under `role`.
  ProcTreeSource(int root_pid, const WatchSpec& watch, std::uint64_t exits_after,
                 RoleRegistry* registry = nullptr, std::string role = "sut");
  ~ProcTreeSource() override;
  TreeSnapshot read(bool with_hwm) override;

  // The pids of the tree now (without reading memory).
  std::vector<int> pids();

 private:
  struct Tracked;
  Tracked* open_process(int pid);
  bool read_memory(Tracked& t, bool with_hwm, ProcessMemory& out, bool& hwm_ok);
  void read_identity(Tracked& t, ProcessMemory& out);
  bool mine(int pid);  // an exit or orphan of this source's role
  void read_children(Tracked& t);
  std::vector<int> adopted_orphans();
  bool structure_may_have_changed();
  std::vector<int> walk(bool with_hwm, TreeSnapshot* snapshot);

  int root_pid_;
  MemoryKind kind_;
  bool reset_hwm_;
  RoleRegistry* registry_;
  std::string role_;
  std::int64_t page_bytes_;
  int self_children_fd_ = -1;
  int loadavg_fd_ = -1;
  int last_pid_seen_ = -1;
  bool member_vanished_ = true;  // forces a full walk first
  bool root_gone_ = false;       // the root's kept descriptors said it exited: never reopen it
  std::vector<int> orphans_;     // adopted orphans at the last full walk
  std::uint64_t round_ = 0;
  std::uint64_t reaper_cursor_ = 0;
  std::unordered_map<int, std::unique_ptr<Tracked>> procs_;
  std::vector<char> buf_;
  std::vector<std::pair<int, bool>> frontier_;
};

}  // namespace memgate
