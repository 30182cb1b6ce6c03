// Catch2's implementation and the main() of both test programs.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <csignal>

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // as memgate does: a write to a dead SUT is EPIPE, not death
  return Catch::Session().run(argc, argv);
}
