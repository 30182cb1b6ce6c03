#include "core/drivers/command_targets.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "core/model/url.hpp"

namespace memgate {

namespace {

// A program that runs the command given after its own options and positional arguments.
struct Wrapper {
  std::set<std::string> value_options;  // options that take a value ("-n 5", "-n5", "--x=5")
  int positional = 0;                   // arguments between its options and the command
  bool assignments = false;             // NAME=VALUE arguments before the command (env, sudo)
};

// clang-format off: tables, one entry a line.
const std::map<std::string, Wrapper>& wrappers() {
  static const std::map<std::string, Wrapper> kWrappers = {
      {"env",     {{"-u", "--unset", "-C", "--chdir", "-S", "--split-string"}, 0, true}},
      {"nice",    {{"-n", "--adjustment"}, 0, false}},
      {"timeout", {{"-s", "--signal", "-k", "--kill-after"}, 1, false}},
      {"nohup",   {{}, 0, false}},
      {"setsid",  {{}, 0, false}},
      {"stdbuf",  {{"-i", "-o", "-e", "--input", "--output", "--error"}, 0, false}},
      {"ionice",  {{"-c", "--class", "-n", "--classdata", "-p", "--pid", "-P", "--pgid", "-u",
                    "--uid"}, 0, false}},
      {"taskset", {{}, 1, false}},
      {"chrt",    {{"-T", "--sched-runtime", "-P", "--sched-period", "-D", "--sched-deadline"}, 1,
                   false}},
      {"time",    {{"-f", "--format", "-o", "--output"}, 0, false}},
      {"sudo",    {{"-u", "--user", "-g", "--group", "-C", "--close-from", "-D", "--chdir", "-h",
                    "--host", "-p", "--prompt", "-r", "--role", "-t", "--type", "-U",
                    "--other-user"}, 0, true}},
  };
  return kWrappers;
}

// Programs whose code comes in an argument (the option letters that carry it): memgate cannot
// read it. Keyed by interpreter_family().
const std::map<std::string, std::string>& inline_code_flags() {
  static const std::map<std::string, std::string> kFlags = {
      {"sh", "c"},  {"bash", "c"}, {"dash", "c"}, {"zsh", "c"}, {"ksh", "c"}, {"mksh", "c"},
      {"ash", "c"}, {"fish", "c"}, {"csh", "c"},  {"tcsh", "c"}, {"python", "c"},
      {"perl", "eE"}, {"ruby", "e"}, {"node", "ep"}, {"php", "r"},
  };
  return kFlags;
}

// Programs that run the command somewhere memgate cannot see.
const std::map<std::string, std::string>& opaque_programs() {
  static const std::map<std::string, std::string> kOpaque = {
      {"xargs", "xargs builds the command from its input"},
      {"ssh",   "ssh runs the command on another host"},
      {"rsh",   "rsh runs the command on another host"},
      {"mosh",  "mosh runs the command on another host"},
  };
  return kOpaque;
}

// A load tool whose targets memgate reads: its host options, the options that take a value
// (so that a value is not taken for a URL), the options that read targets from a file, and
// whether its positional arguments are URLs.
struct Tool {
  std::set<std::string> host_options;
  std::set<std::string> value_options;
  std::set<std::string> file_options;
  bool positional_urls = false;
};

const std::map<std::string, Tool>& tools() {
  static const std::map<std::string, Tool> kTools = {
      {"redis-benchmark", {{"-h", "-u"},
                           {"-p", "-s", "-a", "-c", "-n", "-d", "-k", "-r", "-P", "-t", "-e",
                            "--user", "--dbnum", "--threads"},
                           {}, false}},
      {"redis-cli", {{"-h", "-u"}, {"-p", "-s", "-a", "-n", "-r", "-i", "--user", "--pass"}, {},
                     false}},
      {"memtier_benchmark", {{"-s", "--server"}, {"-p", "-c", "-t", "-n", "-d", "--port"}, {},
                             false}},
      {"curl", {{"-x", "--proxy", "--preproxy", "--proxy1.0"},
                {"-A", "-b", "-c", "-C", "-d", "-D", "-e", "-E", "-F", "-H", "-m", "-o", "-r",
                 "-T", "-u", "-U", "-w", "-X", "-y", "-Y", "-z", "--data", "--data-ascii",
                 "--data-binary", "--data-raw", "--data-urlencode", "--header", "--output",
                 "--user", "--request", "--max-time", "--connect-timeout", "--retry",
                 "--retry-delay", "--retry-max-time", "--cookie", "--cookie-jar", "--form",
                 "--write-out", "--user-agent", "--referer", "--proxy-user", "--cacert", "--cert",
                 "--key", "--limit-rate", "--max-filesize", "--range", "--upload-file", "--json",
                 "--interface", "--local-port", "--unix-socket", "--oauth2-bearer",
                 "--parallel-max", "--rate"},
                {"-K", "--config"}, true}},
      {"wget", {{"-e"},
                {"-O", "-o", "-a", "-t", "-T", "-w", "-U", "-P", "-Q", "-l", "--header",
                 "--post-data", "--post-file", "--output-document", "--output-file", "--tries",
                 "--timeout", "--wait", "--user-agent", "--user", "--password",
                 "--directory-prefix"},
                {"-i", "--input-file"}, true}},
      {"wrk", {{}, {"-c", "-d", "-t", "-s", "-H", "--timeout", "--connections", "--duration",
                    "--threads", "--script", "--header"}, {}, true}},
      {"hey", {{"-x"}, {"-n", "-c", "-q", "-z", "-o", "-m", "-H", "-t", "-A", "-d", "-D", "-a",
                        "-T", "-host"}, {}, true}},
      {"ab", {{"-X"}, {"-n", "-c", "-t", "-s", "-b", "-B", "-p", "-u", "-v", "-T", "-C", "-H",
                       "-A", "-P", "-e", "-g", "-E", "-Z", "-f", "-m"}, {}, true}},
      {"oha", {{}, {"-n", "-c", "-z", "-q", "-m", "-H", "-d", "-D", "-a", "-A", "-T", "-t"}, {},
               true}},
      {"h2load", {{}, {"-n", "-c", "-t", "-m", "-H", "-d", "-D", "-r", "-T", "-N"}, {}, true}},
      {"siege", {{}, {"-c", "-r", "-t", "-d", "-H", "-A", "-l", "--header"}, {"-f", "--file"},
                 true}},
  };
  return kTools;
}

// Options whose value is where a program connects, for any program.
const std::set<std::string>& host_options() {
  static const std::set<std::string> kOptions = {
      "--host", "--hostname", "--server", "--target", "--connect", "--address", "--addr", "--url",
      "--uri", "--endpoint", "--proxy", "--preproxy", "--socks4", "--socks4a", "--socks5",
      "--socks5-hostname", "--redis"};
  return kOptions;
}
// clang-format on

std::string program_name(const std::string& arg) {
  return std::filesystem::path(arg).filename().string();
}

// "python3", "python3.11", "python" read as "python".
std::string interpreter_family(const std::string& program) {
  if (program.rfind("python", 0) == 0) return "python";
  return program;
}

bool is_option(const std::string& arg) {
  return arg.size() > 1 && arg[0] == '-';
}

// "--name=value" -> ("--name", "value"); nullopt without '='.
std::optional<std::pair<std::string, std::string>> split_long(const std::string& arg) {
  if (arg.rfind("--", 0) != 0) return std::nullopt;
  const auto eq = arg.find('=');
  if (eq == std::string::npos) return std::nullopt;
  return std::make_pair(arg.substr(0, eq), arg.substr(eq + 1));
}

// An option and its value: "--name=value", "-nVALUE" (a short option of `with_values`), or
// the option alone (its value, if it takes one, is the next argument).
struct Option {
  std::string name;
  std::optional<std::string> value;
};
Option split_option(const std::string& arg, const std::set<std::string>& with_values) {
  if (const auto long_form = split_long(arg)) return {long_form->first, long_form->second};
  if (arg.size() > 2 && arg[1] != '-' && with_values.count(arg.substr(0, 2))) {
    return {arg.substr(0, 2), arg.substr(2)};
  }
  return {arg, std::nullopt};
}

using Args = std::vector<CommandArg>;

class Reader {
 public:
  CommandTargets out;

