#include "actors/contact_resolution.hpp"

#include <algorithm>

#include "storage/contacts_repo.hpp"
#include "storage/interactions_repo.hpp"
#include "storage/sent_messages_repo.hpp"

namespace aibud::actors {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Moves what belongs to contact `from` over to `into` and removes `from`.
status absorb(storage::write_context& w, int64_t from, int64_t into) {
  if (auto moved = w.aliases().move(from, into); !moved) return moved.err();
  if (auto moved = w.interactions().move_contact(from, into); !moved) return moved.err();
  if (auto moved = w.sent_messages().move_contact(from, into); !moved) return moved.err();
  return w.contacts().remove(from);
}

}  // namespace

bool is_phone_jid(const std::string& jid) {
  return ends_with(jid, "@s.whatsapp.net");
}

result<storage::contact> resolve_contact(storage::write_context& w, int64_t instance_id,
                                         const std::vector<std::string>& jids,
                                         const std::string& push_name) {
  if (jids.empty()) return make_error(errc::invalid_argument, "an event without a sender JID");
  std::string phone;
  for (const auto& j : jids)
    if (phone.empty() && is_phone_jid(j)) phone = j;

  std::vector<int64_t> found;                  // distinct contact ids, phone JID's first
  std::vector<int64_t> owner(jids.size(), 0);  // each JID's contact now (0: none)
  for (std::size_t i = 0; i < jids.size(); ++i) {
    const std::string& j = jids[i];
    auto id = w.aliases().resolve(instance_id, j);
    if (!id) return id.err();
    if (!*id) continue;
    owner[i] = **id;
    if (std::find(found.begin(), found.end(), **id) != found.end()) continue;
    if (j == phone)
      found.insert(found.begin(), **id);
    else
      found.push_back(**id);
  }

  storage::contact c;
  if (found.empty()) {
    auto created =
        w.contacts().create(instance_id, phone.empty() ? jids.front() : phone, push_name);
    if (!created) return created.err();
    c = std::move(*created);
  } else {
    int64_t keep = found.front();
    if (phone.empty()) keep = *std::min_element(found.begin(), found.end());
    for (int64_t other : found)
      if (other != keep)
        if (auto s = absorb(w, other, keep); !s) return s.err();
    auto got = w.contacts().get(keep);
    if (!got) return got.err();
    c = std::move(*got);
  }
  // A JID another contact had was moved over by absorb; only new ones are added.
  for (std::size_t i = 0; i < jids.size(); ++i)
    if (owner[i] == 0)
      if (auto s = w.aliases().add(instance_id, jids[i], c.id); !s) return s.err();
  if (!phone.empty() && c.jid != phone) {
    if (auto s = w.contacts().set_jid(c.id, phone); !s) return s.err();
    c.jid = phone;
  }
  if (c.name.empty() && !push_name.empty()) {
    c.name = push_name;
    if (auto s = w.contacts().save(c); !s) return s.err();
  }
  return c;
}

}  // namespace aibud::actors
