// A fresh directory per test, removed with everything in it when the test ends.
#pragma once

#include <string>

namespace aibud::testing {

class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The whole content of a file ("" when it does not exist).
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& content);

}  // namespace aibud::testing