  // An environment variable of the command: URLs in its value, and a proxy's host.
  void read_variable(std::string name, const std::string& value, const CommandArg& arg) {
    read_urls(arg, value);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const bool proxy =
        name.size() > 6 && name.compare(name.size() - 6, 6, "_proxy") == 0 && name != "no_proxy";
    if (proxy && !value.empty() && value.find("://") == std::string::npos) {
      add_host_value(value, arg);
    }
  }

  void read(Args argv) {
    std::size_t at = 0;
    // Wrappers, one after another: env timeout 60 nice -n 5 redis-benchmark ...
    while (at < argv.size()) {
      const auto w = wrappers().find(program_name(argv[at].text));
      if (w == wrappers().end()) break;
      at = skip_wrapper(w->second, w->first, argv, at + 1);
    }
    // Every argument's URLs (the wrappers' own values too), then the program's options. A
    // program memgate does not know may start another: every later argument that names a
    // program memgate knows is read as one.
    for (const auto& arg : argv) read_urls(arg, arg.text);
    for (std::size_t i = at; i < argv.size() && out.hidden.empty(); ++i) {
      if (i == at || known_program(argv[i].text)) read_program(argv, i);
    }
  }

 private:
  static bool known_program(const std::string& arg) {
    const std::string program = program_name(arg);
    return tools().count(program) || inline_code_flags().count(interpreter_family(program)) ||
           opaque_programs().count(program) || program == "busybox";
  }

