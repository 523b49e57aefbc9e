// Small pieces the intake benchmarks share: option parsing, percentiles, and the one JSON
// line per benchmark that scripts read (bench/run). Header-only; benchmarks only.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

namespace aibud::bench {

using steady = std::chrono::steady_clock;

inline double seconds_between(steady::time_point a, steady::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// `--name value` pairs; a bare `--flag` maps to "1". Unknown names are the caller's to refuse.
class options {
 public:
  options(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
      std::string name = argv[i];
      if (name.rfind("--", 0) != 0) {
        std::fprintf(stderr, "error: usage: unexpected argument %s\n", argv[i]);
        std::exit(2);
      }
      name = name.substr(2);
      if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0)
        values_[name] = argv[++i];
      else
        values_[name] = "1";
    }
  }
  std::string get(const std::string& name, const std::string& fallback = "") const {
    auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second;
  }
  double number(const std::string& name, double fallback) const {
    auto it = values_.find(name);
    if (it == values_.end()) return fallback;
    char* end = nullptr;
    double v = std::strtod(it->second.c_str(), &end);
    if (end == it->second.c_str() || *end != '\0') {
      std::fprintf(stderr, "error: usage: --%s wants a number, got %s\n", name.c_str(),
                   it->second.c_str());
      std::exit(2);
    }
    return v;
  }

 private:
  std::map<std::string, std::string> values_;
};

// The p-th percentile (0 < p <= 1) of samples, nearest rank; 0 for none. Sorts in place.
template <class T>
double percentile(std::vector<T>& samples, double p) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(samples.size())));
  return static_cast<double>(samples[std::min(samples.size(), std::max<std::size_t>(rank, 1)) - 1]);
}

// One flat JSON object built field by field, printed as one line.
class json_line {
 public:
  json_line& text(const std::string& key, const std::string& value) {
    add(key, "\"" + value + "\"");  // benchmark labels only: no escaping needed
    return *this;
  }
  json_line& num(const std::string& key, double value, int decimals = 3) {
    char buf[64];
    if (std::isfinite(value))
      std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
    else
      std::snprintf(buf, sizeof buf, "null");
    add(key, buf);
    return *this;
  }
  json_line& integer(const std::string& key, int64_t value) {
    add(key, std::to_string(value));
    return *this;
  }
  void print() const { std::printf("{%s}\n", body_.c_str()); }

 private:
  void add(const std::string& key, const std::string& value) {
    if (!body_.empty()) body_ += ",";
    body_ += "\"" + key + "\":" + value;
  }
  std::string body_;
};

}  // namespace aibud::bench
