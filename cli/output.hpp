// Printing results: a table or key/value lines for people, JSON with --json for scripts.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace aibud::cli {

using json = nlohmann::ordered_json;

// One JSON document on stdout.
void print_json(const json& value);
// Columns padded to their widest cell.
void print_table(const std::vector<std::string>& headers,
                 const std::vector<std::vector<std::string>>& rows);
// "key: value" lines in the object's order.
void print_object(const json& object);
// An object for people or for scripts, as --json says.
void print_record(bool as_json, const json& object);
// A listing: a JSON array of the records, or a table of the named columns.
void print_listing(bool as_json, const std::vector<json>& records,
                   const std::vector<std::string>& columns);
// A JSON value as a table cell ("" for null, no quotes around strings).
std::string cell(const json& value);

// A one-line warning on stderr (never for secrets' values).
void warn(const std::string& message);

}  // namespace aibud::cli