  // The index of the wrapped command after w's options, assignments and positional
  // arguments; env -S strings are split into argv in place.
  std::size_t skip_wrapper(const Wrapper& w, const std::string& name, Args& argv, std::size_t at) {
    for (; at < argv.size() && is_option(argv[at].text); ++at) {
      if (argv[at].text == "--") {
        ++at;
        break;
      }
      Option option = split_option(argv[at].text, w.value_options);
      if (!w.value_options.count(option.name)) continue;
      if (!option.value && at + 1 < argv.size()) option.value = argv[++at].text;
      if (name == "env" && (option.name == "-S" || option.name == "--split-string")) {
        std::istringstream words(option.value.value_or(""));
        Args split;
        for (std::string word; words >> word;) split.push_back({argv[at].index, word, ""});
        argv.insert(argv.begin() + static_cast<std::ptrdiff_t>(at) + 1, split.begin(), split.end());
      }
    }
    for (; w.assignments && at < argv.size() && !is_option(argv[at].text) &&
           argv[at].text.find('=') != std::string::npos;
         ++at) {
      read_assignment(argv[at]);
    }
    for (int i = 0; i < w.positional && at < argv.size(); ++i) {
      // timeout's duration; taskset's mask or CPU list, chrt's priority: numbers and lists.
      const std::string& arg = argv[at].text;
      const bool number = std::all_of(arg.begin(), arg.end(), [](unsigned char c) {
        return std::isxdigit(c) || c == ',' || c == '-' || c == ':' || c == 'x' || c == '.' ||
               c == 's' || c == 'm' || c == 'h';
      });
      if (number || name == "timeout") ++at;
    }
    return at;
  }

  // NAME=VALUE in a command's environment: a proxy variable's value is where it connects.
  void read_assignment(const CommandArg& arg) {
    const auto eq = arg.text.find('=');
    read_variable(arg.text.substr(0, eq), arg.text.substr(eq + 1), arg);
  }

