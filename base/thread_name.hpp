// Names the calling thread as `top -H`, `ps -L` and profilers show it.
#pragma once

namespace aibud {

// Linux keeps 15 characters; longer names are cut.
void name_this_thread(const char* name);

}  // namespace aibud
