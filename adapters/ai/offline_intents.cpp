// The keyword rules of the offline provider: intents, language and replies.
#include <array>
#include <cctype>
#include <initializer_list>
#include <string_view>
#include <unordered_set>

#include "adapters/ai/offline_provider.hpp"

namespace aibud::ai {
namespace {

// Lower-case ASCII words separated by single spaces, with a space at each end, so a phrase
// matches only whole words: " quanto vale ". Portuguese accented letters lose their accent
// (so "avaliação" and "avaliacao" match alike); any other byte separates words.
std::string normalize(std::string_view text) {
  std::string out = " ";
  auto put = [&out](char c) {
    if (c == ' ') {
      if (out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      put(std::isalnum(byte) ? static_cast<char>(std::tolower(byte)) : ' ');
    } else if (byte == 0xC3 && i + 1 < text.size()) {
      // Latin-1 Supplement letters: upper case at 0x80-0x9F, lower case at 0xA0-0xBF.
      auto low = static_cast<unsigned char>(text[++i]) & 0xDF;
      char plain = ' ';
      if (low >= 0x80 && low <= 0x85)
        plain = 'a';
      else if (low == 0x87)
        plain = 'c';
      else if (low >= 0x88 && low <= 0x8B)
        plain = 'e';
      else if (low >= 0x8C && low <= 0x8F)
        plain = 'i';
      else if (low == 0x91)
        plain = 'n';
      else if (low >= 0x92 && low <= 0x96)
        plain = 'o';
      else if (low >= 0x99 && low <= 0x9C)
        plain = 'u';
      put(plain);
    } else {
      put(' ');
    }
  }
  put(' ');
  return out;
}

bool has(const std::string& words, std::initializer_list<const char*> phrases) {
  const std::string_view w(words);
  for (std::string_view phrase : phrases)
    for (auto at = w.find(phrase); at != std::string_view::npos; at = w.find(phrase, at + 1))
      if (at > 0 && w[at - 1] == ' ' && at + phrase.size() < w.size() &&
          w[at + phrase.size()] == ' ')
        return true;
  return false;
}

std::size_t word_count(const std::string& words) {
  std::size_t count = 0;
  for (std::size_t i = 1; i < words.size(); ++i)
    if (words[i] == ' ' && words[i - 1] != ' ') ++count;
  return count;
}

bool is_opt_out(const std::string& w) {
  if (has(w, {"unsubscribe", "stop messaging", "stop sending", "stop texting", "remove me",
              "do not message", "don t message", "dont message", "do not contact", "nao quero mais",
              "nao me mande", "nao mande mais", "nao envie", "descadastrar", "me descadastre",
              "me tire", "me remova", "parem de", "pare de"}))
    return true;
  // A bare command; in a longer sentence these words mean something else ("sair de casa").
  return word_count(w) <= 4 &&
         has(w, {"stop", "parar", "pare", "sair", "cancelar", "cancel", "chega", "quit"});
}

bool is_opt_in(const std::string& w) {
  if (has(w, {"start again", "resume messages", "quero voltar a receber", "pode voltar a mandar"}))
    return true;
  return word_count(w) <= 4 &&
         has(w, {"start", "comecar", "iniciar", "voltar", "reativar", "resume", "subscribe"});
}

bool is_human(const std::string& w) {
  if (has(w, {"atendente", "humano", "pessoa real", "real person", "human", "representative"}))
    return true;
  bool asks_to_talk = has(w, {"falar com", "conversar com", "talk to", "talk with", "speak to",
                              "speak with", "chat with"});
  return asks_to_talk && has(w, {"corretor", "corretora", "pessoa", "alguem", "gerente", "person",
                                 "someone", "agent", "broker", "realtor", "manager"});
}

bool is_valuation(const std::string& w) {
  return has(w, {"quanto vale", "quanto valeria", "avaliar", "avaliacao", "avalia", "avaliem",
                 "valor do meu", "valor da minha", "valor do imovel", "valor de mercado",
                 "how much is my", "how much is it worth", "worth", "valuation", "appraisal",
                 "appraise", "value my", "value of my", "estimate"});
}

bool is_question(const std::string& w, std::string_view original) {
  if (original.find('?') != std::string_view::npos) return true;
  static const std::array<const char*, 18> openers = {
      "what", "how",   "when", "where",  "who",  "why",  "which",  "can", "could",
      "qual", "quais", "como", "quando", "onde", "quem", "porque", "por", "quanto"};
  for (const char* opener : openers)
    if (w.compare(1, std::char_traits<char>::length(opener) + 1, std::string(opener) + " ") == 0)
      return true;
  return false;
}

// Each word of `w` (normalize's form) that is in `words`, counted with its repeats.
int count_known(const std::string& w, const std::unordered_set<std::string_view>& words) {
  int score = 0;
  std::string_view rest(w);
  for (auto at = rest.find_first_not_of(' '); at != std::string_view::npos;
       at = rest.find_first_not_of(' ', at)) {
    auto end = rest.find(' ', at);
    if (words.count(rest.substr(at, end - at))) ++score;
    at = end;
  }
  return score;
}

int language_score(const std::string& w, bool portuguese) {
  static const std::unordered_set<std::string_view> pt = {
      "oi",     "ola",      "bom",       "boa",      "dia",      "tarde",  "noite", "quero",
      "queria", "gostaria", "vender",    "comprar",  "alugar",   "quanto", "vale",  "meu",
      "minha",  "voce",     "voces",     "obrigado", "obrigada", "imovel", "casa",  "apartamento",
      "nao",    "sim",      "favor",     "com",      "um",       "uma",    "para",  "pra",
      "falar",  "corretor", "atendente", "parar",    "sair",     "como",   "qual",  "onde",
      "quando", "tudo",     "bem",       "de",       "do",       "da",     "eu",    "tem"};
  static const std::unordered_set<std::string_view> en = {
      "hi",     "hello",   "hey",     "want",   "would", "like",  "sell",  "buy",
      "rent",   "how",     "much",    "my",     "is",    "the",   "house", "apartment",
      "thanks", "thank",   "you",     "please", "to",    "what",  "where", "when",
      "talk",   "person",  "agent",   "stop",   "start", "worth", "i",     "im",
      "good",   "morning", "evening", "do",     "does",  "of",    "and",   "can"};
  return count_known(w, portuguese ? pt : en);
}

}  // namespace

std::string_view to_string(intent i) {
  switch (i) {
    case intent::greeting:
      return "greeting";
    case intent::valuation:
      return "valuation";
    case intent::sell:
      return "sell";
    case intent::buy:
      return "buy";
    case intent::rent:
      return "rent";
    case intent::question:
      return "question";
    case intent::human:
      return "human";
    case intent::opt_out:
      return "opt_out";
    case intent::opt_in:
      return "opt_in";
    case intent::other:
      return "other";
  }
  return "other";
}

std::string_view to_string(language l) {
  return l == language::pt_br ? "pt-BR" : "en";
}

intent classify_text(std::string_view text) {
  const std::string w = normalize(text);
  // Order matters: leaving and asking for a person beat everything else, and a concrete
  // wish ("oi, quero vender") beats the greeting around it.
  if (is_opt_out(w)) return intent::opt_out;
  if (is_opt_in(w)) return intent::opt_in;
  if (is_human(w)) return intent::human;
  if (is_valuation(w)) return intent::valuation;
  if (has(w, {"vender", "vendo", "sell", "selling"})) return intent::sell;
  if (has(w, {"comprar", "compro", "buy", "buying", "purchase"})) return intent::buy;
  if (has(w, {"alugar", "alugo", "aluguel", "locacao", "rent", "renting", "rental", "lease"}))
    return intent::rent;
  bool greets = has(w, {"oi", "ola", "opa", "bom dia", "boa tarde", "boa noite", "hello", "hi",
                        "hey", "good morning", "good afternoon", "good evening"});
  if (greets && word_count(w) <= 4) return intent::greeting;
  if (is_question(w, text)) return intent::question;
  if (greets) return intent::greeting;
  return intent::other;
}

language detect_language(const ai_request& request) {
  int pt = 0;
  int en = 0;
  for (std::size_t i = 0; i < request.history.size(); ++i) {
    const auto& turn = request.history[i];
    if (turn.speaker != role::user) continue;
    int weight = i + 1 == request.history.size() ? 2 : 1;
    auto w = normalize(turn.text);
    pt += weight * language_score(w, true);
    en += weight * language_score(w, false);
  }
  if (pt != en) return pt > en ? language::pt_br : language::en;
  auto system = normalize(request.system_prompt);
  if (has(system, {"pt br", "portuguese", "portugues", "brazilian"})) return language::pt_br;
  return language::en;
}

std::string reply_for(intent i, language l) {
  const bool pt = l == language::pt_br;
  switch (i) {
    case intent::greeting:
      return pt ? "Olá! Sou o assistente virtual. Posso avaliar seu imóvel ou ajudar você a "
                  "vender, comprar ou alugar. Como posso ajudar?"
                : "Hello! I'm the virtual assistant. I can value your property or help you "
                  "sell, buy or rent. How can I help?";
    case intent::valuation:
      return pt ? "Posso estimar o valor do seu imóvel. Envie algumas fotos dos cômodos e me "
                  "diga o bairro e a metragem."
                : "I can estimate what your property is worth. Please send a few photos of "
                  "the rooms and tell me the neighbourhood and the size.";
    case intent::sell:
      return pt ? "Ótimo, vamos ajudar você a vender. Qual é o tipo de imóvel, o bairro e o "
                  "valor que você espera?"
                : "Great, we can help you sell. What kind of property is it, where is it and "
                  "what price do you have in mind?";
    case intent::buy:
      return pt ? "Vamos encontrar o imóvel certo para você. Qual região, quantos quartos e "
                  "qual faixa de preço?"
                : "Let's find the right property for you. Which area, how many bedrooms and "
                  "what price range?";
    case intent::rent:
      return pt ? "Temos opções para alugar. Qual região, quantos quartos e qual valor de "
                  "aluguel você procura?"
                : "We have places to rent. Which area, how many bedrooms and what monthly "
                  "rent are you looking for?";
    case intent::question:
      return pt ? "Boa pergunta! Vou verificar e já te respondo. Se preferir, posso chamar um "
                  "corretor."
                : "Good question! Let me check and get back to you. If you prefer, I can ask "
                  "a broker to reply.";
    case intent::human:
      return pt ? "Certo, vou chamar um corretor para falar com você. Ele responde em breve."
                : "Sure, I'll ask one of our brokers to talk to you. They will reply shortly.";
    case intent::opt_out:
      return pt ? "Tudo bem, não enviaremos mais mensagens. Se mudar de ideia, envie START."
                : "Understood, we won't message you again. If you change your mind, send "
                  "START.";
    case intent::opt_in:
      return pt ? "Bem-vindo de volta! Como posso ajudar?" : "Welcome back! How can I help?";
    case intent::other:
      return pt ? "Desculpe, não entendi. Você quer avaliar, vender, comprar ou alugar um "
                  "imóvel?"
                : "Sorry, I didn't get that. Would you like to value, sell, buy or rent a "
                  "property?";
  }
  return {};
}

}  // namespace aibud::ai
