#include "base/thread_name.hpp"

#include <pthread.h>

#include <string>

namespace aibud {

void name_this_thread(const char* name) {
  pthread_setname_np(pthread_self(), std::string(name).substr(0, 15).c_str());
}

}  // namespace aibud