  // A program's code in its arguments (sh -c, python3 -c, perl -e): options up to the first
  // argument that is not one (a script file's name: its arguments are its own).
  bool reads_inline_code(const Args& argv, std::size_t at) {
    const auto flags = inline_code_flags().find(interpreter_family(program_name(argv[at].text)));
    if (flags == inline_code_flags().end()) return false;
    const std::string& letters = flags->second;
    for (std::size_t i = at + 1; i < argv.size(); ++i) {
      const std::string& arg = argv[i].text;
      if (arg == "-o" || arg == "+o" || arg == "-W" || arg == "-X") {  // shell options, python's
        ++i;
        continue;
      }
      if (arg == "--command" || arg.rfind("--command=", 0) == 0 || arg == "--eval" ||
          arg.rfind("--eval=", 0) == 0) {
        return true;
      }
      const bool cluster = arg.size() > 1 && (arg[0] == '-' || arg[0] == '+') && arg[1] != '-';
      if (!cluster) return false;  // a script file
      if (arg.find_first_of(letters, 1) != std::string::npos) return true;
    }
    return false;
  }

  void read_program(const Args& argv, std::size_t at) {
    const std::string program = program_name(argv[at].text);
    if (const auto opaque = opaque_programs().find(program); opaque != opaque_programs().end()) {
      hide(opaque->second, argv[at]);
      return;
    }
    if (reads_inline_code(argv, at)) {
      hide(fmt::format("{} runs code given in its arguments, which memgate cannot read", program),
           argv[at]);
      return;
    }
    if (program == "busybox") return;  // the next argument is the program: read on its own
    const auto tool = tools().find(program);
    static const Tool kNone;
    const Tool& t = tool != tools().end() ? tool->second : kNone;
    std::set<std::string> with_values = t.value_options;
    with_values.insert(t.host_options.begin(), t.host_options.end());
    with_values.insert(t.file_options.begin(), t.file_options.end());
    for (std::size_t i = at + 1; i < argv.size(); ++i) {
      const CommandArg& arg = argv[i];
      if (!is_option(arg.text)) {
        if (t.positional_urls) add_positional_url(arg);
        continue;
      }
      Option option = split_option(arg.text, with_values);
      const bool host = host_options().count(option.name) || t.host_options.count(option.name);
      const bool curl_map =
          program == "curl" && (option.name == "--resolve" || option.name == "--connect-to");
      if (t.file_options.count(option.name)) {
        hide(fmt::format("{} {} reads its targets from a file", program, option.name), arg);
        return;
      }
      const bool takes_value = host || curl_map || with_values.count(option.name);
      if (!takes_value) continue;
      const CommandArg* from = &arg;
      if (!option.value) {
        if (i + 1 >= argv.size()) continue;
        from = &argv[++i];
        option.value = from->text;
      }
      if (curl_map) {
        read_curl_map(option.name, *option.value, *from);
      } else if (host && option.value->find("://") == std::string::npos) {
        add_host_value(*option.value, *from);
      }
    }
  }

  void hide(const std::string& why, const CommandArg& arg) {
    out.hidden = why;
    out.hidden_at = arg.index;
  }

  // A load tool's positional argument: a URL, with or without its scheme ("evil.example/x"),
  // when it looks like one (a host with a dot or colon, or localhost); numbers and words are
  // not targets.
  void add_positional_url(const CommandArg& arg) {
    const std::string& text = arg.text;
    if (text.find("://") != std::string::npos) return;  // read_urls has it
    const std::string host_part = text.substr(0, text.find_first_of("/?#"));
    const bool looks_like_host =
        host_part.find_first_of(".:[") != std::string::npos || host_part == "localhost";
    const bool number = !host_part.empty() &&
                        std::all_of(host_part.begin(), host_part.end(),
                                    [](unsigned char c) { return std::isdigit(c) || c == '.'; }) &&
                        std::count(host_part.begin(), host_part.end(), '.') < 2;
    if (!looks_like_host || number) return;
    read_urls(arg, "http://" + text);
  }

