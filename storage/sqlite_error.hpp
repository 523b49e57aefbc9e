// How SQLite failures become aibud errors: busy, locked, I/O, full, read-only and
// cannot-open are `unavailable` (temporary, retry later); a UNIQUE or PRIMARY KEY violation is
// `conflict`; a CHECK, NOT NULL or FOREIGN KEY violation is `invalid_argument`; anything else
// is `internal`.
#pragma once

#include <string_view>

#include "base/error.hpp"

namespace SQLite {
class Exception;
}

namespace aibud::storage {

errc classify_sqlite(int extended_code);
// `what` names the operation ("tenant create"); the message is "<what>: <sqlite message>".
error to_error(const SQLite::Exception& e, std::string_view what);

}  // namespace aibud::storage
