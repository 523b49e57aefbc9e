#include "cli/qr_terminal.hpp"

#include <memory>

#include <qrencode.h>

namespace aibud::cli {

std::string qr_blocks(std::string_view text) {
  if (text.empty()) return {};
  const std::string data(text);
  std::unique_ptr<QRcode, void (*)(QRcode*)> code(
      QRcode_encodeString(data.c_str(), 0, QR_ECLEVEL_L, QR_MODE_8, 1), QRcode_free);
  if (!code) return {};
  constexpr int quiet = 4;
  const int width = code->width;
  const int side = width + 2 * quiet;
  // Outside the symbol is the quiet zone, which is light.
  auto dark = [&](int row, int column) {
    const int r = row - quiet;
    const int c = column - quiet;
    if (r < 0 || c < 0 || r >= width || c >= width) return false;
    return (code->data[r * width + c] & 1) != 0;
  };
  std::string out;
  for (int row = 0; row < side; row += 2) {
    for (int column = 0; column < side; ++column) {
      const bool top_light = !dark(row, column);
      const bool bottom_light = row + 1 < side ? !dark(row + 1, column) : false;
      if (top_light && bottom_light)
        out += "\u2588";  // █
      else if (top_light)
        out += "\u2580";  // ▀
      else if (bottom_light)
        out += "\u2584";  // ▄
      else
        out += ' ';
    }
    out += '\n';
  }
  return out;
}

}  // namespace aibud::cli