  // Every URL in text (a whole argument, or a value after '=' or inside a longer text).
  void read_urls(const CommandArg& arg, const std::string& text) {
    for (std::size_t mark = text.find("://"); mark != std::string::npos;
         mark = text.find("://", mark + 3)) {
      std::size_t start = mark;
      while (start > 0 &&
             (std::isalnum(static_cast<unsigned char>(text[start - 1])) || text[start - 1] == '+' ||
              text[start - 1] == '-' || text[start - 1] == '.')) {
        --start;
      }
      while (start < mark && !std::isalpha(static_cast<unsigned char>(text[start]))) ++start;
      // A URL inside a longer text ends at white space (a quote may be part of its userinfo).
      const std::size_t end = text.find_first_of(" \t\r\n", mark);
      const std::string candidate =
          text.substr(start, end == std::string::npos ? end : end - start);
      const auto url = parse_url(candidate);
      if (!url) {
        out.unreadable.push_back(arg);
        continue;
      }
      if (url->host.empty()) {
        // A local socket (unix:///run/redis.sock, file:///...) goes nowhere else.
        if (url->scheme != "unix" && url->scheme != "file") out.unreadable.push_back(arg);
        continue;
      }
      out.targets.push_back({url->host, arg});
    }
  }

  // HOST, HOST:PORT, [V6]:PORT or V6.
  void add_host_value(const std::string& value, const CommandArg& arg) {
    std::string host = value;
    if (!value.empty() && value.front() == '[') {
      const auto close = value.find(']');
      if (close == std::string::npos) {
        out.unreadable.push_back(arg);
        return;
      }
      host = value.substr(1, close - 1);
    } else if (std::count(value.begin(), value.end(), ':') == 1) {
      host = value.substr(0, value.find(':'));
    }
    if (host.empty()) {
      out.unreadable.push_back(arg);
      return;
    }
    out.targets.push_back({host, arg});
  }

  // curl --resolve [+]HOST:PORT:ADDR[,ADDR]... and --connect-to HOST1:PORT1:HOST2:PORT2: the
  // addresses it really connects to.
  void read_curl_map(const std::string& option, const std::string& value, const CommandArg& arg) {
    std::vector<std::string> fields;
    std::string field;
    int depth = 0;
    for (char c : value) {
      if (c == '[') ++depth;
      if (c == ']') --depth;
      if (c == ':' && depth == 0) {
        fields.push_back(field);
        field.clear();
      } else {
        field += c;
      }
    }
    fields.push_back(field);
    if (option == "--connect-to") {
      if (fields.size() != 4) {
        out.unreadable.push_back(arg);
      } else if (!fields[2].empty()) {
        add_host_value(fields[2], arg);
      }
      return;
    }
    if (fields.size() < 3) {
      out.unreadable.push_back(arg);
      return;
    }
    std::string addresses;
    for (std::size_t k = 2; k < fields.size(); ++k) addresses += (k > 2 ? ":" : "") + fields[k];
    std::istringstream list(addresses);
    for (std::string address; std::getline(list, address, ',');) {
      if (address.size() > 1 && address.front() == '[' && address.back() == ']') {
        address = address.substr(1, address.size() - 2);
      }
      if (address.empty()) {
        out.unreadable.push_back(arg);
      } else {
        out.targets.push_back({address, arg});
      }
    }
  }
};

}  // namespace

CommandTargets find_command_targets(const std::vector<std::string>& argv,
                                    const std::map<std::string, std::string>& env) {
  Reader reader;
  Args args;
  for (std::size_t i = 0; i < argv.size(); ++i) args.push_back({i, argv[i], ""});
  if (!args.empty()) reader.read(std::move(args));
  // The command's own environment (driver.env): its URLs and proxies.
  for (const auto& [name, value] : env) reader.read_variable(name, value, {0, value, name});
  return std::move(reader.out);
}

}  // namespace memgate
