#pragma once

// The host's speed, measured: the CPU time of a fixed single-threaded workload, a random pointer
// chase through a 1 MiB table (beyond L1, within L2 or L3: latency-bound) mixed with integer
// hashing, so a host with slower cores or caches takes longer. It is thread CPU time, not wall time: a
// neighbour taking the other core does not change it, a slower host does. Cloud VMs of the same
// "class" differ by up to 1.6x; comparing this figure with the baseline's tells them apart.

namespace memgate {

// The workload's CPU time in ms, the best (lowest) of `rounds` rounds: about 23 ms a round on a
// 2-core AMD EPYC VM. The same work on every machine (a fixed seed, no allocation in the timed
// part).
double reference_workload_ms(int rounds = 9);

}  // namespace memgate
