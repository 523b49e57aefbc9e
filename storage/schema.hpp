// The SQL text of the built-in migrations (storage/migrations.cpp lists them in order).
#pragma once

namespace aibud::storage::schema {

extern const char* const v1_up;
extern const char* const v1_down;
extern const char* const v2_up;
extern const char* const v2_down;
extern const char* const v3_up;
extern const char* const v3_down;

}  // namespace aibud::storage::schema
