#include "weft/faults.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <unistd.h>
#include <vector>

namespace weft::faults {

#ifdef WEFT_FAULT_INJECTION
namespace {

struct Rule {
  std::string point;
  uint64_t nth = 0;
  bool forever = false;
  bool crash = false;
};

struct Registry {
  std::mutex mu;
  std::vector<Rule> rules;
  std::map<std::string, uint64_t, std::less<>> counts;
  bool env_read = false;
};

Registry& registry() {
  static Registry r;
  return r;
}

Result<std::vector<Rule>> parse(std::string_view spec) {
  std::vector<Rule> rules;
  while (!spec.empty()) {
    size_t comma = spec.find(',');
    std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    if (item.empty()) continue;
    Rule r;
    size_t colon = item.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return make_error(Code::kInvalidArgument, "fault rule '" + std::string(item) +
                                                    "': expected point:N[+|:crash]");
    }
    r.point = std::string(item.substr(0, colon));
    std::string_view rest = item.substr(colon + 1);
    if (rest.ends_with(":crash")) {
      r.crash = true;
      rest.remove_suffix(6);
    } else if (rest.ends_with("+")) {
      r.forever = true;
      rest.remove_suffix(1);
    }
    if (rest.empty() || rest.find_first_not_of("0123456789") != std::string_view::npos ||
        rest.size() > 18) {
      return make_error(Code::kInvalidArgument,
                        "fault rule '" + std::string(item) + "': N must be a positive integer");
    }
    r.nth = std::stoull(std::string(rest));
    if (r.nth == 0) {
      return make_error(Code::kInvalidArgument, "fault rule '" + std::string(item) +
                                                    "': occurrences count from 1");
    }
    rules.push_back(std::move(r));
  }
  return rules;
}

void read_env_locked(Registry& r) {
  if (r.env_read) return;
  r.env_read = true;
  if (const char* env = std::getenv("WEFT_FAULTS")) {
    auto rules = parse(env);
    if (!rules) {
      // A mistyped spec would silently test nothing: refuse loudly instead.
      std::fprintf(stderr, "weft: WEFT_FAULTS: %s\n", rules.error().message.c_str());
      std::abort();
    }
    r.rules = std::move(rules.value());
  }
}

}  // namespace

bool fault_injection_enabled() { return true; }

Status set(std::string_view spec) {
  auto rules = parse(spec);
  WEFT_TRY(rules);
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  r.env_read = true;
  r.rules = std::move(rules.value());
  r.counts.clear();
  return Status::ok();
}

void clear() {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  r.env_read = true;
  r.rules.clear();
  r.counts.clear();
}

bool hit(std::string_view point) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  read_env_locked(r);
  auto it = r.counts.find(point);
  if (it == r.counts.end()) it = r.counts.emplace(std::string(point), 0).first;
  const uint64_t n = ++it->second;
  for (const Rule& rule : r.rules) {
    if (rule.point != point) continue;
    if (n == rule.nth && rule.crash) {
      ::kill(::getpid(), SIGKILL);
      ::_exit(137);
    }
    if (n == rule.nth || (rule.forever && n > rule.nth)) return true;
  }
  return false;
}

uint64_t count(std::string_view point) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  auto it = r.counts.find(point);
  return it == r.counts.end() ? 0 : it->second;
}

#else

bool fault_injection_enabled() { return false; }
Status set(std::string_view) {
  return make_error(Code::kInvalidArgument, "fault injection is not compiled in");
}
void clear() {}
bool hit(std::string_view) { return false; }
uint64_t count(std::string_view) { return 0; }

#endif

}  // namespace weft::faults
