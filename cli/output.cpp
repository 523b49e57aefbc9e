#include "cli/output.hpp"

#include <algorithm>
#include <iostream>

namespace aibud::cli {

void print_json(const json& value) {
  std::cout << value.dump(2) << "\n";
}

std::string cell(const json& value) {
  if (value.is_null()) return "";
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

void print_table(const std::vector<std::string>& headers,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths(headers.size());
  for (std::size_t i = 0; i < headers.size(); ++i) widths[i] = headers[i].size();
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i)
      widths[i] = std::max(widths[i], row[i].size());
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    std::cout << line << "\n";
  };
  std::vector<std::string> upper;
  for (const auto& h : headers) {
    std::string u = h;
    std::transform(u.begin(), u.end(), u.begin(), ::toupper);
    upper.push_back(u);
  }
  print_row(upper);
  for (const auto& row : rows) print_row(row);
}

void print_object(const json& object) {
  std::size_t width = 0;
  for (const auto& item : object.items()) width = std::max(width, item.key().size());
  for (const auto& item : object.items())
    std::cout << item.key() << ":" << std::string(width - item.key().size() + 1, ' ')
              << cell(item.value()) << "\n";
}

void print_record(bool as_json, const json& object) {
  if (as_json)
    print_json(object);
  else
    print_object(object);
}

void print_listing(bool as_json, const std::vector<json>& records,
                   const std::vector<std::string>& columns) {
  if (as_json) {
    print_json(json(records));
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& record : records) {
    std::vector<std::string> row;
    for (const auto& column : columns) row.push_back(cell(record.value(column, json())));
    rows.push_back(std::move(row));
  }
  print_table(columns, rows);
}

void warn(const std::string& message) {
  std::cerr << "warning: " << message << "\n";
}

}  // namespace aibud::cli
