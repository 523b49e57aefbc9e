#include "actors/texts.hpp"

#include <cctype>
#include <map>
#include <utility>

#include "adapters/ai/offline_provider.hpp"

namespace aibud::actors {
namespace {

using pair = std::pair<const char*, const char*>;  // en, pt-BR

const std::map<text_id, pair>& fixed() {
  static const std::map<text_id, pair> table = {
      {text_id::grace,
       {"We can't answer here right now. We'll get back to you soon.",
        "No momento não conseguimos responder por aqui. Retornaremos em breve."}},
      {text_id::handoff_notice,
       {"Sure, one of our brokers will talk to you here shortly.",
        "Certo, um dos nossos corretores vai falar com você por aqui em breve."}},
      {text_id::stale_poll,
       {"That poll is no longer open. Please answer the latest question, or just tell me what "
        "you need.",
        "Essa enquete não está mais aberta. Responda a pergunta mais recente ou me diga do que "
        "você precisa."}},
      {text_id::ask_for_photos,
       {"I can estimate what your property is worth. Please send a few photos of the rooms "
        "(living room, kitchen, bedrooms) in one go.",
        "Posso estimar o valor do seu imóvel. Envie algumas fotos dos cômodos (sala, cozinha, "
        "quartos) de uma vez."}},
      {text_id::opt_out_confirm,
       {"Understood, we won't message you again. If you change your mind, send START.",
        "Tudo bem, não enviaremos mais mensagens. Se mudar de ideia, envie START."}},
      {text_id::welcome_back,
       {"Welcome back! How can I help?", "Bem-vindo de volta! Como posso ajudar?"}},
      {text_id::qualified_sell,
       {"Thank you! To estimate your property's value, please send a few photos of the rooms.",
        "Obrigado! Para estimar o valor do seu imóvel, envie algumas fotos dos cômodos."}},
      {text_id::qualified_search,
       {"Thank you! A broker will send you options that match shortly.",
        "Obrigado! Um corretor vai enviar opções que combinam com você em breve."}},
      {text_id::estimate_followup,
       {"If you'd like to talk to one of our brokers, just say \"talk to a person\".",
        "Se quiser falar com um dos nossos corretores, é só dizer \"falar com um corretor\"."}},
      {text_id::fallback_reply,
       {"Sorry, I didn't get that. Would you like to value, sell, buy or rent a property?",
        "Desculpe, não entendi. Você quer avaliar, vender, comprar ou alugar um imóvel?"}},
      {text_id::estimate_failed,
       {"Sorry, I couldn't estimate a value from these photos. Could you send clearer photos "
        "of the rooms?",
        "Desculpe, não consegui estimar um valor com essas fotos. Pode enviar fotos mais "
        "nítidas dos cômodos?"}},
  };
  return table;
}

const std::map<std::string_view, pair>& polls() {
  static const std::map<std::string_view, pair> table = {
      {"property_type", {"What kind of property is it?", "Qual é o tipo de imóvel?"}},
      {"property_type.apartment", {"Apartment", "Apartamento"}},
      {"property_type.house", {"House", "Casa"}},
      {"property_type.land", {"Land", "Terreno"}},
      {"property_type.commercial", {"Commercial", "Comercial"}},
      {"bedrooms", {"How many bedrooms?", "Quantos quartos?"}},
      {"bedrooms.one", {"1 bedroom", "1 quarto"}},
      {"bedrooms.two", {"2 bedrooms", "2 quartos"}},
      {"bedrooms.three", {"3 bedrooms", "3 quartos"}},
      {"bedrooms.four_plus", {"4 or more", "4 ou mais"}},
      {"timeline", {"When are you planning to do it?", "Para quando você planeja?"}},
      {"timeline.now", {"Right now", "Agora"}},
      {"timeline.months_1_3", {"In 1 to 3 months", "Em 1 a 3 meses"}},
      {"timeline.months_3_6", {"In 3 to 6 months", "Em 3 a 6 meses"}},
      {"timeline.researching", {"Just researching", "Só pesquisando"}},
  };
  return table;
}

const char* pick(const pair& p, lang l) {
  return l == lang::pt_br ? p.second : p.first;
}

}  // namespace

lang language_of(std::string_view tag) {
  std::string lower;
  for (char c : tag) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "pt" || lower.rfind("pt-", 0) == 0 || lower.rfind("pt_", 0) == 0) return lang::pt_br;
  return lang::en;
}

std::string_view to_string(lang l) {
  return l == lang::pt_br ? "pt-BR" : "en";
}

std::string fixed_text(text_id id, lang l) {
  auto it = fixed().find(id);
  return it == fixed().end() ? std::string() : pick(it->second, l);
}

std::string photo_ack(int count, lang l) {
  if (count <= 1) return l == lang::pt_br ? "Obrigado pela foto." : "Thanks for the photo.";
  const std::string n = std::to_string(count);
  return l == lang::pt_br ? "Obrigado pelas " + n + " fotos." : "Thanks for the " + n + " photos.";
}

std::string money(int64_t value, const std::string& currency, lang l) {
  const bool negative = value < 0;
  const std::string digits = std::to_string(negative ? -value : value);
  std::string grouped;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped += l == lang::pt_br ? '.' : ',';
    grouped += digits[i];
  }
  if (negative) grouped = "-" + grouped;
  if (currency == "BRL" && l == lang::pt_br) return "R$ " + grouped;
  return (currency.empty() ? std::string("BRL") : currency) + " " + grouped;
}

std::string poll_text(std::string_view key, lang l) {
  auto it = polls().find(key);
  return it == polls().end() ? std::string() : pick(it->second, l);
}

std::string spoken(const std::string& name, lang l) {
  return ai::spoken(name, l == lang::pt_br ? ai::language::pt_br : ai::language::en);
}

std::string estimate_text(int64_t value_min, int64_t value_max, const std::string& currency,
                          const std::string& condition, const std::vector<std::string>& rooms,
                          lang l) {
  const bool pt = l == lang::pt_br;
  std::string seen;
  for (std::size_t i = 0; i < rooms.size(); ++i) {
    if (i > 0) seen += i + 1 == rooms.size() ? (pt ? " e " : " and ") : ", ";
    seen += spoken(rooms[i], l);
  }
  std::string out = pt ? "Valor estimado do imóvel: entre " : "Estimated property value: between ";
  out +=
      money(value_min, currency, l) + (pt ? " e " : " and ") + money(value_max, currency, l) + ".";
  if (!condition.empty())
    out +=
        pt ? " Estado: " + spoken(condition, l) + "." : " Condition: " + spoken(condition, l) + ".";
  if (!seen.empty()) out += pt ? " Vi: " + seen + "." : " Rooms seen: " + seen + ".";
  return out;
}

}  // namespace aibud::actors
