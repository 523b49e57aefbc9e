// `aibud instance connect NAME`: provisions an instance on its Evolution server, registers
// aibud's webhook and shows the QR code (or pairing code) until WhatsApp is linked.
#pragma once

namespace CLI {
class App;
}

namespace aibud::cli {

class context;

// Adds `connect` under `instance`.
void add_instance_connect_command(CLI::App& instance, context& ctx);

}  // namespace aibud::cli
