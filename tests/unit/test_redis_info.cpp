// Redis INFO text from a real redis-server 7.0 (tests/data/redis_info_7.0.txt).

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "core/sut/redis_info.hpp"

using namespace memgate;

TEST_CASE("redis INFO: memory, commandstats and server fields") {
  std::ifstream in(std::string(MEMGATE_TEST_DATA) + "/redis_info_7.0.txt");
  std::ostringstream text;
  text << in.rdbuf();
  const RedisInfo info = parse_redis_info(text.str());
  CHECK(info_number(info, "used_memory") == 939440);
  CHECK(info_number(info, "used_memory_rss") == 6615040);
  CHECK(*info_number(info, "mem_fragmentation_ratio") == Approx(7.55));
  CHECK(info_command_calls(info, "lpush") == 1);
  CHECK_FALSE(info_command_calls(info, "brpop"));  // never ran
  CHECK(info.at("run_id").size() == 40);
  CHECK_FALSE(info_number(info, "used_memory_human"));  // "917.42K" is not a number
  CHECK_FALSE(info_number(info, "no_such_field"));
}

TEST_CASE("redis INFO: hostile lines are skipped") {
  const RedisInfo info = parse_redis_info("# Memory\r\n:x\r\nnocolon\r\ncmdstat_get:calls=x\r\n\r\n");
  CHECK(info.size() == 1);
  CHECK_FALSE(info_command_calls(info, "get"));
}
