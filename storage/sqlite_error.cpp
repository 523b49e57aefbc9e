#include "storage/sqlite_error.hpp"

#include <sqlite3.h>

#include <SQLiteCpp/Exception.h>
#include <string>

namespace aibud::storage {

errc classify_sqlite(int extended_code) {
  switch (extended_code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return errc::conflict;
    default:
      break;
  }
  switch (extended_code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
    case SQLITE_NOLFS:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return errc::unavailable;
    case SQLITE_CONSTRAINT:
      return errc::invalid_argument;
    default:
      return errc::internal;
  }
}

error to_error(const SQLite::Exception& e, std::string_view what) {
  int code = e.getExtendedErrorCode();
  // SQLiteCpp reports -1 for its own misuse errors (no SQLite code).
  errc c = code < 0 ? errc::internal : classify_sqlite(code);
  return make_error(c, std::string(what) + ": " + e.what());
}

}  // namespace aibud::storage
