// A QR code drawn with Unicode half blocks, two module rows per text line, for scanning
// straight off a terminal (the WhatsApp pairing QR of `aibud instance connect`).
#pragma once

#include <string>
#include <string_view>

namespace aibud::cli {

// The QR symbol of `text` (error correction L, the smallest symbol that fits) with a quiet
// zone of 4 modules, as lines ending in '\n'. Light modules are drawn as blocks and dark ones
// as blanks, so it scans on a dark terminal (the usual one). "" when `text` cannot be encoded
// (empty, or longer than a QR symbol holds).
std::string qr_blocks(std::string_view text);

}  // namespace aibud::cli
